"""The resampling engine behind :mod:`mtqe.metrics.stats`: scores of bootstrap resamples and
of approximate-randomization trials for many systems at once.

Draws are made once per call and shared by every system (and every pair of systems): the
resamples of a seed do not depend on the system, exactly as in sacrebleu, so sharing them
changes no result, only the cost. Two ways to score a resample:

* **sums** (the metric offers ``aggregate_sums``): a resample is a vector of counts per
  segment, so the summed statistics of all systems are one matrix product, counts
  ``W [samples, segments] @ stats [segments, systems * k]``; a randomization trial is a
  0/1 mask ``K``, and ``K @ stats`` gives every pair's swapped sums by subtraction
  (``pseudo_a = sum(b) + K @ (a - b)``). The metric then scores all rows at once;
* **rows** (otherwise): the selected rows are materialised and handed to ``aggregate_many``
  or, one resample at a time, to ``aggregate`` — the original, metric-agnostic path.

Batches bound the memory whatever the number of samples; the draws, made up front, fix
which rows each sample uses, so the batch size cannot change a result.

Undefined samples: a metric whose segments may have no score (``MeanOfValid``: human
judgments) has no score on a resample or pseudo-system without a valid row, and says so
with NaN. Such samples are *undefined*: they are scored NaN here and left out by the
statistics (a CI's order statistics and a p-value's count and denominator are taken over
the defined samples only). The score of the full data must always be defined.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from mtqe.metrics.base import Aggregate
from mtqe.progress import Progress

AggregateMany = Callable[[np.ndarray], np.ndarray]
"""Scores a batch of row selections ``(n_batch, n_rows, k)`` -> ``(n_batch,)``."""

AggregateSums = Callable[[np.ndarray, int], np.ndarray]
"""Scores column sums ``(m, k)`` of selections of ``n_rows`` rows -> ``(m,)``."""

REFINE_RTOL = 1e-9
"""A vectorised score this close (relative to the scores' scale) to a decision threshold is
re-scored with the exact ``aggregate``: numpy's ``log``/``exp`` may differ from ``math``'s
in the last bit, and a p-value or a bound must not depend on that."""


def to_score(value: object, what: str) -> float:
    """Turn what ``aggregate`` returned into a finite float, refusing arrays and NaN, which
    would otherwise surface as a meaningless interval much later."""
    if np.ndim(value) != 0:
        raise ValueError(f"aggregate returned a non-scalar of shape {np.shape(value)} for {what}")
    try:
        score = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"aggregate returned {value!r} for {what}, not a number") from exc
    if not math.isfinite(score):
        raise ValueError(f"aggregate returned {score} for {what}; scores must be finite")
    return score


def to_sample_score(value: object) -> float:
    """:func:`to_score` for a resample: NaN (an undefined sample) is allowed, infinity is not."""
    if np.ndim(value) == 0 and isinstance(value, (float, np.floating)) and math.isnan(value):
        return math.nan
    return to_score(value, "a resample")


def check_many(values: np.ndarray, expected: int, name: str = "aggregate_many") -> np.ndarray:
    """A vectorised aggregate must return one score per sample in the batch: finite, or NaN
    for an undefined sample (see the module docstring)."""
    out = np.asarray(values, dtype=np.float64)
    if out.shape != (expected,):
        raise ValueError(
            f"{name} returned shape {out.shape} for a batch of {expected} samples; expected ({expected},)"
        )
    if np.any(np.isinf(out)):
        raise ValueError(f"{name} returned infinite scores")
    return out


@dataclass(frozen=True)
class Scorer:
    """A metric's ways of scoring rows: ``aggregate`` (exact, the reference) and the optional
    vectorised ``aggregate_many`` (rows) and ``aggregate_sums`` (column sums)."""

    aggregate: Aggregate
    aggregate_many: AggregateMany | None = None
    aggregate_sums: AggregateSums | None = None

    def exact(self, rows: np.ndarray, what: str = "a resample") -> float:
        return to_score(self.aggregate(rows), what)

    def sample(self, rows: np.ndarray) -> float:
        """Exact score of a resample or pseudo-system; NaN when it is undefined."""
        return to_sample_score(self.aggregate(rows))

    def rows(self, samples: np.ndarray) -> np.ndarray:
        if self.aggregate_many is None:
            return np.array([self.sample(rows) for rows in samples], dtype=np.float64)
        return check_many(self.aggregate_many(samples), samples.shape[0])

    def sums(self, sums: np.ndarray, n_rows: int) -> np.ndarray:
        if self.aggregate_sums is None:
            raise RuntimeError("Scorer.sums called without aggregate_sums (a bug in the caller)")
        return check_many(self.aggregate_sums(sums, n_rows), sums.shape[0], "aggregate_sums")


# --------------------------------------------------------------------------- draws


def bootstrap_indices(seed: int, n_segments: int, n_samples: int) -> np.ndarray:
    """sacrebleu's draw: all resamples at once, so one seed fixes them all and the paired
    bootstrap and the confidence interval of the same seed use identical resamples."""
    return np.random.default_rng(seed).choice(n_segments, size=(n_samples, n_segments), replace=True)


def keep_masks(seed: int, n_segments: int, n_samples: int) -> np.ndarray:
    """sacrebleu's randomization draw; True keeps a segment's rows, False swaps them."""
    return np.random.default_rng(seed).integers(2, size=(n_samples, n_segments), dtype=bool)


def batches(n_samples: int, elements_per_sample: int, max_elements: int) -> Iterator[slice]:
    """Consecutive sample ranges small enough to materialise at once."""
    size = max(1, max_elements // max(1, elements_per_sample))
    for start in range(0, n_samples, size):
        yield slice(start, min(start + size, n_samples))


def _counts(idxs: np.ndarray, n_segments: int) -> np.ndarray:
    """How often each segment occurs in each resample: ``(m, n_segments)`` float64."""
    m = idxs.shape[0]
    flat = (idxs + (np.arange(m) * n_segments)[:, None]).ravel()
    return np.bincount(flat, minlength=m * n_segments).reshape(m, n_segments).astype(np.float64)


def _stacked(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """``(n_segments, systems * k)`` float64, the right operand of the count products."""
    return np.concatenate([np.asarray(a, dtype=np.float64) for a in arrays], axis=1)


# --------------------------------------------------------------------------- bootstrap


def bootstrap_scores(
    arrays: Sequence[np.ndarray],
    idxs: np.ndarray,
    scorer: Scorer,
    *,
    max_elements: int,
    progress: Progress,
) -> np.ndarray:
    """Scores ``(n_samples, n_systems)`` of every system on the resamples ``idxs``.

    All ``arrays`` have the same shape ``(n_segments, k)``. On the sums path the scores are
    vectorised approximations (see :data:`REFINE_RTOL`); callers refine what they decide on.
    """
    n_samples, n_segments = idxs.shape
    n_systems, k = len(arrays), arrays[0].shape[1]
    scores = np.empty((n_samples, n_systems), dtype=np.float64)
    if scorer.aggregate_sums is not None:
        stacked = _stacked(arrays)
        for sl in batches(n_samples, max(n_segments, n_systems * k), max_elements):
            sums = _counts(idxs[sl], n_segments) @ stacked
            m = sums.shape[0]
            scores[sl] = scorer.sums(sums.reshape(m * n_systems, k), n_segments).reshape(m, n_systems)
            progress.advance(m)
        return scores
    for sl in batches(n_samples, arrays[0].size, max_elements):  # one system materialised at a time
        for s, arr in enumerate(arrays):
            scores[sl, s] = scorer.rows(arr[idxs[sl]])
        progress.advance(sl.stop - sl.start)
    return scores


def exact_bootstrap(arr: np.ndarray, idxs: np.ndarray, samples: np.ndarray, scorer: Scorer) -> np.ndarray:
    """Exact ``aggregate`` scores of ``arr`` on the resamples numbered ``samples``."""
    return np.array([scorer.sample(arr[idxs[i]]) for i in samples], dtype=np.float64)


# --------------------------------------------------------------------------- randomization


def count_exceeding(null_stats: np.ndarray, observed: np.ndarray, count_ties: bool, tie_rtol: float) -> np.ndarray:
    """Per column: how many null statistics are at least as extreme as ``observed`` (an
    undefined, NaN, statistic never is)."""
    if count_ties:
        return np.sum(null_stats >= observed - tie_rtol * np.abs(observed), axis=0)
    return np.sum(null_stats > observed, axis=0)


def randomization_counts(
    arrays: Sequence[np.ndarray],
    pairs: Sequence[tuple[int, int]],
    keep: np.ndarray,
    observed: np.ndarray,
    scorer: Scorer,
    *,
    count_ties: bool,
    tie_rtol: float,
    scale: np.ndarray,
    max_elements: int,
    progress: Progress,
) -> tuple[np.ndarray, np.ndarray]:
    """For each pair ``(a, b)`` of ``arrays``: the number of trials of ``keep`` whose
    ``|score(pseudo_a) - score(pseudo_b)|`` is at least as extreme as ``observed[pair]``,
    and the number of trials where both pseudo-systems have a score (defined trials).

    ``pseudo_a`` keeps ``a``'s rows where ``keep`` is True and takes ``b``'s elsewhere.
    ``scale`` (per pair) sets the refinement tolerance on the sums path.
    """
    n_trials, n_segments = keep.shape
    counts = np.zeros(len(pairs), dtype=np.int64)
    defined = np.zeros(len(pairs), dtype=np.int64)
    if scorer.aggregate_sums is None:
        for sl in batches(n_trials, arrays[0].size, max_elements):  # one pseudo-system at a time
            mask = keep[sl, :, None]
            null = np.empty((sl.stop - sl.start, len(pairs)))
            for p, (a, b) in enumerate(pairs):
                first, second = arrays[a], arrays[b]
                pseudo_a, pseudo_b = np.where(mask, first, second), np.where(mask, second, first)
                null[:, p] = np.abs(scorer.rows(pseudo_a) - scorer.rows(pseudo_b))
            counts += count_exceeding(null, observed, count_ties, tie_rtol)
            defined += np.sum(~np.isnan(null), axis=0)
            progress.advance(sl.stop - sl.start)
        return counts, defined
    n_systems, k = len(arrays), arrays[0].shape[1]
    stacked = _stacked(arrays)
    totals = stacked.sum(axis=0).reshape(n_systems, k)
    ia = np.array([a for a, _ in pairs])
    ib = np.array([b for _, b in pairs])
    per_sample = max(n_segments, n_systems * k, 3 * len(pairs) * k)
    for sl in batches(n_trials, per_sample, max_elements):
        kept = (keep[sl].astype(np.float64) @ stacked).reshape(-1, n_systems, k)
        moved = kept[:, ia] - kept[:, ib]  # K @ (a - b), per pair
        m = moved.shape[0]
        score_a = scorer.sums((totals[ib] + moved).reshape(-1, k), n_segments).reshape(m, len(pairs))
        score_b = scorer.sums((totals[ia] - moved).reshape(-1, k), n_segments).reshape(m, len(pairs))
        null = np.abs(score_a - score_b)
        _refine_trials(null, keep[sl], arrays, pairs, observed, scale, scorer)
        counts += count_exceeding(null, observed, count_ties, tie_rtol)
        defined += np.sum(~np.isnan(null), axis=0)
        progress.advance(m)
    return counts, defined


def _refine_trials(
    null: np.ndarray,
    keep: np.ndarray,
    arrays: Sequence[np.ndarray],
    pairs: Sequence[tuple[int, int]],
    observed: np.ndarray,
    scale: np.ndarray,
    scorer: Scorer,
) -> None:
    """Re-score exactly, in place, the trials whose statistic is within the vectorised
    scores' rounding of ``observed``; elsewhere rounding cannot change a count."""
    near = np.abs(null - observed) <= REFINE_RTOL * scale
    for t, p in zip(*np.nonzero(near)):
        a, b = arrays[pairs[p][0]], arrays[pairs[p][1]]
        mask = keep[t][:, None]
        null[t, p] = abs(scorer.sample(np.where(mask, a, b)) - scorer.sample(np.where(mask, b, a)))
