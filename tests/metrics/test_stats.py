"""Tests for mtqe.metrics.stats: hand-computed cases, determinism, exact agreement with
sacrebleu's PairedTest, property tests and input validation."""

from __future__ import annotations

import dataclasses
import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sacrebleu.metrics import BLEU
from sacrebleu.significance import PairedTest

from mtqe.metrics.stats import (
    APPROXIMATE_RANDOMIZATION,
    PAIRED_BOOTSTRAP,
    ConfidenceInterval,
    PairedTestResult,
    bootstrap_ci,
    column_mean,
    column_mean_many,
    paired_approximate_randomization,
    paired_bootstrap,
    significance_clusters,
)

# Short Chinese test set written for these tests: a fluent system A and a terse system B.
REFS = [
    "今天天气很好，我们去公园散步吧。",
    "他昨天晚上看了一部很有意思的电影。",
    "这家餐厅的饭菜又便宜又好吃。",
    "请把窗户关上，外面太冷了。",
    "我的妹妹在北京大学学习中文。",
    "火车将在十分钟后到达上海站。",
    "你能帮我找一下我的手机吗？",
    "我们明天早上八点在学校门口见面。",
    "这本书的作者是一位著名的历史学家。",
    "他每天早上都喝一杯咖啡。",
    "周末我们打算去山上露营。",
    "医生建议他多休息，少工作。",
]
SYS_A = [
    "今天天气很好，我们去公园走走吧。",
    "他昨晚看了一部很有趣的电影。",
    "这家饭店的菜又便宜又好吃。",
    "请关上窗户，外面太冷了。",
    "我妹妹在北京大学学中文。",
    "火车十分钟后到达上海站。",
    "你能帮我找我的手机吗？",
    "我们明天八点在学校门口见。",
    "这本书的作者是著名历史学家。",
    "他每天早上喝一杯咖啡。",
    "周末我们要去山上野营。",
    "医生让他多休息少工作。",
]
SYS_B = [
    "今天天气好，去公园散步。",
    "他看了电影。",
    "这家餐厅的饭菜又便宜又好吃。",
    "请把窗户关上，外面太冷了。",
    "妹妹学习中文。",
    "火车到上海。",
    "你能帮我找一下我的手机吗？",
    "明天见面。",
    "作者是历史学家。",
    "他喝咖啡。",
    "我们周末露营。",
    "医生建议他多休息，少工作。",
]

_BLEU = BLEU(tokenize="zh")


def bleu_aggregate(rows: np.ndarray) -> float:
    """What the BLEU metric passes as ``aggregate``: sum the rows, apply the formula."""
    return _BLEU._compute_score_from_stats(list(rows.sum(0))).score


def bleu_stats(hyps: list[str]) -> np.ndarray:
    return np.array(_BLEU._extract_corpus_statistics(hyps, [REFS]))


def col(values: list[float]) -> np.ndarray:
    """One statistic per segment, as a mean-type metric (COMET) would produce."""
    return np.asarray(values, dtype=np.float64).reshape(-1, 1)


def as_bytes(result: object) -> bytes:
    """Exact byte image of a result dataclass (floats by their IEEE bits)."""
    return repr([(f.name, float.hex(v) if isinstance(v, float) else v)
                 for f, v in zip(dataclasses.fields(result), dataclasses.astuple(result))]).encode()


# --------------------------------------------------------------------------- hand-computed


# b - a per segment is [1, 0.5, 2, -0.5]; observed delta = mean = 0.75, i.e. a sum of 3.
# Flipping signs of the four differences gives sums with |sum| >= 3 for
# {+1 +.5 +2 +.5} = 4, {+1 +.5 +2 -.5} = 3, {+1 -.5 +2 +.5} = 3 and their negations:
# 6 of 16 assignments (>=), of which only the two with |sum| = 4 are strictly greater.
HAND_A = col([1.0, 2.0, 3.0, 4.0])
HAND_B = col([2.0, 2.5, 5.0, 3.5])
HAND_EXACT_P_TIES = 6 / 16
HAND_EXACT_P_STRICT = 2 / 16


def exact_permutation_p(a: np.ndarray, b: np.ndarray, *, count_ties: bool) -> float:
    """Enumerate all 2**n swaps: the value approximate randomization estimates."""
    observed = abs(column_mean(b) - column_mean(a))
    hits = 0
    masks = list(itertools.product([False, True], repeat=a.shape[0]))
    for mask in masks:
        keep = np.array(mask)[:, None]
        d = abs(column_mean(np.where(keep, b, a)) - column_mean(np.where(keep, a, b)))
        hits += d >= observed if count_ties else d > observed
    return hits / len(masks)


def test_exact_enumeration_matches_hand_count() -> None:
    assert exact_permutation_p(HAND_A, HAND_B, count_ties=True) == HAND_EXACT_P_TIES
    assert exact_permutation_p(HAND_A, HAND_B, count_ties=False) == HAND_EXACT_P_STRICT


@pytest.mark.parametrize(
    ("count_ties", "exact"), [(True, HAND_EXACT_P_TIES), (False, HAND_EXACT_P_STRICT)]
)
def test_ar_converges_to_exact_permutation_p(count_ties: bool, exact: float) -> None:
    n = 40_000
    res = paired_approximate_randomization(
        HAND_A, HAND_B, column_mean, n_samples=n, count_ties=count_ties, aggregate_many=column_mean_many
    )
    # Monte-Carlo standard error is sqrt(p(1-p)/n) <= 0.0025; allow 4 of them.
    assert res.p_value == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / n) + 1 / n)
    assert res.delta == 0.75
    assert (res.score_a, res.score_b) == (2.5, 3.25)
    assert res.test == APPROXIMATE_RANDOMIZATION


def test_degenerate_constant_segments_give_a_point_interval() -> None:
    ci = bootstrap_ci(col([0.7] * 25), column_mean)
    assert ci.low == ci.high == ci.score == pytest.approx(0.7)
    assert ci.mean == pytest.approx(0.7)


def test_single_segment_interval_is_the_score() -> None:
    ci = bootstrap_ci(col([3.0]), column_mean, n_samples=50)
    assert (ci.score, ci.low, ci.high, ci.mean) == (3.0, 3.0, 3.0, 3.0)


def test_ci_contains_score_for_a_symmetric_sample() -> None:
    values = np.random.default_rng(7).normal(loc=0.5, scale=0.1, size=(200, 1))
    ci = bootstrap_ci(values, column_mean)
    assert ci.low < ci.score < ci.high
    assert ci.low < ci.mean < ci.high
    assert (ci.n_samples, ci.seed, ci.confidence) == (1000, 12345, 0.95)


def test_ci_bounds_are_documented_order_statistics() -> None:
    values = np.random.default_rng(3).exponential(size=(30, 1))
    ci = bootstrap_ci(values, column_mean, n_samples=1000, confidence=0.9)
    idxs = np.random.default_rng(12345).choice(30, size=(1000, 30), replace=True)
    ordered = np.sort(values[idxs, 0].mean(axis=1))
    assert ci.low == pytest.approx(ordered[50])  # floor(1000 * 0.1 / 2)
    assert ci.high == pytest.approx(ordered[949])


def test_higher_confidence_gives_a_wider_interval() -> None:
    values = np.random.default_rng(1).normal(size=(40, 1))
    narrow = bootstrap_ci(values, column_mean, confidence=0.5)
    wide = bootstrap_ci(values, column_mean, confidence=0.99)
    assert wide.low <= narrow.low <= narrow.high <= wide.high


@pytest.mark.parametrize("test", [paired_bootstrap, paired_approximate_randomization])
def test_identical_systems_are_not_significant_by_default(test) -> None:
    stats = bleu_stats(SYS_A)
    res = test(stats, stats.copy(), bleu_aggregate, n_samples=500)
    assert res.delta == 0.0
    assert res.p_value == 1.0
    # sacrebleu's strict '>' calls a system significantly different from itself.
    strict = test(stats, stats.copy(), bleu_aggregate, n_samples=500, count_ties=False)
    assert strict.p_value == 1 / 501


@pytest.mark.parametrize("test", [paired_bootstrap, paired_approximate_randomization])
def test_clear_difference_reaches_the_minimum_p_value(test) -> None:
    base = np.random.default_rng(5).normal(scale=0.01, size=(60, 1))
    res = test(base, base + 1.0, column_mean, n_samples=300)
    assert res.p_value == 1 / 301
    assert res.delta == pytest.approx(1.0)


def test_paired_bootstrap_reports_system_minus_baseline() -> None:
    res = paired_bootstrap(HAND_A, HAND_B, column_mean, n_samples=200)
    assert res.test == PAIRED_BOOTSTRAP
    assert res.delta == res.score_b - res.score_a == 0.75
    assert 0 < res.p_value <= 1


def test_vectorised_path_agrees_with_simple_path() -> None:
    values = np.random.default_rng(11).normal(size=(50, 1))
    other = values + np.random.default_rng(12).normal(scale=0.5, size=(50, 1))
    simple = bootstrap_ci(values, column_mean)
    fast = bootstrap_ci(values, column_mean, aggregate_many=column_mean_many)
    assert (fast.low, fast.high, fast.mean) == pytest.approx((simple.low, simple.high, simple.mean))
    for test in (paired_bootstrap, paired_approximate_randomization):
        slow = test(values, other, column_mean, n_samples=2000)
        quick = test(values, other, column_mean, n_samples=2000, aggregate_many=column_mean_many)
        assert quick.p_value == slow.p_value


def test_batching_does_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    import mtqe.metrics.stats as stats_module

    values = np.random.default_rng(2).normal(size=(20, 1))
    whole = paired_approximate_randomization(values, values * 0.9, column_mean, n_samples=999)
    monkeypatch.setattr(stats_module, "_MAX_BATCH_ELEMENTS", 7 * 20)
    batched = paired_approximate_randomization(values, values * 0.9, column_mean, n_samples=999)
    assert as_bytes(batched) == as_bytes(whole)


def test_bootstrap_of_a_mean_metric_is_fast() -> None:
    values = np.random.default_rng(0).normal(size=(100, 1))
    start = time.perf_counter()
    bootstrap_ci(values, column_mean, n_samples=1000)
    assert time.perf_counter() - start < 1.0


# --------------------------------------------------------------------------- determinism


def test_same_seed_is_byte_identical() -> None:
    a, b = bleu_stats(SYS_A), bleu_stats(SYS_B)
    runs = [
        lambda seed: bootstrap_ci(b, bleu_aggregate, n_samples=300, seed=seed),
        lambda seed: paired_bootstrap(a, b, bleu_aggregate, n_samples=300, seed=seed),
        lambda seed: paired_approximate_randomization(a, b, bleu_aggregate, n_samples=300, seed=seed),
    ]
    for run in runs:
        assert as_bytes(run(42)) == as_bytes(run(42))
        assert run(42) == run(42)


def test_different_seeds_generally_differ() -> None:
    a, b = bleu_stats(SYS_A), bleu_stats(SYS_B)
    ci1, ci2 = (bootstrap_ci(b, bleu_aggregate, n_samples=300, seed=s) for s in (1, 2))
    assert (ci1.low, ci1.high, ci1.mean) != (ci2.low, ci2.high, ci2.mean)
    assert ci1.score == ci2.score
    ar1, ar2 = (paired_approximate_randomization(a, b, bleu_aggregate, n_samples=300, seed=s) for s in (1, 2))
    assert ar1.p_value != ar2.p_value
    assert ar1.delta == ar2.delta


def test_global_numpy_state_is_untouched() -> None:
    np.random.seed(0)
    expected = np.random.random()
    np.random.seed(0)
    bootstrap_ci(HAND_A, column_mean, n_samples=10)
    assert np.random.random() == expected


# --------------------------------------------------------------------------- sacrebleu


@pytest.fixture
def sacrebleu_seed(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("SACREBLEU_SEED", "12345")
    return 12345


def run_sacrebleu(test_type: str, n_samples: int, sys_b: list[str] = SYS_B):
    _, scores = PairedTest(
        [("a", SYS_A), ("b", sys_b)], {"BLEU": BLEU(tokenize="zh")}, [REFS],
        test_type=test_type, n_samples=n_samples,
    )()
    return scores["BLEU"][0], scores["BLEU"][1]


def test_ar_reproduces_sacrebleu_exactly(sacrebleu_seed: int) -> None:
    """Same draws and the same strict '>' (count_ties=False): identical p-value."""
    _, sb_sys = run_sacrebleu("ar", 10_000)
    a, b = bleu_stats(SYS_A), bleu_stats(SYS_B)
    ours = paired_approximate_randomization(a, b, bleu_aggregate, seed=sacrebleu_seed, count_ties=False)
    assert ours.p_value == sb_sys.p_value
    assert ours.score_b == sb_sys.score
    # Default counts ties (identity and full swap of the 12 differing segments, ~2/4096
    # of trials): never smaller, larger by at most the tie share plus Monte-Carlo noise.
    default = paired_approximate_randomization(a, b, bleu_aggregate, seed=sacrebleu_seed)
    assert sb_sys.p_value <= default.p_value <= sb_sys.p_value + 0.002


def test_paired_bootstrap_reproduces_sacrebleu_exactly(sacrebleu_seed: int) -> None:
    sb_base, sb_sys = run_sacrebleu("bs", 1000)
    a, b = bleu_stats(SYS_A), bleu_stats(SYS_B)
    for count_ties in (False, True):  # no ties among continuous bootstrap deltas here
        ours = paired_bootstrap(a, b, bleu_aggregate, seed=sacrebleu_seed, count_ties=count_ties)
        assert ours.p_value == sb_sys.p_value
    assert (ours.score_a, ours.score_b) == (sb_base.score, sb_sys.score)
    # sacrebleu reports mean ± half-width of the same percentile interval.
    for stats, sb in ((a, sb_base), (b, sb_sys)):
        ci = bootstrap_ci(stats, bleu_aggregate, seed=sacrebleu_seed)
        assert (ci.high - ci.low) / 2 == sb.ci
        assert ci.mean == pytest.approx(sb.mean, rel=1e-12)


@pytest.mark.parametrize("test_type", ["ar", "bs"])
def test_sacrebleu_self_comparison_quirk(sacrebleu_seed: int, test_type: str) -> None:
    """Documents why count_ties defaults to True: sacrebleu gives p = 1/(n+1) to a
    system compared with itself."""
    _, sb_sys = run_sacrebleu(test_type, 200, sys_b=SYS_A)
    assert sb_sys.p_value == 1 / 201


# --------------------------------------------------------------------------- properties

segment_values = hnp.arrays(
    np.float64, st.tuples(st.integers(1, 12), st.just(1)),
    elements=st.floats(-10, 10, allow_nan=False, width=32),
)


@st.composite
def paired_values(draw) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 12))
    elems = st.floats(-10, 10, allow_nan=False, width=32)
    return (draw(hnp.arrays(np.float64, (n, 1), elements=elems)),
            draw(hnp.arrays(np.float64, (n, 1), elements=elems)))


@settings(max_examples=40, deadline=None)
@given(values=segment_values, levels=st.lists(st.floats(0.01, 0.99), min_size=2, max_size=2),
       seed=st.integers(0, 2**32))
def test_ci_bounds_are_ordered_and_nested(values: np.ndarray, levels: list[float], seed: int) -> None:
    """low <= high always; with one seed, a higher confidence never gives a narrower
    interval. (Neither score nor mean need lie inside a low-confidence interval.)"""
    lo_conf, hi_conf = sorted(levels)
    narrow = bootstrap_ci(values, column_mean, n_samples=64, seed=seed, confidence=lo_conf)
    wide = bootstrap_ci(values, column_mean, n_samples=64, seed=seed, confidence=hi_conf)
    assert narrow.low <= narrow.high and wide.low <= wide.high
    assert wide.low <= narrow.low and narrow.high <= wide.high


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(1, 12))
def test_full_data_score_ignores_segment_order(data: st.DataObject, n: int) -> None:
    stats = bleu_stats(SYS_B)[:n]
    order = data.draw(st.permutations(range(n)))
    shuffled = stats[list(order)]
    assert bootstrap_ci(shuffled, bleu_aggregate, n_samples=5).score == \
        bootstrap_ci(stats, bleu_aggregate, n_samples=5).score


@settings(max_examples=40, deadline=None)
@given(pair=paired_values(), seed=st.integers(0, 2**32), count_ties=st.booleans())
def test_swapping_systems_negates_delta_and_keeps_p(
    pair: tuple[np.ndarray, np.ndarray], seed: int, count_ties: bool
) -> None:
    a, b = pair
    for test in (paired_bootstrap, paired_approximate_randomization):
        ab = test(a, b, column_mean, n_samples=64, seed=seed, count_ties=count_ties)
        ba = test(b, a, column_mean, n_samples=64, seed=seed, count_ties=count_ties)
        assert ba.delta == -ab.delta
        assert ba.p_value == ab.p_value
        assert 1 / 65 <= ab.p_value <= 1
        strict = test(a, b, column_mean, n_samples=64, seed=seed, count_ties=False)
        assert strict.p_value <= ab.p_value


@settings(max_examples=40, deadline=None)
@given(scores=st.dictionaries(st.text("abcdef", min_size=1, max_size=3),
                              st.floats(-5, 5, allow_nan=False), min_size=1, max_size=6),
       p=st.floats(0, 1), higher=st.booleans())
def test_cluster_ranks_are_consecutive_and_monotone(scores: dict[str, float], p: float, higher: bool) -> None:
    pairs = {pair: p for pair in itertools.combinations(sorted(scores), 2)}
    ranks = significance_clusters(scores, pairs, higher_is_better=higher)
    assert sorted(set(ranks.values())) == list(range(1, max(ranks.values()) + 1))
    listed = list(ranks)  # best first
    for better, worse in zip(listed, listed[1:]):
        assert ranks[better] <= ranks[worse]
        assert (scores[better] >= scores[worse]) if higher else (scores[better] <= scores[worse])


# --------------------------------------------------------------------------- clusters


def test_clusters_hand_example() -> None:
    scores = {"A": 30.0, "B": 29.0, "C": 25.0, "D": 24.5, "E": 20.0}
    p = {("A", "B"): 0.4, ("A", "C"): 0.01, ("B", "C"): 0.03, ("C", "D"): 0.5,
         ("C", "E"): 0.01, ("E", "D"): 0.02}
    ranks = significance_clusters(scores, p, higher_is_better=True)
    assert ranks == {"A": 1, "B": 1, "C": 2, "D": 2, "E": 3}
    assert list(ranks) == ["A", "B", "C", "D", "E"]


def test_clusters_need_significance_against_every_member() -> None:
    # C is significantly worse than the top (A) but not than B, so it stays with them.
    scores = {"A": 30.0, "B": 28.0, "C": 27.0}
    p = {("A", "B"): 0.2, ("A", "C"): 0.01, ("B", "C"): 0.2}
    assert significance_clusters(scores, p, higher_is_better=True) == {"A": 1, "B": 1, "C": 1}


def test_clusters_lower_is_better() -> None:
    ter = {"x": 40.0, "y": 55.0, "z": 41.0}
    p = {("x", "z"): 0.6, ("x", "y"): 0.001, ("z", "y"): 0.002}
    assert significance_clusters(ter, p, higher_is_better=False) == {"x": 1, "z": 1, "y": 2}


def test_clusters_equal_scores_share_a_rank_and_sort_by_name() -> None:
    scores = {"b": 1.0, "a": 1.0, "c": 0.0}
    p = {("a", "b"): 0.0, ("a", "c"): 0.0, ("b", "c"): 0.0}
    ranks = significance_clusters(scores, p, higher_is_better=True)
    assert list(ranks.items()) == [("a", 1), ("b", 1), ("c", 2)]


def test_clusters_alpha_is_strict() -> None:
    p = {("s", "t"): 0.05}
    scores = {"s": 2.0, "t": 1.0}
    assert significance_clusters(scores, p, higher_is_better=True) == {"s": 1, "t": 1}
    assert significance_clusters(scores, p, higher_is_better=True, alpha=0.06) == {"s": 1, "t": 2}


def test_single_system_is_rank_one() -> None:
    assert significance_clusters({"only": 3.0}, {}, higher_is_better=True) == {"only": 1}


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("test", [paired_bootstrap, paired_approximate_randomization])
def test_paired_rejects_mismatched_lengths(test) -> None:
    with pytest.raises(ValueError, match="3 segments but stats_b has 4"):
        test(col([1, 2, 3]), col([1, 2, 3, 4]), column_mean)
    with pytest.raises(ValueError, match="statistics per segment"):
        test(np.ones((3, 2)), np.ones((3, 1)), column_mean)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: bootstrap_ci(s, column_mean),
        lambda s: paired_bootstrap(s, s, column_mean),
        lambda s: paired_approximate_randomization(s, s, column_mean),
    ],
)
def test_zero_segments_rejected(call) -> None:
    with pytest.raises(ValueError, match="zero segments"):
        call(np.empty((0, 1)))


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1, float("nan"), True, "0.95"])
def test_bad_confidence_rejected(confidence) -> None:
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci(HAND_A, column_mean, confidence=confidence)


@pytest.mark.parametrize(
    ("stats", "message"),
    [
        (np.array([1.0, 2.0]), "reshape"),
        (np.ones((2, 0)), "zero statistics"),
        (np.array([[1.0], [np.nan]]), "NaN"),
        (np.array([["a"], ["b"]]), "numeric"),
        (np.array([[True], [False]]), "numeric"),
    ],
)
def test_bad_stats_rejected(stats: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bootstrap_ci(stats, column_mean)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"n_samples": 0}, "n_samples"), ({"n_samples": 10.0}, "n_samples"), ({"n_samples": True}, "n_samples"),
    ({"seed": -1}, "seed"), ({"seed": None}, "seed"), ({"seed": 1.5}, "seed"),
])
def test_bad_sampling_parameters_rejected(kwargs: dict, name: str) -> None:
    for call in (
        lambda: bootstrap_ci(HAND_A, column_mean, **kwargs),
        lambda: paired_bootstrap(HAND_A, HAND_B, column_mean, **kwargs),
        lambda: paired_approximate_randomization(HAND_A, HAND_B, column_mean, **kwargs),
    ):
        with pytest.raises(ValueError, match=name):
            call()


def test_bad_aggregate_outputs_rejected() -> None:
    with pytest.raises(ValueError, match="finite"):
        bootstrap_ci(HAND_A, lambda rows: float("nan"))
    with pytest.raises(ValueError, match="non-scalar"):
        bootstrap_ci(HAND_A, lambda rows: rows.sum(0))
    with pytest.raises(ValueError, match=r"expected \("):
        bootstrap_ci(HAND_A, column_mean, aggregate_many=lambda s: s.mean(axis=1))
    with pytest.raises(ValueError, match="NaN"):
        bootstrap_ci(HAND_A, column_mean, aggregate_many=lambda s: np.full(s.shape[0], np.nan))


def test_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        bootstrap_ci(HAND_A, column_mean, 100)  # type: ignore[misc]
    with pytest.raises(TypeError):
        paired_bootstrap(HAND_A, HAND_B, column_mean, 100)  # type: ignore[misc]
    with pytest.raises(TypeError):
        significance_clusters({"a": 1.0}, {}, True)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("scores", "pairs", "message"),
    [
        ({}, {}, "no systems"),
        ({"a": 1.0, "b": 0.0}, {}, "no p-value for 'a' vs 'b'"),
        ({"a": 1.0, "b": 0.0}, {("a", "zz"): 0.1}, "without a score"),
        ({"a": 1.0, "b": 0.0}, {("a", "b"): 1.5}, r"\[0, 1\]"),
        ({"a": 1.0, "b": 0.0}, {("a", "b"): 0.1, ("b", "a"): 0.2}, "two different p-values"),
        ({"a": 1.0, "b": 0.0}, {("a", "a"): 0.1}, "itself"),
        ({"a": float("nan")}, {}, "finite"),
        ({"a": 1.0, "b": 0.0}, {"ab": 0.1}, "tuples"),
    ],
)
def test_cluster_input_validation(scores: dict, pairs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        significance_clusters(scores, pairs, higher_is_better=True)


@pytest.mark.parametrize("alpha", [0, 1, -0.5, 2])
def test_cluster_bad_alpha(alpha: float) -> None:
    with pytest.raises(ValueError, match="alpha"):
        significance_clusters({"a": 1.0}, {}, higher_is_better=True, alpha=alpha)


def test_result_types_are_frozen() -> None:
    ci = bootstrap_ci(HAND_A, column_mean, n_samples=10)
    res = paired_bootstrap(HAND_A, HAND_B, column_mean, n_samples=10)
    assert isinstance(ci, ConfidenceInterval) and isinstance(res, PairedTestResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ci.low = 0.0  # type: ignore[misc]
