"""Statistics for system-level MT scores: bootstrap confidence intervals, paired
significance tests and WMT-style significance clusters, for one system or many at once.

Every metric keeps a per-segment statistics matrix ``stats`` of shape ``(n_segments, k)``
and an ``aggregate(rows) -> float`` that turns any selection of its rows into the corpus
score (sacrebleu's sufficient-statistics design: BLEU sums the rows and applies the BLEU
formula, COMET takes ``rows[:, 0].mean()``). Resampling therefore only ever selects or
swaps *rows*; the metric decides how rows become a score.

Two optional speed-ups, which must compute the same function as ``aggregate``:

* ``aggregate_many(samples) -> scores`` scores a batch ``(n_batch, n_rows, k) -> (n_batch,)``;
* ``aggregate_sums(sums, n_rows) -> scores`` scores column sums ``(m, k) -> (m,)`` of
  selections of ``n_rows`` rows (any metric whose score depends on the rows only through
  their sums: BLEU, chrF, TER, a mean). With it the resampling of all systems is a matrix
  product (:mod:`mtqe.metrics.resampling`), and resamples whose vectorised score lies
  within rounding of a decision (a p-value threshold, a bound) are re-scored with
  ``aggregate``, so results do not depend on the speed-up.

The ``*_many`` functions (and :func:`pairwise_randomization`, :func:`cluster_systems`) take
``{system: stats}`` and share one set of draws among all systems: each result equals the
single-system function's with the same seed. :func:`fast_paths` picks the speed-ups a
metric object offers. Every function takes an optional ``progress``
(:class:`mtqe.progress.Progress`), started with the number of resamples or trials and
advanced per batch. The score on the full data always comes from ``aggregate``.

Conventions (chosen to match sacrebleu 2.x ``significance.py``, see each function):

* Randomness: ``numpy.random.default_rng(seed)`` with exactly sacrebleu's draws, so the
  same seed selects the same resamples / swaps as ``sacrebleu --paired-*`` with
  ``SACREBLEU_SEED=seed``. Nothing global is touched; equal inputs give equal results.
* Paired tests take a *baseline* ``a`` and a *system* ``b``; ``delta = score_b - score_a``
  ("system minus baseline"). Both tests are two-sided, so swapping ``a`` and ``b`` negates
  ``delta`` and leaves the p-value unchanged.
* p-values are ``(c + 1) / (n_samples + 1)``. sacrebleu counts resampled statistics
  *strictly* greater than the observed one (``count_ties=False`` reproduces it). By default
  ties are counted too (``>=``, Riezler & Maxwell 2005), up to a relative tolerance of
  ``100 * eps`` as in :func:`scipy.stats.permutation_test`. The two differ only on exact
  ties: rare among bootstrap deltas, but approximate randomization always has some (no
  swap, or swapping every segment where the systems differ: ~2 / 2**m of trials for m
  differing segments), and counting them is what makes the add-one p-value valid. The
  starkest case: a system compared with itself gets p = 1, where sacrebleu reports
  ``1 / (n_samples + 1)`` ("significantly different from itself").
* Undefined samples (a resample or pseudo-system on which the metric has no score: NaN
  from ``aggregate``, e.g. no judged segment of a human metric) are left out: CI bounds
  are order statistics of the defined resamples, p-values ``(c + 1) / (n_defined + 1)``
  (:mod:`mtqe.metrics.resampling`). Without undefined samples nothing changes.
* sacrebleu's paired bootstrap sums the statistics in float32 (exact for integer counts
  below 2**24) and its chrF then divides in float32; mtqe computes in float64, so chrF
  bootstrap scores can differ from sacrebleu's in the 7th significant digit.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from mtqe.metrics.base import Aggregate, column_mean, column_mean_many, column_mean_sums  # noqa: F401 — re-exported
from mtqe.metrics.resampling import (
    REFINE_RTOL,
    AggregateMany,
    AggregateSums,
    Scorer,
    bootstrap_indices,
    bootstrap_scores,
    count_exceeding,
    exact_bootstrap,
    keep_masks,
    randomization_counts,
)
from mtqe.progress import NoProgress, Progress

PAIRED_BOOTSTRAP = "paired_bootstrap"
APPROXIMATE_RANDOMIZATION = "approximate_randomization"

_MAX_BATCH_ELEMENTS = 1 << 21
"""Upper bound on stats elements materialised per batch (16 MiB of float64): 10,000 AR
trials over 3,000 segments of BLEU statistics would otherwise need ~2 GiB at once."""

_TIE_RTOL = 100 * np.finfo(np.float64).eps
"""Relative tolerance for ties: the identity permutation must tie with the observed delta
even when ``aggregate_many`` rounds differently from ``aggregate`` (scipy's choice)."""


@dataclass(frozen=True)
class ConfidenceInterval:
    """Percentile bootstrap interval of a corpus score.

    ``score`` is the metric on the full data, ``mean`` the mean of the bootstrap scores.
    ``low <= high`` always holds, but ``low <= score <= high`` need not (a percentile
    interval of a skewed statistic can exclude the point estimate).
    """

    score: float
    low: float
    high: float
    mean: float
    confidence: float
    n_samples: int
    seed: int


@dataclass(frozen=True)
class PairedTestResult:
    """Outcome of a paired significance test of system ``b`` against baseline ``a``.

    ``delta = score_b - score_a`` (system minus baseline, in the metric's own direction);
    ``p_value`` is two-sided. ``test`` is :data:`PAIRED_BOOTSTRAP` or
    :data:`APPROXIMATE_RANDOMIZATION`.
    """

    test: str
    score_a: float
    score_b: float
    delta: float
    p_value: float
    n_samples: int
    seed: int
    count_ties: bool


# --------------------------------------------------------------------------- validation


def _check_stats(stats: np.ndarray, name: str) -> np.ndarray:
    """Return ``stats`` as a 2-D finite real array, or say precisely what is wrong with it.

    The dtype is kept (BLEU counts stay integers) so ``aggregate`` sees what the metric
    produced.
    """
    arr = np.asarray(stats)
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise ValueError(f"{name}: expected a numeric (integer or float) array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(
            f"{name}: expected shape (n_segments, k), got {arr.shape}; "
            "for one statistic per segment use stats.reshape(-1, 1)"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name}: zero segments, nothing to resample")
    if arr.shape[1] == 0:
        raise ValueError(f"{name}: zero statistics per segment (k == 0)")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return arr


def _check_int(value: object, name: str, minimum: int) -> int:
    """Reject bools and floats such as 1e3: a silently truncated sample count or seed
    would make results irreproducible from the reported parameters."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_probability(value: object, name: str) -> float:
    """A confidence level or alpha strictly inside (0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number in (0, 1), got {value!r}")
    if not 0.0 < float(value) < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")
    return float(value)


# --------------------------------------------------------------------------- helpers


def _p_value(count: int, n_samples: int) -> float:
    """Add-one estimate: never 0, and a valid (conservative) Monte-Carlo p-value."""
    return (count + 1) / (n_samples + 1)


def _progress(progress: Progress | None, total: int) -> Progress:
    tick = progress or NoProgress()
    tick.start(total)
    return tick


def _systems(stats_by_system: Mapping[str, np.ndarray], what: str) -> dict[str, np.ndarray]:
    """Checked arrays by system name, in the mapping's order."""
    if not isinstance(stats_by_system, Mapping) or not stats_by_system:
        raise ValueError(f"{what}: expected a non-empty mapping of system name -> stats array")
    return {name: _check_stats(arr, f"stats of {name!r}" if name not in _LABELS else name)
            for name, arr in stats_by_system.items()}


_LABELS = ("stats", "stats_a", "stats_b")  # the single-system functions' argument names


def _same_shape(arrays: Mapping[str, np.ndarray]) -> None:
    """Paired tests need the same segments scored by every system, row for row."""
    (first, ref), *rest = arrays.items()
    for name, arr in rest:
        if arr.shape[0] != ref.shape[0]:
            raise ValueError(
                f"paired test: {first} has {ref.shape[0]} segments but {name} has {arr.shape[0]}; "
                "both systems must be scored on the same segments"
            )
        if arr.shape[1] != ref.shape[1]:
            raise ValueError(
                f"paired test: {first} has {ref.shape[1]} statistics per segment but {name} has "
                f"{arr.shape[1]}; both must come from the same metric configuration"
            )


def _refine_near(
    scores: np.ndarray, targets: np.ndarray, scale: float, rescore: Callable[[np.ndarray], np.ndarray]
) -> None:
    """Replace, in place, the vectorised scores within rounding of any of ``targets`` by
    exact ones (``rescore(sample_numbers)``)."""
    tol = REFINE_RTOL * max(1.0, scale)
    near = np.nonzero(np.any(np.abs(scores[:, None] - np.asarray(targets)[None, :]) <= tol, axis=1))[0]
    if near.size:
        scores[near] = rescore(near)


def fast_paths(metric: object) -> dict[str, Any]:
    """``aggregate_many`` / ``aggregate_sums`` keyword arguments for the functions below,
    taken from a metric object that defines them (None where it does not)."""
    return {
        "aggregate_many": getattr(metric, "aggregate_many", None),
        "aggregate_sums": getattr(metric, "aggregate_sums", None),
    }


# --------------------------------------------------------------------------- bootstrap


def bootstrap_ci_many(
    stats_by_system: Mapping[str, np.ndarray],
    aggregate: Aggregate,
    *,
    n_samples: int = 1000,
    seed: int = 12345,
    confidence: float = 0.95,
    aggregate_many: AggregateMany | None = None,
    aggregate_sums: AggregateSums | None = None,
    progress: Progress | None = None,
) -> dict[str, ConfidenceInterval]:
    """:func:`bootstrap_ci` of every system, on resamples shared by all of them.

    Each system's interval equals ``bootstrap_ci`` of it alone with the same seed (the
    draws depend only on the seed and the number of segments). Systems with different
    segment counts or statistic widths are resampled in groups of equal shape.
    ``progress`` counts resamples (``n_samples`` per group of equal shape).
    """
    arrays = _systems(stats_by_system, "bootstrap_ci_many")
    n_samples = _check_int(n_samples, "n_samples", 1)
    seed = _check_int(seed, "seed", 0)
    confidence = _check_probability(confidence, "confidence")
    scorer = Scorer(aggregate, aggregate_many, aggregate_sums)
    full = {name: scorer.exact(arr, "the full data") for name, arr in arrays.items()}
    groups: dict[tuple[int, int], list[str]] = {}
    for name, arr in arrays.items():
        groups.setdefault(arr.shape, []).append(name)
    tick = _progress(progress, n_samples * len(groups))
    out: dict[str, ConfidenceInterval] = {}
    for (n_segments, _), names in groups.items():
        idxs = bootstrap_indices(seed, n_segments, n_samples)
        scores = bootstrap_scores([arrays[n] for n in names], idxs, scorer,
                                  max_elements=_MAX_BATCH_ELEMENTS, progress=tick)
        for col, name in enumerate(names):
            column = scores[:, col].copy()
            low, high = _percentile_bounds(column, confidence, arrays[name], idxs, scorer, full[name])
            out[name] = ConfidenceInterval(
                score=full[name], low=low, high=high, mean=_defined_mean(column),
                confidence=confidence, n_samples=n_samples, seed=seed,
            )
    return {name: out[name] for name in arrays}


def _defined_mean(scores: np.ndarray) -> float:
    defined = scores[~np.isnan(scores)]
    return float(np.mean(defined)) if defined.size else math.nan


def _percentile_bounds(
    scores: np.ndarray, confidence: float, arr: np.ndarray, idxs: np.ndarray, scorer: Scorer, full: float
) -> tuple[float, float]:
    """Symmetric order-statistic bounds of the defined resamples (NaN sorts last); the tiny
    slack absorbs binary rounding of ``1 - confidence`` (e.g. 1000 * 0.025 must give 25, not
    24). Vectorised scores near a bound are made exact first (in place), so the bound is the
    exact order statistic."""
    n = int(np.sum(~np.isnan(scores)))
    if n == 0:
        raise ValueError("bootstrap: no resample has a score (aggregate gave NaN, undefined, for every one)")
    j = math.floor(n * (1.0 - confidence) / 2.0 + 1e-9)
    j = min(j, (n - 1) // 2)
    ordered = np.sort(scores, kind="stable")
    if scorer.aggregate_sums is not None:
        _refine_near(scores, ordered[[j, n - 1 - j]], max(abs(full), float(np.nanmax(np.abs(scores)))),
                     lambda near: exact_bootstrap(arr, idxs, near, scorer))
        ordered = np.sort(scores, kind="stable")
    return float(ordered[j]), float(ordered[n - 1 - j])


def bootstrap_ci(
    stats: np.ndarray,
    aggregate: Aggregate,
    *,
    n_samples: int = 1000,
    seed: int = 12345,
    confidence: float = 0.95,
    aggregate_many: AggregateMany | None = None,
    aggregate_sums: AggregateSums | None = None,
    progress: Progress | None = None,
) -> ConfidenceInterval:
    """Percentile bootstrap confidence interval of a corpus score.

    Segments are resampled with replacement (``n_segments`` per resample, sacrebleu's
    draw). The bounds are order statistics of the sorted resample scores:
    ``low = s[j]`` and ``high = s[n_samples - 1 - j]`` with
    ``j = floor(n_samples * (1 - confidence) / 2)``. For 95% that is sacrebleu's
    ``estimate_ci`` (``j = n // 40``); sacrebleu reports ``mean ± (high - low) / 2`` where
    we keep both bounds, since bootstrap distributions of BLEU are often skewed.
    """
    return bootstrap_ci_many(
        {"stats": stats}, aggregate, n_samples=n_samples, seed=seed, confidence=confidence,
        aggregate_many=aggregate_many, aggregate_sums=aggregate_sums, progress=progress,
    )["stats"]


def paired_bootstrap_many(
    baseline_stats: np.ndarray,
    stats_by_system: Mapping[str, np.ndarray],
    aggregate: Aggregate,
    *,
    n_samples: int = 1000,
    seed: int = 12345,
    count_ties: bool = True,
    aggregate_many: AggregateMany | None = None,
    aggregate_sums: AggregateSums | None = None,
    progress: Progress | None = None,
    baseline_name: str = "baseline",
) -> dict[str, PairedTestResult]:
    """:func:`paired_bootstrap` of every system against one baseline, on shared resamples
    (each result equals ``paired_bootstrap(baseline_stats, stats, ...)`` alone).
    ``progress`` counts resamples (``n_samples``)."""
    arrays = _systems({baseline_name: baseline_stats, **_without(stats_by_system, baseline_name)},
                      "paired_bootstrap_many")
    _same_shape(arrays)
    n_samples = _check_int(n_samples, "n_samples", 1)
    seed = _check_int(seed, "seed", 0)
    scorer = Scorer(aggregate, aggregate_many, aggregate_sums)
    names = list(arrays)
    full = np.array([scorer.exact(arrays[n], n) for n in names])
    idxs = bootstrap_indices(seed, arrays[baseline_name].shape[0], n_samples)
    tick = _progress(progress, n_samples)
    scores = bootstrap_scores([arrays[n] for n in names], idxs, scorer,
                              max_elements=_MAX_BATCH_ELEMENTS, progress=tick)
    out = {}
    for col, name in enumerate(names[1:], start=1):
        observed = abs(full[col] - full[0])
        diffs = np.abs(scores[:, col] - scores[:, 0])  # NaN: undefined for either system
        if not np.any(~np.isnan(diffs)):
            raise ValueError(f"paired bootstrap of {name}: no resample has a score for both systems (NaN, undefined)")
        if scorer.aggregate_sums is not None:
            scale = max(abs(full[0]), abs(full[col]), float(np.nanmax(np.abs(scores[:, [0, col]]))))
            target = np.array([observed + np.nanmean(diffs)])

            def exact_diffs(near: np.ndarray, name: str = name) -> np.ndarray:
                base = exact_bootstrap(arrays[names[0]], idxs, near, scorer)
                return np.abs(exact_bootstrap(arrays[name], idxs, near, scorer) - base)

            _refine_near(diffs, target, scale, exact_diffs)
        defined = diffs[~np.isnan(diffs)]
        count = int(count_exceeding(defined - defined.mean(), np.array(observed), count_ties, _TIE_RTOL))
        out[name] = PairedTestResult(
            test=PAIRED_BOOTSTRAP, score_a=float(full[0]), score_b=float(full[col]),
            delta=float(full[col] - full[0]), p_value=_p_value(count, defined.size),
            n_samples=n_samples, seed=seed, count_ties=count_ties,
        )
    return out


def _without(stats_by_system: Mapping[str, np.ndarray], baseline_name: str) -> dict[str, np.ndarray]:
    if not isinstance(stats_by_system, Mapping):
        raise ValueError("expected a mapping of system name -> stats array")
    if baseline_name in stats_by_system:
        raise ValueError(
            f"a system is named {baseline_name!r} like the baseline; pass baseline_name= another name"
        )
    return dict(stats_by_system)


def paired_bootstrap(
    stats_a: np.ndarray,
    stats_b: np.ndarray,
    aggregate: Aggregate,
    *,
    n_samples: int = 1000,
    seed: int = 12345,
    count_ties: bool = True,
    aggregate_many: AggregateMany | None = None,
    aggregate_sums: AggregateSums | None = None,
    progress: Progress | None = None,
) -> PairedTestResult:
    """Paired bootstrap resampling (Koehn, 2004) of system ``b`` against baseline ``a``.

    Each resample draws segment indices with replacement and scores *both* systems on the
    same indices. The p-value follows sacrebleu's ``_paired_bs_test`` (itself after Moses'
    ``bootstrap-hypothesis-difference-significance.pl``), which tests
    H0: "the two systems are equally good" by centring the bootstrap distribution:

    * observed statistic ``d = |score_b - score_a|`` on the full data;
    * per resample ``d_i = |score_b_i - score_a_i|``; centred ``c_i = d_i - mean(d_i)``
      (the bootstrap distribution shifted to mean zero, as it would be under H0);
    * ``p = (#{c_i > d} + 1) / (n_samples + 1)`` — with ``count_ties=True`` (default)
      ``>=`` is used instead; see the module docstring.

    With the same seed, ``count_ties=False`` and an ``aggregate`` that reproduces
    sacrebleu's float32 arithmetic, the p-value equals sacrebleu's exactly.
    """
    return paired_bootstrap_many(
        stats_a, {"stats_b": stats_b}, aggregate, n_samples=n_samples, seed=seed, count_ties=count_ties,
        aggregate_many=aggregate_many, aggregate_sums=aggregate_sums, progress=progress,
        baseline_name="stats_a",
    )["stats_b"]


# --------------------------------------------------------------------------- randomization


def _randomization(
    arrays: dict[str, np.ndarray],
    pairs: list[tuple[str, str]],
    scorer: Scorer,
    *,
    n_samples: int,
    seed: int,
    count_ties: bool,
    progress: Progress | None,
) -> dict[tuple[str, str], PairedTestResult]:
    """Approximate randomization of every pair ``(a, b)`` (a is the baseline) on one set
    of trials: the trials depend only on the seed and the number of segments."""
    _same_shape(arrays)
    names = list(arrays)
    full = {n: scorer.exact(arrays[n], n) for n in names}
    index = {n: i for i, n in enumerate(names)}
    observed = np.array([abs(full[b] - full[a]) for a, b in pairs])
    scale = np.array([max(1.0, abs(full[a]), abs(full[b])) for a, b in pairs])
    keep = keep_masks(seed, arrays[names[0]].shape[0], n_samples)
    counts, defined = randomization_counts(
        [arrays[n] for n in names], [(index[a], index[b]) for a, b in pairs], keep, observed, scorer,
        count_ties=count_ties, tie_rtol=_TIE_RTOL, scale=scale, max_elements=_MAX_BATCH_ELEMENTS,
        progress=_progress(progress, n_samples),
    )
    return {
        (a, b): PairedTestResult(
            test=APPROXIMATE_RANDOMIZATION, score_a=full[a], score_b=full[b], delta=full[b] - full[a],
            p_value=_p_value(int(c), int(d)), n_samples=n_samples, seed=seed, count_ties=count_ties,
        )
        for (a, b), c, d in zip(pairs, counts, defined)
    }


def paired_randomization_many(
    baseline_stats: np.ndarray,
    stats_by_system: Mapping[str, np.ndarray],
    aggregate: Aggregate,
    *,
    n_samples: int = 10000,
    seed: int = 12345,
    count_ties: bool = True,
    aggregate_many: AggregateMany | None = None,
    aggregate_sums: AggregateSums | None = None,
    progress: Progress | None = None,
    baseline_name: str = "baseline",
) -> dict[str, PairedTestResult]:
    """:func:`paired_approximate_randomization` of every system against one baseline, on
    shared trials. ``progress`` counts trials (``n_samples``)."""
    arrays = _systems({baseline_name: baseline_stats, **_without(stats_by_system, baseline_name)},
                      "paired_randomization_many")
    n_samples = _check_int(n_samples, "n_samples", 1)
    seed = _check_int(seed, "seed", 0)
    pairs = [(baseline_name, name) for name in list(arrays)[1:]]
    results = _randomization(arrays, pairs, Scorer(aggregate, aggregate_many, aggregate_sums),
                             n_samples=n_samples, seed=seed, count_ties=count_ties, progress=progress)
    return {b: result for (_, b), result in results.items()}


def paired_approximate_randomization(
    stats_a: np.ndarray,
    stats_b: np.ndarray,
    aggregate: Aggregate,
    *,
    n_samples: int = 10000,
    seed: int = 12345,
    count_ties: bool = True,
    aggregate_many: AggregateMany | None = None,
    aggregate_sums: AggregateSums | None = None,
    progress: Progress | None = None,
) -> PairedTestResult:
    """Paired approximate randomization test (Riezler & Maxwell, 2005) of ``b`` against ``a``.

    Under H0 the system labels are exchangeable per segment, so each trial swaps every
    segment's rows between the systems with probability 1/2 (sacrebleu's draw:
    ``rng.integers(2, size=(n_samples, n_segments), dtype=bool)``, True = keep) and
    re-scores both pseudo-systems. With observed ``d = |score_b - score_a|`` and per-trial
    ``d_i = |score_b_i - score_a_i|``:

    * ``count_ties=True`` (default, Riezler & Maxwell): ``p = (#{d_i >= d} + 1) / (n + 1)``;
    * ``count_ties=False`` (sacrebleu ``_paired_ar_test``): ``p = (#{d_i > d} + 1) / (n + 1)``.

    As ``n_samples`` grows, the default converges to the exact permutation p-value
    ``#{flips with |delta| >= d} / 2**n_segments``.
    """
    return paired_randomization_many(
        stats_a, {"stats_b": stats_b}, aggregate, n_samples=n_samples, seed=seed, count_ties=count_ties,
        aggregate_many=aggregate_many, aggregate_sums=aggregate_sums, progress=progress,
        baseline_name="stats_a",
    )["stats_b"]


def pairwise_randomization(
    stats_by_system: Mapping[str, np.ndarray],
    aggregate: Aggregate,
    *,
    n_samples: int = 10000,
    seed: int = 12345,
    count_ties: bool = True,
    aggregate_many: AggregateMany | None = None,
    aggregate_sums: AggregateSums | None = None,
    progress: Progress | None = None,
) -> dict[tuple[str, str], PairedTestResult]:
    """Approximate randomization of every pair of systems, keyed ``(a, b)`` with ``a``
    before ``b`` in the mapping's order (``a`` plays the baseline). Each result equals
    ``paired_approximate_randomization(stats[a], stats[b], ...)`` with the same seed; all
    pairs share one set of trials and one matrix product. ``progress`` counts trials."""
    arrays = _systems(stats_by_system, "pairwise_randomization")
    n_samples = _check_int(n_samples, "n_samples", 1)
    seed = _check_int(seed, "seed", 0)
    names = list(arrays)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    if not pairs:
        return {}
    return _randomization(arrays, pairs, Scorer(aggregate, aggregate_many, aggregate_sums),
                          n_samples=n_samples, seed=seed, count_ties=count_ties, progress=progress)


def paired_tests_many(
    baseline_stats: np.ndarray,
    stats_by_system: Mapping[str, np.ndarray],
    aggregate: Aggregate,
    *,
    bootstrap_samples: int = 1000,
    randomization_samples: int = 10000,
    seed: int = 12345,
    count_ties: bool = True,
    aggregate_many: AggregateMany | None = None,
    aggregate_sums: AggregateSums | None = None,
    progress: Progress | None = None,
) -> dict[str, dict[str, PairedTestResult]]:
    """Both paired tests of every system against the baseline:
    ``{system: {"bootstrap": ..., "randomization": ...}}`` (the layout of ``row.paired``).
    ``progress`` counts resamples then trials (``bootstrap_samples + randomization_samples``)."""
    bootstrap_samples = _check_int(bootstrap_samples, "bootstrap_samples", 1)
    randomization_samples = _check_int(randomization_samples, "randomization_samples", 1)
    tick = _progress(progress, bootstrap_samples + randomization_samples)
    quiet = _NoRestart(tick)
    common = {"seed": seed, "count_ties": count_ties, "aggregate_many": aggregate_many,
              "aggregate_sums": aggregate_sums, "progress": quiet}
    boot = paired_bootstrap_many(baseline_stats, stats_by_system, aggregate, n_samples=bootstrap_samples, **common)
    rand = paired_randomization_many(
        baseline_stats, stats_by_system, aggregate, n_samples=randomization_samples, **common
    )
    return {name: {"bootstrap": boot[name], "randomization": rand[name]} for name in boot}


class _NoRestart:
    """Forwards ``advance`` only: one bar for several steps that each call ``start``."""

    def __init__(self, inner: Progress) -> None:
        self.inner = inner

    def start(self, total: int) -> None:
        pass

    def advance(self, n: int, tokens: int = 0) -> None:
        self.inner.advance(n, tokens=tokens)


def cluster_systems(
    stats_by_system: Mapping[str, np.ndarray],
    aggregate: Aggregate,
    *,
    higher_is_better: bool,
    alpha: float = 0.05,
    n_samples: int = 10000,
    seed: int = 12345,
    count_ties: bool = True,
    aggregate_many: AggregateMany | None = None,
    aggregate_sums: AggregateSums | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """:func:`significance_clusters` from statistics: scores from ``aggregate`` on the full
    data, p-values from :func:`pairwise_randomization` (all pairs on shared trials)."""
    tests = pairwise_randomization(
        stats_by_system, aggregate, n_samples=n_samples, seed=seed, count_ties=count_ties,
        aggregate_many=aggregate_many, aggregate_sums=aggregate_sums, progress=progress,
    )
    scorer = Scorer(aggregate)
    scores = {name: scorer.exact(_check_stats(arr, f"stats of {name!r}"), name)
              for name, arr in stats_by_system.items()}
    pvalues = {pair: test.p_value for pair, test in tests.items()}
    return significance_clusters(scores, pvalues, higher_is_better=higher_is_better, alpha=alpha)


def significance_clusters(
    scores: Mapping[str, float],
    pairwise_p: Mapping[tuple[str, str], float],
    *,
    higher_is_better: bool,
    alpha: float = 0.05,
) -> dict[str, int]:
    """Group systems into ranked significance clusters (1 = best), WMT style.

    Systems are sorted best first (ties in score broken by name, so the result never
    depends on dict order). The best system opens cluster 1. Walking down the list, a
    system opens a new cluster only if it is *significantly worse* than **every** system
    already in the current cluster — ``p < alpha`` for each pair and a strictly worse
    score; otherwise it joins the current cluster.

    Consequences: the system that opens cluster r+1 is significantly worse than every
    member of cluster r; every other member of a cluster is not significantly worse than
    at least one system ranked above it in that cluster; systems with equal scores always
    share a cluster (even when a test called them different). Being greedy, the rule does
    not promise that *every* member of a lower cluster is significantly worse than every
    member of every higher one — p-values need not grow with the score gap.

    ``pairwise_p`` is keyed by either order of a pair (``(x, y)`` or ``(y, x)``); only the
    pairs the walk needs must be present. Returns ``{system: rank}`` ordered best first.
    """
    alpha = _check_probability(alpha, "alpha")
    ordered = _rank_order(scores, higher_is_better)
    p_of = _pair_lookup(pairwise_p, set(scores))

    def worse(lower: str, upper: str) -> bool:
        better_score = scores[upper] > scores[lower] if higher_is_better else scores[upper] < scores[lower]
        return better_score and p_of(upper, lower) < alpha

    ranks: dict[str, int] = {}
    cluster: list[str] = []
    rank = 0
    for system in ordered:
        if not cluster or all(worse(system, member) for member in cluster):
            rank += 1
            cluster = []
        cluster.append(system)
        ranks[system] = rank
    return ranks


def _rank_order(scores: Mapping[str, float], higher_is_better: bool) -> list[str]:
    """Systems best first; equal scores fall back to the name for a deterministic order."""
    if not scores:
        raise ValueError("significance_clusters: no systems given")
    for name, value in scores.items():
        if not isinstance(name, str):
            raise ValueError(f"significance_clusters: system names must be strings, got {name!r}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ValueError(
                f"significance_clusters: score of {name!r} must be a finite number, got {value!r}"
            )
    sign = -1.0 if higher_is_better else 1.0
    return sorted(scores, key=lambda name: (sign * float(scores[name]), name))


def _pair_lookup(
    pairwise_p: Mapping[tuple[str, str], float], systems: set[str]
) -> Callable[[str, str], float]:
    """Validate the p-value table once and return an order-insensitive lookup.

    Unknown names are rejected (they are almost always typos), and so are both orders of a
    pair with different p-values: the paired tests here are symmetric, so a disagreement
    means the table was built from mismatched runs.
    """
    table: dict[frozenset[str], float] = {}
    for key, value in pairwise_p.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ValueError(f"pairwise_p keys must be (system, system) tuples, got {key!r}")
        x, y = key
        unknown = {x, y} - systems
        if unknown:
            raise ValueError(f"pairwise_p mentions systems without a score: {sorted(map(str, unknown))}")
        if x == y:
            raise ValueError(f"pairwise_p compares {x!r} with itself")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
            raise ValueError(f"p-value for {key!r} must be a number in [0, 1], got {value!r}")
        pair = frozenset(key)
        if pair in table and table[pair] != float(value):
            raise ValueError(
                f"pairwise_p gives two different p-values for {x!r} vs {y!r}: "
                f"{table[pair]} and {float(value)}"
            )
        table[pair] = float(value)

    def lookup(x: str, y: str) -> float:
        try:
            return table[frozenset((x, y))]
        except KeyError:
            raise ValueError(f"pairwise_p has no p-value for {x!r} vs {y!r}") from None

    return lookup
