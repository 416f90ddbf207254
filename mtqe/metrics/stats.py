"""Statistics for system-level MT scores: bootstrap confidence intervals, paired
significance tests and WMT-style significance clusters.

Every metric keeps a per-segment statistics matrix ``stats`` of shape ``(n_segments, k)``
and an ``aggregate(rows) -> float`` that turns any selection of its rows into the corpus
score (sacrebleu's sufficient-statistics design: BLEU sums the rows and applies the BLEU
formula, COMET takes ``rows[:, 0].mean()``). Resampling therefore only ever selects or
swaps *rows*; the metric decides how rows become a score.

Optionally a metric also offers ``aggregate_many(samples) -> scores`` that scores a batch
``(n_batch, n_rows, k) -> (n_batch,)`` at once. It must compute the same function as
``aggregate``; it is only a speed-up. Batches are bounded in size, so memory stays flat
however many samples are drawn. The score on the full data always comes from ``aggregate``.

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
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping

import numpy as np

from mtqe.metrics.base import Aggregate

AggregateMany = Callable[[np.ndarray], np.ndarray]
"""Scores a batch of row selections ``(n_batch, n_rows, k)`` -> ``(n_batch,)``."""

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


def _check_pair(stats_a: np.ndarray, stats_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paired tests need the same segments scored by both systems, row for row."""
    a = _check_stats(stats_a, "stats_a")
    b = _check_stats(stats_b, "stats_b")
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"paired test: stats_a has {a.shape[0]} segments but stats_b has {b.shape[0]}; "
            "both systems must be scored on the same segments"
        )
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"paired test: stats_a has {a.shape[1]} statistics per segment but stats_b has "
            f"{b.shape[1]}; both must come from the same metric configuration"
        )
    return a, b


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


def _to_score(value: object, what: str) -> float:
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


# --------------------------------------------------------------------------- scoring


def _batches(n_samples: int, elements_per_sample: int) -> Iterator[slice]:
    """Consecutive sample ranges small enough to materialise at once."""
    size = max(1, _MAX_BATCH_ELEMENTS // max(1, elements_per_sample))
    for start in range(0, n_samples, size):
        yield slice(start, min(start + size, n_samples))


def _score_samples(
    build: Callable[[slice], np.ndarray],
    n_samples: int,
    elements_per_sample: int,
    aggregate: Aggregate,
    aggregate_many: AggregateMany | None,
) -> np.ndarray:
    """Score every sample; ``build(sl)`` materialises samples ``sl`` as ``(m, n_rows, k)``.

    Building per batch keeps memory bounded while the random draws, made up front, fix
    which rows each sample uses; batch size therefore cannot change any result.
    """
    scores = np.empty(n_samples, dtype=np.float64)
    for sl in _batches(n_samples, elements_per_sample):
        samples = build(sl)
        if aggregate_many is None:
            scores[sl] = [_to_score(aggregate(rows), "a resample") for rows in samples]
        else:
            scores[sl] = _check_many(aggregate_many(samples), samples.shape[0])
    return scores


def _check_many(values: np.ndarray, expected: int) -> np.ndarray:
    """``aggregate_many`` must return one finite score per sample in the batch."""
    out = np.asarray(values, dtype=np.float64)
    if out.shape != (expected,):
        raise ValueError(
            f"aggregate_many returned shape {out.shape} for a batch of {expected} samples; "
            f"expected ({expected},)"
        )
    if not np.all(np.isfinite(out)):
        raise ValueError("aggregate_many returned NaN or infinite scores")
    return out


def _bootstrap_indices(rng: np.random.Generator, n_segments: int, n_samples: int) -> np.ndarray:
    """sacrebleu's draw: all resamples at once, so one seed fixes them all and the paired
    bootstrap and the confidence interval of the same seed use identical resamples."""
    return rng.choice(n_segments, size=(n_samples, n_segments), replace=True)


def _count_exceeding(null_stats: np.ndarray, observed: float, count_ties: bool) -> int:
    """How many null statistics are at least as extreme as ``observed``."""
    if count_ties:
        return int(np.sum(null_stats >= observed - _TIE_RTOL * abs(observed)))
    return int(np.sum(null_stats > observed))


def _p_value(count: int, n_samples: int) -> float:
    """Add-one estimate: never 0, and a valid (conservative) Monte-Carlo p-value."""
    return (count + 1) / (n_samples + 1)


# --------------------------------------------------------------------------- public API


def bootstrap_ci(
    stats: np.ndarray,
    aggregate: Aggregate,
    *,
    n_samples: int = 1000,
    seed: int = 12345,
    confidence: float = 0.95,
    aggregate_many: AggregateMany | None = None,
) -> ConfidenceInterval:
    """Percentile bootstrap confidence interval of a corpus score.

    Segments are resampled with replacement (``n_segments`` per resample, sacrebleu's
    draw). The bounds are order statistics of the sorted resample scores:
    ``low = s[j]`` and ``high = s[n_samples - 1 - j]`` with
    ``j = floor(n_samples * (1 - confidence) / 2)``. For 95% that is sacrebleu's
    ``estimate_ci`` (``j = n // 40``); sacrebleu reports ``mean ± (high - low) / 2`` where
    we keep both bounds, since bootstrap distributions of BLEU are often skewed.
    """
    arr = _check_stats(stats, "stats")
    n_samples = _check_int(n_samples, "n_samples", 1)
    seed = _check_int(seed, "seed", 0)
    confidence = _check_probability(confidence, "confidence")

    score = _to_score(aggregate(arr), "the full data")
    idxs = _bootstrap_indices(np.random.default_rng(seed), arr.shape[0], n_samples)
    scores = _score_samples(lambda sl: arr[idxs[sl]], n_samples, arr.size, aggregate, aggregate_many)
    low, high = _percentile_bounds(scores, confidence)
    return ConfidenceInterval(
        score=score,
        low=low,
        high=high,
        mean=float(np.mean(scores)),
        confidence=confidence,
        n_samples=n_samples,
        seed=seed,
    )


def _percentile_bounds(scores: np.ndarray, confidence: float) -> tuple[float, float]:
    """Symmetric order-statistic bounds; the tiny slack absorbs binary rounding of
    ``1 - confidence`` (e.g. 1000 * 0.025 must give 25, not 24)."""
    n = scores.shape[0]
    j = math.floor(n * (1.0 - confidence) / 2.0 + 1e-9)
    j = min(j, (n - 1) // 2)
    ordered = np.sort(scores, kind="stable")
    return float(ordered[j]), float(ordered[n - 1 - j])


def paired_bootstrap(
    stats_a: np.ndarray,
    stats_b: np.ndarray,
    aggregate: Aggregate,
    *,
    n_samples: int = 1000,
    seed: int = 12345,
    count_ties: bool = True,
    aggregate_many: AggregateMany | None = None,
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
    a, b = _check_pair(stats_a, stats_b)
    n_samples = _check_int(n_samples, "n_samples", 1)
    seed = _check_int(seed, "seed", 0)

    score_a = _to_score(aggregate(a), "stats_a")
    score_b = _to_score(aggregate(b), "stats_b")
    idxs = _bootstrap_indices(np.random.default_rng(seed), a.shape[0], n_samples)
    samples_a = _score_samples(lambda sl: a[idxs[sl]], n_samples, a.size, aggregate, aggregate_many)
    samples_b = _score_samples(lambda sl: b[idxs[sl]], n_samples, b.size, aggregate, aggregate_many)

    sample_diffs = np.abs(samples_b - samples_a)
    centred = sample_diffs - sample_diffs.mean()
    count = _count_exceeding(centred, abs(score_b - score_a), count_ties)
    return PairedTestResult(
        test=PAIRED_BOOTSTRAP,
        score_a=score_a,
        score_b=score_b,
        delta=score_b - score_a,
        p_value=_p_value(count, n_samples),
        n_samples=n_samples,
        seed=seed,
        count_ties=count_ties,
    )


def paired_approximate_randomization(
    stats_a: np.ndarray,
    stats_b: np.ndarray,
    aggregate: Aggregate,
    *,
    n_samples: int = 10000,
    seed: int = 12345,
    count_ties: bool = True,
    aggregate_many: AggregateMany | None = None,
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
    a, b = _check_pair(stats_a, stats_b)
    n_samples = _check_int(n_samples, "n_samples", 1)
    seed = _check_int(seed, "seed", 0)

    score_a = _to_score(aggregate(a), "stats_a")
    score_b = _to_score(aggregate(b), "stats_b")
    keep = np.random.default_rng(seed).integers(2, size=(n_samples, a.shape[0]), dtype=bool)

    def pseudo(first: np.ndarray, second: np.ndarray) -> Callable[[slice], np.ndarray]:
        return lambda sl: np.where(keep[sl, :, None], first, second)

    samples_a = _score_samples(pseudo(a, b), n_samples, a.size, aggregate, aggregate_many)
    samples_b = _score_samples(pseudo(b, a), n_samples, b.size, aggregate, aggregate_many)

    count = _count_exceeding(np.abs(samples_a - samples_b), abs(score_b - score_a), count_ties)
    return PairedTestResult(
        test=APPROXIMATE_RANDOMIZATION,
        score_a=score_a,
        score_b=score_b,
        delta=score_b - score_a,
        p_value=_p_value(count, n_samples),
        n_samples=n_samples,
        seed=seed,
        count_ties=count_ties,
    )


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


def column_mean(rows: np.ndarray) -> float:
    """``aggregate`` for mean-type metrics (COMET and friends): mean of the first column."""
    return float(np.mean(rows[:, 0]))


def column_mean_many(samples: np.ndarray) -> np.ndarray:
    """Vectorised :func:`column_mean` for ``aggregate_many``."""
    return np.mean(samples[:, :, 0], axis=1)
