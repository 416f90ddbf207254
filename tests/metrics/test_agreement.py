"""Metric–human agreement (mtqe.metrics.agreement) against hand computations and scipy, on
synthetic human scores whose agreement with the metric is known by construction."""

from __future__ import annotations

import json
import math
from itertools import combinations

import numpy as np
import pytest
import scipy.stats

from mtqe.metrics.agreement import (
    MIN_DELTA_PAIRS,
    STATISTICS,
    AgreementSettings,
    ItemPairs,
    agreement_for_rows,
    acc_eq_curve,
    epsilon_grid,
    item_acc_eq,
    item_kendall_tau_b,
    Judged,
    bootstrap_system_scores,
    one_sided_pvalues,
    kendall_tau_b,
    pairwise_accuracy,
    pearson,
    segment_level,
    soft_pairwise_accuracy,
)
from mtqe.metrics.base import MeanOfSegments, MeanOfValid, MetricInfo, MetricResult
from mtqe.metrics.resampling import Scorer, bootstrap_indices, keep_masks
from mtqe.results import RunResult, SystemResult

HUMAN_SIG = "human|protocol:esa|name:human"
SETTINGS = AgreementSettings(bootstrap_samples=200, randomization_samples=500, seed=7)


# --------------------------------------------------------------------------- building blocks


@pytest.mark.parametrize("seed", range(5))
def test_system_statistics_match_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(1, 7))
    h = np.round(m + rng.normal(scale=0.8, size=(1, 7)), 1)  # rounding makes some human ties
    m[0, 3] = m[0, 5]  # and a metric tie
    assert pearson(m, h)[0] == pytest.approx(scipy.stats.pearsonr(m[0], h[0]).statistic)
    assert kendall_tau_b(m, h)[0] == pytest.approx(scipy.stats.kendalltau(m[0], h[0], variant="b").statistic)


def test_pairwise_accuracy_by_hand() -> None:
    m = np.array([[3.0, 2.0, 1.0, 1.0]])
    h = np.array([[30.0, 10.0, 20.0, 20.0]])
    # pairs: (0,1) agree, (0,2) agree, (0,3) agree, (1,2) disagree, (1,3) disagree, (2,3) tie-tie agree
    assert pairwise_accuracy(m, h)[0] == pytest.approx(4 / 6)
    assert kendall_tau_b(m, h)[0] == pytest.approx(scipy.stats.kendalltau(m[0], h[0]).statistic)


def test_undefined_correlations_are_nan_not_numbers() -> None:
    m = np.array([[1.0, 1.0, 1.0]])
    h = np.array([[1.0, 2.0, 3.0]])
    assert math.isnan(pearson(m, h)[0])
    assert math.isnan(kendall_tau_b(m, h)[0])


def test_soft_pairwise_accuracy_by_hand() -> None:
    assert soft_pairwise_accuracy(np.array([0.01, 0.5, 0.9]), np.array([0.01, 0.3, 0.6])) == pytest.approx(
        1 - (0 + 0.2 + 0.3) / 3)


def _judged(values: np.ndarray, sign: float, fast: bool) -> Judged:
    mean = MeanOfSegments()
    scorer = Scorer(mean.aggregate, mean.aggregate_many, mean.aggregate_sums) if fast else Scorer(mean.aggregate)
    return Judged(stats=tuple(values[:, j:j + 1] for j in range(values.shape[1])), scorer=scorer,
                  scores=values.mean(axis=0), sign=sign)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_one_sided_pvalues_match_a_loop_over_the_same_trials(fast: bool, sign: float) -> None:
    values = np.random.default_rng(2).normal(size=(30, 4)) + np.array([0.0, 0.3, 0.3, -0.5])
    keep = keep_masks(5, 30, 300)
    got = one_sided_pvalues(_judged(values, sign, fast), keep)
    expected = []
    for a, b in combinations(range(4), 2):
        observed = sign * (values[:, a].mean() - values[:, b].mean())
        null = [sign * (np.where(k, values[:, a], values[:, b]).mean() - np.where(k, values[:, b], values[:, a]).mean())
                for k in keep]
        expected.append((sum(x >= observed - 1e-9 for x in null) + 1) / (len(keep) + 1))
    np.testing.assert_allclose(got, expected)
    # identical systems: the observed delta 0 is matched by every trial, p = 1
    assert one_sided_pvalues(_judged(np.repeat(values[:, :1], 2, axis=1), sign, fast), keep)[0] == 1.0


@pytest.mark.parametrize("fast", [True, False])
def test_bootstrap_system_scores_are_the_scores_of_the_resampled_segments(fast: bool) -> None:
    values = np.random.default_rng(4).normal(size=(25, 3))
    idxs = bootstrap_indices(1, 25, 40)
    got = bootstrap_system_scores(_judged(values, -1.0, fast), idxs)
    np.testing.assert_allclose(got, -values[idxs].mean(axis=1))


def _with_missing(rng: np.random.Generator, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    h = rng.integers(0, 4, size=shape).astype(float)  # few levels: many human ties
    m = np.round(h + rng.normal(scale=1.0, size=shape), 1)
    h[rng.random(shape) < 0.2] = np.nan
    return m, h


def test_item_grouped_kendall_matches_scipy_per_segment() -> None:
    rng = np.random.default_rng(3)
    m, h = _with_missing(rng, (40, 5))
    taus = item_kendall_tau_b(ItemPairs.of(m, h))
    for i in range(40):
        ok = np.isfinite(h[i])
        if ok.sum() < 2:
            assert math.isnan(taus[i])
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = scipy.stats.kendalltau(m[i, ok], h[i, ok]).statistic
        assert (math.isnan(taus[i]) and math.isnan(expected)) or taus[i] == pytest.approx(expected)
    idxs = np.random.default_rng(0).choice(40, size=(50, 40))
    est = segment_level(m, h, idxs, 0.95)["seg_kendall_tau_b_item"]
    assert est.value == pytest.approx(float(np.nanmean(taus)))
    assert est.ci_low <= est.ci_high


def _acc_eq_brute_force(m: np.ndarray, h: np.ndarray) -> tuple[float, float]:
    """acc23 of Deutsch et al. by loops, at every threshold (0 and each |metric difference|)."""
    pairs = []  # (item, dm, dh)
    for i in range(m.shape[0]):
        for a, b in combinations(range(m.shape[1]), 2):
            if np.isfinite(h[i, a]) and np.isfinite(h[i, b]):
                pairs.append((i, m[i, a] - m[i, b], h[i, a] - h[i, b]))
    best, best_eps = -1.0, None
    for eps in sorted({0.0} | {abs(dm) for _, dm, _ in pairs}):
        per_item: dict[int, list[int]] = {}
        for item, dm, dh in pairs:
            metric_tie = abs(dm) <= eps
            good = (dh == 0 and metric_tie) or (dh != 0 and not metric_tie and (dm > 0) == (dh > 0))
            per_item.setdefault(item, []).append(int(good))
        value = float(np.mean([np.mean(v) for v in per_item.values()]))
        if value > best + 1e-12:
            best, best_eps = value, eps
    return best, best_eps


def test_acc_eq_matches_a_brute_force_epsilon_search() -> None:
    rng = np.random.default_rng(11)
    m, h = _with_missing(rng, (30, 4))
    expected, eps = _acc_eq_brute_force(m, h)
    pairs = ItemPairs.of(m, h)
    thresholds, curve = acc_eq_curve(pairs)
    assert curve.max() == pytest.approx(expected)
    assert thresholds[np.argmax(curve)] == eps
    # the per-item matrix of the bootstrap gives the same curve at the same thresholds
    acc, has = item_acc_eq(pairs, thresholds)
    np.testing.assert_allclose(acc[has].mean(axis=0), curve)
    grid = epsilon_grid(pairs, eps)
    assert eps in grid and 0.0 in grid
    est = segment_level(m, h, np.random.default_rng(0).choice(30, size=(40, 30)), 0.95)["seg_acc_eq_item"]
    assert est.value == pytest.approx(expected)
    assert f"epsilon={eps:.6g}" in est.note
    assert est.ci_low <= est.ci_high


def test_segment_level_without_pairs_or_with_only_human_ties_is_not_defined() -> None:
    idxs = np.zeros((5, 3), dtype=int)
    one_system = segment_level(np.ones((3, 1)), np.ones((3, 1)), idxs, 0.95)
    assert all(e.value is None and e.note.startswith("not defined:") for e in one_system.values())
    ties = segment_level(np.arange(6.0).reshape(3, 2), np.ones((3, 2)), idxs, 0.95)
    assert ties["seg_acc_eq_item"].value is None and "tie" in ties["seg_acc_eq_item"].note
    assert ties["seg_kendall_tau_b_item"].value is None
    assert segment_level(None, np.ones((3, 2)), idxs, 0.95)["seg_acc_eq_item"].note == (
        "not defined: the metric has no segment scores")


# --------------------------------------------------------------------------- synthetic runs


class _Mean(MeanOfSegments):
    pass


class _Human(MeanOfValid):
    pass


SCORERS = {
    "toy": Scorer(_Mean().aggregate, _Mean().aggregate_many, _Mean().aggregate_sums),
    "toy_ter": Scorer(_Mean().aggregate, _Mean().aggregate_many, _Mean().aggregate_sums),
    "human": Scorer(_Human().aggregate, _Human().aggregate_many, _Human().aggregate_sums),
}
INFO = {
    "toy": MetricInfo("toy", True, False, False),
    "toy_ter": MetricInfo("toy_ter", False, False, False),  # lower is better
    "human": MetricInfo("human", True, False, False),
}


def _metric(name: str, values: np.ndarray) -> MetricResult:
    return MetricResult(metric=name, score=float(values.mean()), signature=f"{name}|toy",
                        segment_scores=tuple(values), stats=values.reshape(-1, 1).astype(float))


def _human(values: np.ndarray) -> MetricResult:
    valid = np.isfinite(values)
    if not valid.any():
        return MetricResult.not_available("human", HUMAN_SIG, "no judgments for this system")
    return MetricResult(metric="human", score=float(values[valid].mean()), signature=HUMAN_SIG,
                        segment_scores=tuple(values), stats=MeanOfValid.valid_stats(np.nan_to_num(values), valid))


def _rows(human: np.ndarray, metrics: dict[str, np.ndarray], systems: list[str] | None = None) -> list[SystemResult]:
    """``human`` and each metric: ``(segments, systems)``."""
    systems = systems or [f"s{i}" for i in range(human.shape[1])]
    return [
        SystemResult(document="doc", src_lang="ja", tgt_lang="zh", system=name, kind="existing", status="ok",
                     n_segments=human.shape[0],
                     metrics={"human": _human(human[:, j]), **{m: _metric(m, v[:, j]) for m, v in metrics.items()}})
        for j, name in enumerate(systems)
    ]


def _synthetic(n_seg: int = 60, n_sys: int = 6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    quality = np.linspace(40, 90, n_sys)
    return quality[None, :] + rng.normal(scale=8.0, size=(n_seg, n_sys))


def _table(stats) -> dict[tuple[str, str], object]:
    return {(s.metric, s.statistic): s for s in stats}


def test_noise_free_metric_agrees_perfectly_and_a_reversed_one_not_at_all() -> None:
    human = _synthetic()
    rows = _rows(human, {"toy": human * 0.01 + 3.0, "toy_ter": -human})  # toy_ter is lower-better: agrees
    rows_rev = _rows(human, {"toy": -human, "toy_ter": human})
    stats, _ = agreement_for_rows(rows, ["toy", "toy_ter", "human"], INFO, SCORERS, "s0", SETTINGS)
    table = _table(stats)
    assert {s.statistic for s in stats} == set(STATISTICS)
    for metric in ("toy", "toy_ter"):
        for statistic in STATISTICS:
            assert table[metric, statistic].value == pytest.approx(1.0), (metric, statistic)
        assert table[metric, "sys_pearson"].ci_low == pytest.approx(1.0)
        assert table[metric, "sys_pairwise_accuracy"].ci_low == pytest.approx(1.0)
        assert table[metric, "sys_kendall_tau_b"].n_systems == 6
    reversed_table = _table(agreement_for_rows(rows_rev, ["toy", "toy_ter", "human"], INFO, SCORERS, "s0",
                                               SETTINGS)[0])
    for metric in ("toy", "toy_ter"):
        assert reversed_table[metric, "sys_pairwise_accuracy"].value == 0.0
        assert reversed_table[metric, "sys_kendall_tau_b"].value == pytest.approx(-1.0)
        assert reversed_table[metric, "sys_pearson"].value == pytest.approx(-1.0)
        assert reversed_table[metric, "seg_kendall_tau_b_item"].value == pytest.approx(-1.0)
        assert reversed_table[metric, "sys_soft_pairwise_accuracy"].value < 0.2


@pytest.mark.parametrize("noise", [2.0, 20.0])
def test_noisy_metric_matches_scipy_on_the_system_scores(noise: float) -> None:
    human = _synthetic(seed=1)
    metric = human + np.random.default_rng(5).normal(scale=noise, size=human.shape)
    table = _table(agreement_for_rows(_rows(human, {"toy": metric}), ["toy", "human"], INFO, SCORERS, "s0",
                                      SETTINGS)[0])
    m, h = metric.mean(axis=0), human.mean(axis=0)
    assert table["toy", "sys_pearson"].value == pytest.approx(scipy.stats.pearsonr(m, h).statistic)
    assert table["toy", "sys_kendall_tau_b"].value == pytest.approx(scipy.stats.kendalltau(m, h).statistic)
    agree = [np.sign(m[a] - m[b]) == np.sign(h[a] - h[b]) for a, b in combinations(range(6), 2)]
    assert table["toy", "sys_pairwise_accuracy"].value == pytest.approx(np.mean(agree))
    seg = [scipy.stats.kendalltau(metric[i], human[i]).statistic for i in range(human.shape[0])]
    assert table["toy", "seg_kendall_tau_b_item"].value == pytest.approx(np.mean(seg))
    for s in table.values():
        assert s.ci_low is None or s.ci_low <= s.ci_high


def test_more_noise_means_less_agreement() -> None:
    human = _synthetic(n_seg=80, seed=2)
    rng = np.random.default_rng(9)
    values = {}
    for noise in (1.0, 30.0):
        metric = human + rng.normal(scale=noise, size=human.shape)
        table = _table(agreement_for_rows(_rows(human, {"toy": metric}), ["toy", "human"], INFO, SCORERS, "s0",
                                          SETTINGS)[0])
        values[noise] = table["toy", "seg_kendall_tau_b_item"].value
    assert values[1.0] > values[30.0]


def test_missing_judgments_are_left_out_and_counted() -> None:
    human = _synthetic(n_seg=40, n_sys=5, seed=4)
    human[:, 4] = np.nan  # a system nobody judged
    human[:10, :] = np.nan  # segments nobody judged
    human[10:20, 0] = np.nan  # a system judged on fewer segments
    metric = np.nan_to_num(human, nan=50.0) + 1.0
    stats, _ = agreement_for_rows(_rows(human, {"toy": metric}), ["toy", "human"], INFO, SCORERS, "s0", SETTINGS)
    table = _table(stats)
    acc = table["toy", "sys_pairwise_accuracy"]
    assert acc.n_systems == 4 and acc.n_segments == 30
    assert "1 system(s) without human judgments left out (s4)" in acc.note
    assert "10 of 40 segments without any judgment left out" in acc.note
    # the metric's system scores are over all segments, the humans' over the judged ones
    m = metric[:, :4].mean(axis=0)
    h = np.nanmean(human[:, :4], axis=0)
    assert table["toy", "sys_pearson"].value == pytest.approx(scipy.stats.pearsonr(m, h).statistic)
    assert table["toy", "seg_kendall_tau_b_item"].n_segments == 30


def test_single_system_and_all_ties_are_not_defined() -> None:
    human = _synthetic(n_sys=1)
    table = _table(agreement_for_rows(_rows(human, {"toy": human}), ["toy", "human"], INFO, SCORERS, "s0",
                                      SETTINGS)[0])
    for statistic in STATISTICS:
        assert table["toy", statistic].value is None
        assert table["toy", statistic].note.startswith("not defined:")
    flat = np.full((20, 4), 50.0)
    tied = _table(agreement_for_rows(_rows(flat, {"toy": _synthetic(20, 4)}), ["toy", "human"], INFO, SCORERS,
                                     "s0", SETTINGS)[0])
    for statistic in STATISTICS:
        assert tied["toy", statistic].value is None, statistic
        assert "not defined" in tied["toy", statistic].note


def test_no_human_metric_no_agreement() -> None:
    human = _synthetic()
    rows = [SystemResult(**{**r.__dict__, "metrics": {"toy": r.metrics["toy"]}})
            for r in _rows(human, {"toy": human})]
    assert agreement_for_rows(rows, ["toy"], INFO, SCORERS, "s0", SETTINGS) == ((), ())


def test_delta_agreement_by_hand() -> None:
    # System scores: metric m, human h (one segment each makes the scores exact).
    m = np.array([[10.0, 11.0, 13.0, 16.0, 20.0]])
    h = np.array([[50.0, 40.0, 60.0, 70.0, 80.0]])
    rows = _rows(h, {"toy": m})
    _, deltas = agreement_for_rows(rows, ["toy", "human"], INFO, SCORERS, "s0", SETTINGS)
    by_system = {d.system: d for d in deltas}
    assert set(by_system) == {"s1", "s2", "s3", "s4"}  # no row for the baseline itself
    # s3 - s0 = 6: pairs with |dm| >= 6: (0,3) 6, (0,4) 10, (1,3) 5? no, (1,4) 9, (2,4) 7 -> 4 pairs, all agree
    d3 = by_system["s3"]
    assert d3.delta == 6.0 and d3.n_pairs == 4 and d3.n_agree == 4 and d3.probability == 1.0
    # s1 - s0 = 1: all 10 pairs; (0,1) disagrees (metric up, humans down)
    d1 = by_system["s1"]
    assert d1.n_pairs == 10 and d1.n_agree == 9 and d1.probability == pytest.approx(0.9)
    # s4 - s0 = 10: only one pair that large
    d4 = by_system["s4"]
    assert d4.probability is None and d4.n_pairs == 1
    assert f"at least {MIN_DELTA_PAIRS} needed" in d4.note


def test_delta_agreement_without_judgments_says_why() -> None:
    human = np.full((5, 3), np.nan)
    _, deltas = agreement_for_rows(_rows(human, {"toy": _synthetic(5, 3)}), ["toy", "human"], INFO, SCORERS,
                                   "s0", SETTINGS)
    assert [d.note for d in deltas] == ["no human judgments for this document"] * 2
    assert all(d.probability is None for d in deltas)


def test_agreement_round_trips_through_results_json_and_old_files_still_load() -> None:
    human = _synthetic(n_seg=10, n_sys=3)
    rows = _rows(human, {"toy": human + 1})
    stats, deltas = agreement_for_rows(rows, ["toy", "human"], INFO, SCORERS, "s0", SETTINGS)
    result = RunResult(rows=rows, metric_names=("toy", "human"), metric_info=INFO, baseline="s0", texts=(),
                       agreement=stats, delta_agreement=deltas)
    assert result.human_metric_names == ("human",)
    data = json.loads(json.dumps(result.to_json()))
    back = RunResult.from_json(data)
    assert back.agreement == stats and back.delta_agreement == deltas
    del data["agreement"], data["delta_agreement"]
    old = RunResult.from_json(data)
    assert old.agreement == () and old.delta_agreement == ()
