"""How far each automatic metric agrees with the human judgments of this run
(docs/agreement.md has the definitions, their sources and what the numbers mean).

Per (document, pair), for every automatic metric against every human metric (a metric whose
signature starts with ``human|``):

* system level: Pearson r, Kendall tau-b (mt-metrics-eval's default variant,
  ``stats.Correlation.Kendall(variant='b')``), pairwise accuracy (Kocmi et al., 2021; ties
  as mt-metrics-eval's ``stats.Agreement``: the signs must be equal) and soft pairwise
  accuracy (Thompson et al., 2024; mt-metrics-eval ``pce.py``) from one-sided paired
  permutation p-values of every system pair;
* segment level, grouped by item (a segment, across systems) then averaged, as
  mt-metrics-eval's ``average_by='item'``: Kendall tau-b, and the tie-calibrated pairwise
  accuracy acc_eq (Deutsch et al., 2023; mt-metrics-eval ``tau_optimization.py``) with one
  epsilon for all items, chosen to maximise the average.

Every score is oriented so that higher means better (a lower-is-better metric is negated),
so "agree" always means both prefer the same system. Intervals are percentile bootstrap
intervals over segments, one shared draw (:func:`~mtqe.metrics.resampling.bootstrap_indices`)
for every metric and statistic of a (document, pair). Systems and segments without human
judgments are left out and counted in the note, never imputed; a statistic that is not
defined (one system, all ties) has no value and says why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from mtqe.metrics.agreement_values import AgreementStat, DeltaAgreement
from mtqe.metrics.base import MetricInfo
from mtqe.metrics.resampling import Scorer, batches, bootstrap_indices, keep_masks
from mtqe.progress import NoProgress, Progress
from mtqe.results import SystemResult

HUMAN_SIGNATURE_PREFIX = "human|"
MIN_DELTA_PAIRS = 3
"""Fewest judged system pairs with at least a delta's size for its agreement estimate."""
BOOTSTRAP_EPSILONS = 200
"""acc_eq thresholds searched per bootstrap resample (quantiles of the |metric differences|
and the full data's best); the full data's value searches every distinct one."""
_MAX_ELEMENTS = 1 << 21  # numbers materialised per batch (16 MiB of float64)

SYSTEM_STATISTICS = ("sys_pearson", "sys_kendall_tau_b", "sys_pairwise_accuracy", "sys_soft_pairwise_accuracy")
SEGMENT_STATISTICS = ("seg_kendall_tau_b_item", "seg_acc_eq_item")
STATISTICS = SYSTEM_STATISTICS + SEGMENT_STATISTICS


@dataclass(frozen=True)
class AgreementSettings:
    """Resampling settings (the run's ``stats`` block)."""

    bootstrap_samples: int = 1000
    randomization_samples: int = 10000
    seed: int = 12345
    confidence: float = 0.95


@dataclass(frozen=True)
class Judged:
    """One metric on the systems compared: its per-segment statistics and scorer (for
    resampling), its full-data system scores and segment scores, all in the systems' order.
    ``sign`` is +1 for higher-is-better, -1 otherwise; ``oriented`` scores are multiplied by it."""

    stats: tuple[np.ndarray, ...]
    scorer: Scorer
    scores: np.ndarray  # (systems,) as the metric reports them
    sign: float
    segments: np.ndarray | None = None  # (segments, systems); NaN where a segment has no score

    @property
    def oriented(self) -> np.ndarray:
        return self.sign * np.asarray(self.scores, dtype=np.float64)

    @property
    def oriented_segments(self) -> np.ndarray | None:
        return None if self.segments is None else self.sign * np.asarray(self.segments, dtype=np.float64)


@dataclass(frozen=True)
class Estimate:
    """A statistic's value and interval, or why it has none."""

    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    note: str = ""
    n_segments: int | None = None  # when the statistic used fewer segments than the comparison


def not_defined(reason: str) -> Estimate:
    return Estimate(None, note=f"not defined: {reason}")


# --------------------------------------------------------------------------- small helpers


def is_human(signature: str) -> bool:
    return signature.startswith(HUMAN_SIGNATURE_PREFIX)


def human_metric_names(rows: Sequence[SystemResult], metric_names: Sequence[str]) -> list[str]:
    """The metrics of the run that are human judgments (signature ``human|...``)."""
    return [m for m in metric_names
            if any(m in r.metrics and is_human(r.metrics[m].signature) for r in rows)]


def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    ia, ib = np.triu_indices(n, 1)
    return ia, ib


def _counts(idxs: np.ndarray, n: int) -> np.ndarray:
    """How often each segment occurs in each resample, ``(samples, n)``."""
    m = idxs.shape[0]
    flat = (idxs + (np.arange(m) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=m * n).reshape(m, n).astype(np.float64)


def interval(samples: np.ndarray, confidence: float) -> tuple[float | None, float | None, int]:
    """Percentile bounds over the finite samples (the order-statistic rule of
    :func:`mtqe.metrics.stats.bootstrap_ci`); also how many samples were not finite."""
    finite = np.sort(samples[np.isfinite(samples)])
    dropped = int(samples.size - finite.size)
    n = finite.size
    if n == 0:
        return None, None, dropped
    j = min(math.floor(n * (1.0 - confidence) / 2.0 + 1e-9), (n - 1) // 2)
    return float(finite[j]), float(finite[n - 1 - j]), dropped


def _estimate(full: float, samples: np.ndarray, confidence: float, note: str = "",
              n_segments: int | None = None) -> Estimate:
    low, high, dropped = interval(samples, confidence)
    notes = [note] if note else []
    if dropped:
        notes.append(f"{dropped} of {samples.size} resamples without a value left out of the interval")
    return Estimate(float(full), low, high, "; ".join(notes), n_segments)


# --------------------------------------------------------------------------- system level


def pearson(m: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Row-wise Pearson r of ``(samples, systems)`` arrays; NaN where either row is constant."""
    mc = m - m.mean(axis=1, keepdims=True)
    hc = h - h.mean(axis=1, keepdims=True)
    den = np.sqrt((mc * mc).sum(axis=1) * (hc * hc).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 0, (mc * hc).sum(axis=1) / np.where(den > 0, den, 1.0), np.nan)
    return np.clip(r, -1.0, 1.0)


def kendall_tau_b(m: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Row-wise Kendall tau-b (scipy's ``kendalltau`` default) of ``(samples, systems)``
    arrays; NaN where every pair ties in either (mt-metrics-eval ``KendallVariants``)."""
    ia, ib = _pairs(m.shape[1])
    sm, sh = np.sign(m[:, ia] - m[:, ib]), np.sign(h[:, ia] - h[:, ib])
    total = ia.size
    product = sm * sh
    con, dis = (product > 0).sum(axis=1), (product < 0).sum(axis=1)
    tie_m, tie_h = (sm == 0).sum(axis=1), (sh == 0).sum(axis=1)
    den = np.sqrt((total - tie_m).astype(np.float64) * (total - tie_h))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (con - dis) / np.where(den > 0, den, 1.0), np.nan)


def pairwise_accuracy(m: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Row-wise share of system pairs whose difference has the same sign for the metric and
    the humans (Kocmi et al., 2021; a tie agrees only with a tie, as mt-metrics-eval's ``Agreement``)."""
    ia, ib = _pairs(m.shape[1])
    return (np.sign(m[:, ia] - m[:, ib]) == np.sign(h[:, ia] - h[:, ib])).mean(axis=1)


def bootstrap_system_scores(judged: Judged, idxs: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Oriented system scores ``(samples, systems)`` on the resamples ``idxs``; NaN where a
    resample leaves a system without a score (a human metric with no judged segment drawn)."""
    n_samples, n = idxs.shape
    n_systems, k = len(judged.stats), judged.stats[0].shape[1]
    out = np.empty((n_samples, n_systems))
    scorer = judged.scorer
    with np.errstate(invalid="ignore", divide="ignore"):
        if scorer.aggregate_sums is not None:
            stacked = np.concatenate([np.asarray(a, dtype=np.float64) for a in judged.stats], axis=1)
            for sl in batches(n_samples, max(n, n_systems * k), _MAX_ELEMENTS):
                sums = (_counts(idxs[sl], n) if weights is None else weights[sl]) @ stacked
                m = sums.shape[0]
                scores = np.asarray(scorer.aggregate_sums(sums.reshape(m * n_systems, k), n), dtype=np.float64)
                out[sl] = scores.reshape(m, n_systems)
        else:
            for sl in batches(n_samples, n * k, _MAX_ELEMENTS):
                for s, arr in enumerate(judged.stats):
                    rows = np.asarray(arr)[idxs[sl]]
                    if scorer.aggregate_many is not None:
                        out[sl, s] = np.asarray(scorer.aggregate_many(rows), dtype=np.float64)
                    else:
                        out[sl, s] = [_safe(scorer.aggregate, r) for r in rows]
    return judged.sign * out


def _safe(aggregate, rows: np.ndarray) -> float:
    try:
        return float(aggregate(rows))
    except (ValueError, ZeroDivisionError, FloatingPointError):
        return float("nan")


def one_sided_pvalues(judged: Judged, keep: np.ndarray) -> np.ndarray:
    """For every system pair ``(i, j)``, ``i < j``: the paired permutation p-value of
    "system i is better than system j" (one-sided, on the oriented scores), from the trials
    ``keep`` (:func:`~mtqe.metrics.resampling.keep_masks`: True keeps a segment's rows, False
    swaps them): ``(#{null delta >= observed} + 1) / (trials + 1)``, the add-one rule of
    :mod:`mtqe.metrics.stats` (mt-metrics-eval's ``pce.py`` counts without the +1)."""
    n_trials, n = keep.shape
    n_systems, k = len(judged.stats), judged.stats[0].shape[1]
    ia, ib = _pairs(n_systems)
    if ia.size == 0:
        return np.empty(0)
    full = judged.oriented
    observed = full[ia] - full[ib]
    tol = 1e-9 * np.maximum(1.0, np.maximum(np.abs(full[ia]), np.abs(full[ib])))
    counts = np.zeros(ia.size, dtype=np.int64)
    scorer = judged.scorer
    arrays = [np.asarray(a, dtype=np.float64) for a in judged.stats]
    with np.errstate(invalid="ignore", divide="ignore"):
        if scorer.aggregate_sums is not None:
            stacked = np.concatenate(arrays, axis=1)
            totals = stacked.sum(axis=0).reshape(n_systems, k)
            for sl in batches(n_trials, max(n, n_systems * k, 3 * ia.size * k), _MAX_ELEMENTS):
                kept = (keep[sl].astype(np.float64) @ stacked).reshape(-1, n_systems, k)
                moved = kept[:, ia] - kept[:, ib]  # kept rows of i minus kept rows of j, per pair
                m = moved.shape[0]
                score_i = np.asarray(scorer.aggregate_sums((totals[ib] + moved).reshape(-1, k), n)).reshape(m, -1)
                score_j = np.asarray(scorer.aggregate_sums((totals[ia] - moved).reshape(-1, k), n)).reshape(m, -1)
                null = judged.sign * (score_i - score_j)
                counts += np.sum(null >= observed - tol, axis=0)
        else:
            for p, (a, b) in enumerate(zip(ia, ib)):
                for sl in batches(n_trials, n * k, _MAX_ELEMENTS):
                    mask = keep[sl, :, None]
                    pseudo_a, pseudo_b = np.where(mask, arrays[a], arrays[b]), np.where(mask, arrays[b], arrays[a])
                    null = judged.sign * (_scores_of(scorer, pseudo_a) - _scores_of(scorer, pseudo_b))
                    counts[p] += int(np.sum(null >= observed[p] - tol[p]))
    return (counts + 1) / (n_trials + 1)


def _scores_of(scorer: Scorer, samples: np.ndarray) -> np.ndarray:
    if scorer.aggregate_many is not None:
        return np.asarray(scorer.aggregate_many(samples), dtype=np.float64)
    return np.array([_safe(scorer.aggregate, rows) for rows in samples])


def soft_pairwise_accuracy(p_metric: np.ndarray, p_human: np.ndarray) -> float:
    """Thompson et al. (2024): ``1 - mean |p_metric - p_human|`` over system pairs."""
    return float(1.0 - np.mean(np.abs(np.asarray(p_metric) - np.asarray(p_human))))


def system_level(metric: Judged, human: Judged, idxs: np.ndarray, keep: np.ndarray, confidence: float,
                 p_human: np.ndarray | None = None, weights: np.ndarray | None = None) -> dict[str, Estimate]:
    """The four system-level statistics of ``metric`` against ``human`` (same systems, same order)."""
    n_systems = len(metric.stats)
    if n_systems < 2:
        reason = f"{n_systems} system with both scores (needs at least 2)"
        return {name: not_defined(reason) for name in SYSTEM_STATISTICS}
    m_full, h_full = metric.oriented[None, :], human.oriented[None, :]
    m_boot, h_boot = bootstrap_system_scores(metric, idxs, weights), bootstrap_system_scores(human, idxs, weights)
    out: dict[str, Estimate] = {}
    ties = _all_ties(m_full[0], h_full[0])
    if n_systems < 3:
        out["sys_pearson"] = not_defined("Pearson needs at least 3 systems (2 points always lie on a line)")
    elif ties:
        out["sys_pearson"] = not_defined(ties)
    else:
        out["sys_pearson"] = _estimate(pearson(m_full, h_full)[0], pearson(m_boot, h_boot), confidence)
    if ties:
        out["sys_kendall_tau_b"] = not_defined(ties)
    else:
        out["sys_kendall_tau_b"] = _estimate(kendall_tau_b(m_full, h_full)[0], kendall_tau_b(m_boot, h_boot),
                                             confidence, "tau-b")
    if _all_equal(h_full[0]):
        out["sys_pairwise_accuracy"] = not_defined("the humans rate every system the same")
        out["sys_soft_pairwise_accuracy"] = not_defined("the humans rate every system the same")
        return out
    finite = np.isfinite(m_boot).all(axis=1) & np.isfinite(h_boot).all(axis=1)
    acc_boot = np.where(finite, pairwise_accuracy(np.nan_to_num(m_boot), np.nan_to_num(h_boot)), np.nan)
    out["sys_pairwise_accuracy"] = _estimate(pairwise_accuracy(m_full, h_full)[0], acc_boot, confidence)
    p_h = one_sided_pvalues(human, keep) if p_human is None else p_human
    spa = soft_pairwise_accuracy(one_sided_pvalues(metric, keep), p_h)
    out["sys_soft_pairwise_accuracy"] = Estimate(
        spa, note=f"one-sided permutation p-values, {keep.shape[0]} trials; no interval "
                  "(a bootstrap would rerun every permutation test per resample)")
    return out


def _all_equal(values: np.ndarray) -> bool:
    return bool(np.all(values == values[0]))


def _all_ties(m: np.ndarray, h: np.ndarray) -> str:
    if _all_equal(h):
        return "the humans rate every system the same"
    if _all_equal(m):
        return "the metric scores every system the same"
    return ""


# --------------------------------------------------------------------------- segment level


@dataclass(frozen=True)
class ItemPairs:
    """The system pairs within each item (segment) where both systems have both scores."""

    item: np.ndarray  # (pairs,) the item of each pair
    dm: np.ndarray  # (pairs,) oriented metric difference
    dh: np.ndarray  # (pairs,) human difference
    n_items: int

    @staticmethod
    def of(metric: np.ndarray, human: np.ndarray) -> "ItemPairs":
        """From ``(segments, systems)`` oriented scores, NaN where a segment has none."""
        metric, human = np.asarray(metric, dtype=np.float64), np.asarray(human, dtype=np.float64)
        ia, ib = _pairs(metric.shape[1])
        valid = np.isfinite(metric) & np.isfinite(human)
        ok = valid[:, ia] & valid[:, ib]
        items = np.broadcast_to(np.arange(metric.shape[0])[:, None], ok.shape)
        return ItemPairs(item=items[ok], dm=(metric[:, ia] - metric[:, ib])[ok],
                         dh=(human[:, ia] - human[:, ib])[ok], n_items=metric.shape[0])

    def per_item(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.item, weights=values, minlength=self.n_items)


def item_kendall_tau_b(pairs: ItemPairs) -> np.ndarray:
    """Kendall tau-b of each item (across its systems); NaN where the item has fewer than two
    systems or all its pairs tie in either score (mt-metrics-eval drops those from the average)."""
    sm, sh = np.sign(pairs.dm), np.sign(pairs.dh)
    total = pairs.per_item(np.ones_like(sm))
    con, dis = pairs.per_item((sm * sh > 0).astype(float)), pairs.per_item((sm * sh < 0).astype(float))
    tie_m, tie_h = pairs.per_item((sm == 0).astype(float)), pairs.per_item((sh == 0).astype(float))
    den = np.sqrt((total - tie_m) * (total - tie_h))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (con - dis) / np.where(den > 0, den, 1.0), np.nan)


def acc_eq_curve(pairs: ItemPairs) -> tuple[np.ndarray, np.ndarray]:
    """acc_eq averaged over items at every tie threshold epsilon: 0 and each distinct
    |metric difference| (the exact search of mt-metrics-eval's ``tau_optimization``).

    The average of per-item accuracies is a weighted sum over pairs (weight
    ``1 / (items * pairs of its item)``), so one sort gives the whole curve: a human-tied pair
    counts once ``epsilon >= |dm|``, a concordant pair while ``epsilon < |dm|``.
    Returns ``(thresholds, curve)``."""
    total = pairs.per_item(np.ones(pairs.dm.size))
    weight = 1.0 / (np.count_nonzero(total) * total[pairs.item])
    abs_dm = np.abs(pairs.dm)
    human_tie = pairs.dh == 0
    concordant = ~human_tie & (np.sign(pairs.dm) == np.sign(pairs.dh))
    thresholds = np.unique(np.concatenate([[0.0], abs_dm]))

    def weight_at_most(mask: np.ndarray) -> np.ndarray:  # per threshold: weight of pairs |dm| <= it
        order = np.argsort(abs_dm[mask], kind="stable")
        cum = np.concatenate([[0.0], np.cumsum(weight[mask][order])])
        return cum[np.searchsorted(abs_dm[mask][order], thresholds, side="right")]

    tied = weight_at_most(human_tie)
    apart = weight[concordant].sum() - weight_at_most(concordant)
    return thresholds, tied + apart


def epsilon_grid(pairs: ItemPairs, best: float) -> np.ndarray:
    """The thresholds searched in each bootstrap resample: 0, ``best`` and quantiles of the
    |metric differences|, :data:`BOOTSTRAP_EPSILONS` at most (bounds the cost of a resample)."""
    diffs = np.abs(pairs.dm)
    grid = np.quantile(diffs, np.linspace(0, 1, BOOTSTRAP_EPSILONS - 2), method="lower")
    return np.unique(np.concatenate([[0.0, best], grid]))


def item_acc_eq(pairs: ItemPairs, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per item and tie threshold epsilon: acc_eq = (concordant + tied in both) / pairs, a
    metric difference with ``|dm| <= epsilon`` counting as a metric tie (Deutsch et al., 2023;
    human ties are exact). Returns ``(items, candidates)`` accuracies (0 for items without
    pairs) and the per-item mask of items with pairs."""
    n_c = candidates.size
    pos = np.searchsorted(candidates, np.abs(pairs.dm), side="left")  # first epsilon that ties the pair
    human_tie = pairs.dh == 0
    concordant = ~human_tie & (np.sign(pairs.dm) == np.sign(pairs.dh))
    tie_start = np.zeros((pairs.n_items, n_c + 1))
    np.add.at(tie_start, (pairs.item[human_tie], pos[human_tie]), 1.0)
    conc_end = np.zeros((pairs.n_items, n_c + 1))
    np.add.at(conc_end, (pairs.item[concordant], pos[concordant]), 1.0)
    tied_both = np.cumsum(tie_start, axis=1)[:, :n_c]  # human ties the metric ties at epsilon
    conc = conc_end.sum(axis=1, keepdims=True) - np.cumsum(conc_end, axis=1)[:, :n_c]  # still apart
    total = pairs.per_item(np.ones(pairs.dm.size))
    has = total > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(has[:, None], (tied_both + conc) / np.where(has, total, 1.0)[:, None], 0.0)
    return acc, has


def segment_level(metric: np.ndarray | None, human: np.ndarray | None, idxs: np.ndarray,
                  confidence: float, weights: np.ndarray | None = None) -> dict[str, Estimate]:
    """Item-grouped Kendall tau-b and acc_eq of oriented ``(segments, systems)`` scores;
    ``weights``: the resamples ``idxs`` as counts per segment, when the caller has them."""
    if metric is None:
        return {name: not_defined("the metric has no segment scores") for name in SEGMENT_STATISTICS}
    if human is None:
        return {name: not_defined("the human metric has no segment scores") for name in SEGMENT_STATISTICS}
    pairs = ItemPairs.of(metric, human)
    if pairs.dm.size == 0:
        return {name: not_defined("no segment has two systems with both scores") for name in SEGMENT_STATISTICS}
    weights = _counts(idxs, pairs.n_items) if weights is None else weights
    out: dict[str, Estimate] = {}
    tau = item_kendall_tau_b(pairs)
    defined = np.isfinite(tau)
    if not defined.any():
        out["seg_kendall_tau_b_item"] = not_defined("every segment ties all its systems (metric or humans)")
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = (weights @ np.where(defined, tau, 0.0)) / (weights @ defined.astype(float))
        out["seg_kendall_tau_b_item"] = _estimate(
            float(np.mean(tau[defined])), boot, confidence,
            f"tau-b per segment across systems, averaged over {int(defined.sum())} segments "
            "(segments with all ties left out)", n_segments=int(defined.sum()))
    if np.all(pairs.dh == 0):
        out["seg_acc_eq_item"] = not_defined("the humans tie on every pair of systems in every segment")
        return out
    thresholds, curve = acc_eq_curve(pairs)
    best = int(np.argmax(curve))  # the smallest epsilon among equal maxima
    grid = epsilon_grid(pairs, float(thresholds[best]))
    acc, has = item_acc_eq(pairs, grid)
    boot = np.empty(weights.shape[0])
    for sl in batches(weights.shape[0], grid.size + pairs.n_items, _MAX_ELEMENTS):
        w = weights[sl]
        with np.errstate(invalid="ignore", divide="ignore"):
            boot[sl] = np.max((w @ acc) / (w @ has.astype(float))[:, None], axis=1)
    out["seg_acc_eq_item"] = _estimate(
        float(curve[best]), boot, confidence,
        f"epsilon={thresholds[best]:.6g} (best of {thresholds.size} thresholds; "
        f"re-chosen per resample among {grid.size})",
        n_segments=int(has.sum()))
    return out


# --------------------------------------------------------------------------- a run's rows


def agreement_for_rows(
    rows: Sequence[SystemResult],
    metric_names: Sequence[str],
    metric_info: Mapping[str, MetricInfo],
    scorers: Mapping[str, Scorer],
    baseline: str,
    settings: AgreementSettings = AgreementSettings(),
    *,
    progress: Progress | None = None,
) -> tuple[tuple[AgreementStat, ...], tuple[DeltaAgreement, ...]]:
    """Agreement statistics and delta agreement of every automatic metric against every human
    metric, per (document, pair), from the ``subset == "all"`` rows with output. Empty when
    the run has no human metric."""
    humans = human_metric_names(rows, metric_names)
    if not humans:
        return (), ()
    automatic = [m for m in metric_names if m not in humans]
    groups: dict[tuple[str, str, str], list[SystemResult]] = {}
    for row in rows:
        if row.subset == "all":
            groups.setdefault((row.document, row.src_lang, row.tgt_lang), []).append(row)
    tick = progress or NoProgress()
    tick.start(len(groups) * len(humans) * max(1, len(automatic)))
    stats: list[AgreementStat] = []
    deltas: list[DeltaAgreement] = []
    for key, group in groups.items():
        ok = [r for r in group if r.status == "ok"]
        for human in humans:
            comparison = _Comparison(key, ok, human, metric_info, scorers, settings)
            for metric in automatic:
                stats += comparison.statistics(metric)
                deltas += comparison.deltas(metric, group, baseline)
                tick.advance(1)
    return tuple(stats), tuple(deltas)


def _usable(row: SystemResult, metric: str) -> bool:
    result = row.metrics.get(metric)
    return result is not None and result.score is not None and result.stats is not None


def _listed(names: Sequence[str], limit: int = 5) -> str:
    return ", ".join(names[:limit]) + (", …" if len(names) > limit else "")


class _Comparison:
    """One (document, pair) and one human metric: the judged systems and the shared draws."""

    def __init__(self, key: tuple[str, str, str], rows: list[SystemResult], human: str,
                 metric_info: Mapping[str, MetricInfo], scorers: Mapping[str, Scorer],
                 settings: AgreementSettings) -> None:
        self.key, self.human, self.info, self.scorers, self.settings = key, human, metric_info, scorers, settings
        self.judged = [r for r in rows if _usable(r, human)]
        self.unjudged = [r.system for r in rows if not _usable(r, human)]
        self.n = self.judged[0].metrics[human].stats.shape[0] if self.judged else 0
        self.idxs = bootstrap_indices(settings.seed, self.n, settings.bootstrap_samples) if self.n else None
        self.keep = keep_masks(settings.seed, self.n, settings.randomization_samples) if self.n else None
        self.weights = _counts(self.idxs, self.n) if self.n else None  # the same draw as counts
        self._p_human: dict[tuple[str, ...], np.ndarray] = {}

    def _judged(self, metric: str, rows: list[SystemResult]) -> Judged:
        results = [r.metrics[metric] for r in rows]
        segments = None
        if all(res.segment_scores is not None for res in results):
            segments = np.array([res.segment_scores for res in results], dtype=np.float64).T
        return Judged(
            stats=tuple(np.asarray(res.stats) for res in results), scorer=self.scorers[metric],
            scores=np.array([res.score for res in results], dtype=np.float64),
            sign=1.0 if self.info[metric].higher_is_better else -1.0, segments=segments,
        )

    def _stat(self, metric: str, statistic: str, est: Estimate, n_systems: int, n_segments: int,
              notes: list[str]) -> AgreementStat:
        document, src, tgt = self.key
        return AgreementStat(
            document=document, src_lang=src, tgt_lang=tgt, metric=metric, human=self.human, statistic=statistic,
            value=est.value, ci_low=est.ci_low, ci_high=est.ci_high, n_systems=n_systems,
            n_segments=n_segments if est.n_segments is None else est.n_segments,
            note="; ".join(n for n in [est.note, *notes] if n),
        )

    def statistics(self, metric: str) -> list[AgreementStat]:
        rows = [r for r in self.judged if _usable(r, metric)]
        notes = []
        if self.unjudged:
            notes.append(f"{len(self.unjudged)} system(s) without {self.human} judgments left out "
                         f"({_listed(self.unjudged)})")
        unscored = [r.system for r in self.judged if not _usable(r, metric)]
        if unscored:
            notes.append(f"{len(unscored)} judged system(s) without a {metric} score left out ({_listed(unscored)})")
        if not rows:
            reason = (f"no system has {self.human} judgments" if not self.judged
                      else f"no judged system has a {metric} score")
            return [self._stat(metric, s, not_defined(reason), 0, 0, notes) for s in STATISTICS]
        metric_j, human_j = self._judged(metric, rows), self._judged(self.human, rows)
        valid = np.stack([np.asarray(r.metrics[self.human].stats)[:, 1] > 0 for r in rows], axis=1)
        n_judged = int(valid.any(axis=1).sum())
        if n_judged < self.n:
            notes.append(f"{self.n - n_judged} of {self.n} segments without any judgment left out "
                         f"(system scores: {metric} on all segments, {self.human} on the judged ones)")
        names = tuple(r.system for r in rows)
        if names not in self._p_human and len(rows) >= 2:
            self._p_human[names] = one_sided_pvalues(human_j, self.keep)
        conf = self.settings.confidence
        estimates = system_level(metric_j, human_j, self.idxs, self.keep, conf, self._p_human.get(names),
                                 self.weights)
        estimates.update(segment_level(metric_j.oriented_segments, human_j.oriented_segments, self.idxs, conf,
                                       self.weights))
        return [self._stat(metric, s, estimates[s], len(rows), n_judged, notes) for s in STATISTICS]

    def deltas(self, metric: str, group: list[SystemResult], baseline: str) -> list[DeltaAgreement]:
        """Item 4 of docs/agreement.md: for each row against the baseline, the share of judged
        system pairs with at least this |delta| on which the metric and the humans agree."""
        document, src, tgt = self.key
        base = next((r for r in group if r.system == baseline), None)
        rows = [r for r in self.judged if _usable(r, metric)]
        scores = {r.system: (r.metrics[metric].score, r.metrics[self.human].score) for r in rows}
        sign_m = 1.0 if self.info[metric].higher_is_better else -1.0
        sign_h = 1.0 if self.info[self.human].higher_is_better else -1.0
        pair_deltas = [(sign_m * (scores[a][0] - scores[b][0]), sign_h * (scores[a][1] - scores[b][1]))
                       for a, b in combinations(scores, 2)]
        out = []
        for row in group:
            if row.system == baseline or row.status != "ok":
                continue
            delta, probability, n_pairs, n_agree = None, None, 0, 0
            mine, theirs = row.metrics.get(metric), base.metrics.get(metric) if base else None
            if base is None or base.status != "ok":
                note = f"no baseline {baseline!r} output here"
            elif mine is None or mine.score is None or theirs is None or theirs.score is None:
                note = f"no {metric} delta"
            elif not self.judged:
                note = f"no {self.human} judgments for this document"
            else:
                delta = float(mine.score - theirs.score)
                size = abs(delta) * (1 - 1e-12)
                chosen = [(dm, dh) for dm, dh in pair_deltas if abs(dm) >= size]
                n_pairs = len(chosen)
                n_agree = sum(np.sign(dm) == np.sign(dh) for dm, dh in chosen)
                if n_pairs < MIN_DELTA_PAIRS:
                    note = (f"{n_pairs} judged system pair(s) with |delta| >= {abs(delta):.4g}; "
                            f"at least {MIN_DELTA_PAIRS} needed")
                else:
                    probability = n_agree / n_pairs
                    note = ""
            out.append(DeltaAgreement(
                document=document, src_lang=src, tgt_lang=tgt, system=row.system, baseline=baseline,
                metric=metric, human=self.human, delta=delta, probability=probability,
                n_pairs=n_pairs, n_agree=int(n_agree), note=note,
            ))
        return out
