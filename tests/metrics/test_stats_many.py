"""The batch statistics (mtqe.metrics.stats ``*_many``, pairwise randomization, clusters from
statistics) equal the single-system functions and sacrebleu; the vectorised sacrebleu
aggregates equal sacrebleu's formulas."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_h
from hypothesis.extra import numpy as hnp
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.significance import PairedTest

from mtqe.metrics import stats as st
from mtqe.metrics.base import MetricInput
from mtqe.metrics.configs import ChrfConfig, SacreBleuConfig, TerConfig
from mtqe.metrics.sacrebleu_metrics import BleuMetric, ChrfMetric, TerMetric
from mtqe.metrics.sacrebleu_sums import bleu_from_sums, chrf_from_sums, ter_from_sums
from mtqe.metrics.stats import column_mean, column_mean_many

REPO = Path(__file__).resolve().parents[2]
SEED_TEXT = REPO / "mtqe" / "references" / "texts" / "jpus-2022" / "zh-community.txt"


def seed_sentences(n: int) -> list[str]:
    """The first ``n`` long-enough lines of the seed document's Chinese text."""
    lines = [line.strip() for line in SEED_TEXT.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if len(line) >= 12 and not line.startswith(("#", "[", "-"))][:n]


def perturbed(refs: list[str], rate: float, seed: int) -> list[str]:
    """A 'system': each character of each reference dropped or doubled with ``rate``."""
    rng = np.random.default_rng(seed)
    out = []
    for ref in refs:
        chars = []
        for ch in ref:
            u = rng.random()
            if u >= rate:
                chars.append(ch)
            elif u < rate / 2:
                chars.append(ch + ch)
        out.append("".join(chars) or ref[:1])
    return out


REFS = seed_sentences(24)
SYSTEMS = {f"s{i}": perturbed(REFS, rate, seed=i) for i, rate in enumerate([0.05, 0.08, 0.3, 0.31, 0.6])}


@pytest.fixture(scope="module")
def bleu() -> BleuMetric:
    return BleuMetric(SacreBleuConfig(type="bleu", name="BLEU", tokenize="zh"))


@pytest.fixture(scope="module")
def chrf() -> ChrfMetric:
    return ChrfMetric(ChrfConfig(type="chrf", name="chrF"))


def stats_of(metric, hyps: list[str]) -> np.ndarray:
    data = MetricInput(sources=REFS, hypotheses=hyps, references=[REFS], reference_ids=["r"],
                       src_lang="ja", tgt_lang="zh")
    return metric.score(data).stats


@pytest.fixture(scope="module", params=["bleu", "chrf"])
def metric_stats(request, bleu, chrf):
    metric = {"bleu": bleu, "chrf": chrf}[request.param]
    return metric, {name: stats_of(metric, hyps) for name, hyps in SYSTEMS.items()}


# --------------------------------------------------------------------------- vectorised aggregates


def random_bleu_sums(m: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    total = np.sort(rng.integers(0, 40, (m, 4)), axis=1)[:, ::-1]
    correct = (total * rng.uniform(0, 1, (m, 4))).astype(int)
    correct[rng.random((m, 4)) < 0.2] = 0
    return np.concatenate([rng.integers(0, 50, (m, 2)), correct, total], axis=1).astype(float)


@pytest.mark.parametrize("kwargs", [
    {"effective_order": True}, {}, {"smooth_method": "floor"}, {"smooth_method": "add-k"},
    {"smooth_method": "none"}, {"smooth_method": "floor", "smooth_value": 0.3, "effective_order": True},
])
def test_bleu_from_sums_equals_sacrebleu(kwargs: dict) -> None:
    b = BLEU(**kwargs)
    sums = random_bleu_sums(3000, seed=len(str(kwargs)))
    expected = np.array([b._compute_score_from_stats(list(row)).score for row in sums])
    np.testing.assert_allclose(bleu_from_sums(b, sums), expected, rtol=0, atol=1e-9)
    assert np.any(expected == 0) and np.any(expected > 10)  # both branches exercised


@pytest.mark.parametrize("kwargs", [{}, {"word_order": 2}, {"eps_smoothing": True}, {"beta": 1, "word_order": 1}])
def test_chrf_from_sums_is_bit_identical_to_sacrebleu(kwargs: dict) -> None:
    c = CHRF(**kwargs)
    rng = np.random.default_rng(4)
    hyp, ref = rng.integers(0, 25, (3000, c.order)), rng.integers(0, 25, (3000, c.order))
    match = (np.minimum(hyp, ref) * rng.uniform(0, 1, hyp.shape)).astype(int)
    sums = np.stack([hyp, ref, match], axis=2).reshape(3000, -1).astype(float)
    expected = np.array([c._compute_score_from_stats(list(row)).score for row in sums])
    assert np.array_equal(chrf_from_sums(c, sums), expected)


def test_ter_from_sums_is_bit_identical_to_sacrebleu() -> None:
    rng = np.random.default_rng(5)
    sums = np.stack([rng.integers(0, 30, 2000), rng.integers(0, 5, 2000) * 0.5], axis=1)
    expected = np.array([TER()._compute_score_from_stats(list(row)).score for row in sums])
    assert np.array_equal(ter_from_sums(sums), expected)


def test_metric_aggregate_sums_equal_aggregate_on_seed_texts(bleu, chrf) -> None:
    rng = np.random.default_rng(6)
    # TER's shift search on CJK characters is slow: its statistics are drawn, not computed.
    ter_stats = np.stack([rng.integers(0, 9, len(REFS)), rng.integers(10, 40, len(REFS))], axis=1).astype(float)
    ter = TerMetric(TerConfig(type="ter", name="TER"))
    for metric, stats in ((bleu, stats_of(bleu, SYSTEMS["s2"])), (chrf, stats_of(chrf, SYSTEMS["s2"])),
                          (ter, ter_stats)):
        picks = [rng.choice(len(REFS), size=len(REFS)) for _ in range(50)]
        sums = np.array([stats[p].sum(axis=0) for p in picks])
        exact = [metric.aggregate(stats[p]) for p in picks]
        np.testing.assert_allclose(metric.aggregate_sums(sums, len(REFS)), exact, rtol=0, atol=1e-9)


def test_sums_with_the_wrong_width_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"shape \(m, 10\)"):
        bleu_from_sums(BLEU(), np.ones((3, 9)))


# --------------------------------------------------------------------------- batch == single


def test_bootstrap_ci_many_equals_single(metric_stats) -> None:
    metric, stats = metric_stats
    many = st.bootstrap_ci_many(stats, metric.aggregate, n_samples=300, seed=7)
    fast = st.bootstrap_ci_many(stats, metric.aggregate, n_samples=300, seed=7, **st.fast_paths(metric))
    assert list(many) == list(stats)
    for name, arr in stats.items():
        single = st.bootstrap_ci(arr, metric.aggregate, n_samples=300, seed=7)
        assert many[name] == single
        # The sums path: bounds are refined to the exact order statistics; the mean is a
        # mean of vectorised scores (equal to within rounding).
        assert (fast[name].score, fast[name].low, fast[name].high) == (single.score, single.low, single.high)
        assert fast[name].mean == pytest.approx(single.mean, rel=1e-12)


def test_paired_tests_many_equal_single(metric_stats) -> None:
    metric, stats = metric_stats
    names = list(stats)
    base, others = stats[names[0]], {n: stats[n] for n in names[1:]}
    for paths in ({}, st.fast_paths(metric)):
        for ties in (True, False):
            many = st.paired_tests_many(base, others, metric.aggregate, bootstrap_samples=400,
                                        randomization_samples=800, seed=3, count_ties=ties, **paths)
            for name, arr in others.items():
                boot = st.paired_bootstrap(base, arr, metric.aggregate, n_samples=400, seed=3, count_ties=ties)
                rand = st.paired_approximate_randomization(base, arr, metric.aggregate, n_samples=800,
                                                           seed=3, count_ties=ties)
                assert many[name]["bootstrap"] == boot
                assert many[name]["randomization"] == rand


def test_pairwise_randomization_equals_single_pairs(metric_stats) -> None:
    metric, stats = metric_stats
    for paths in ({}, st.fast_paths(metric)):
        tests = st.pairwise_randomization(stats, metric.aggregate, n_samples=600, seed=11, **paths)
        assert list(tests) == list(itertools.combinations(stats, 2))
        for (a, b), result in tests.items():
            assert result == st.paired_approximate_randomization(
                stats[a], stats[b], metric.aggregate, n_samples=600, seed=11)


def test_cluster_systems_equals_clusters_of_single_tests(metric_stats) -> None:
    metric, stats = metric_stats
    ranks = st.cluster_systems(stats, metric.aggregate, higher_is_better=True, n_samples=500,
                               **st.fast_paths(metric))
    scores = {n: metric.aggregate(arr) for n, arr in stats.items()}
    pvalues = {(a, b): st.paired_approximate_randomization(stats[a], stats[b], metric.aggregate,
                                                            n_samples=500).p_value
               for a, b in itertools.combinations(stats, 2)}
    assert ranks == st.significance_clusters(scores, pvalues, higher_is_better=True)
    assert len(set(ranks.values())) >= 3  # the test set has clear and unclear differences


def test_sums_path_is_independent_of_batch_size(monkeypatch, metric_stats) -> None:
    metric, stats = metric_stats
    kwargs = {"n_samples": 257, "seed": 2, **st.fast_paths(metric)}
    whole = (st.pairwise_randomization(stats, metric.aggregate, **kwargs),
             st.bootstrap_ci_many(stats, metric.aggregate, **kwargs))
    monkeypatch.setattr(st, "_MAX_BATCH_ELEMENTS", 5 * len(REFS))
    assert (st.pairwise_randomization(stats, metric.aggregate, **kwargs),
            st.bootstrap_ci_many(stats, metric.aggregate, **kwargs)) == whole


def test_rounding_of_the_fast_path_never_changes_a_p_value() -> None:
    """Exact ties (small data, many equal swaps) with an aggregate_sums that is off by
    rounding: the refinement re-scores the near-ties exactly."""
    a = np.array([[1.0], [2.0], [3.0], [4.0]])
    b = np.array([[2.0], [2.5], [5.0], [3.5]])
    rng = np.random.default_rng(0)

    def noisy_sums(sums: np.ndarray, n_rows: int) -> np.ndarray:
        return sums[:, 0] / n_rows * (1 + rng.uniform(-4e-16, 4e-16, sums.shape[0]))

    for ties in (True, False):
        exact = st.paired_approximate_randomization(a, b, column_mean, n_samples=3000, count_ties=ties)
        fast = st.paired_approximate_randomization(a, b, column_mean, n_samples=3000, count_ties=ties,
                                                   aggregate_sums=noisy_sums)
        assert fast == exact
    exact_ci = st.bootstrap_ci(a, column_mean, n_samples=500)
    fast_ci = st.bootstrap_ci(a, column_mean, n_samples=500, aggregate_sums=noisy_sums)
    assert (fast_ci.low, fast_ci.high) == (exact_ci.low, exact_ci.high)


def test_mean_metric_sums_path() -> None:
    values = {f"m{i}": np.random.default_rng(i).normal(size=(40, 1)) for i in range(4)}

    def mean_sums(sums: np.ndarray, n_rows: int) -> np.ndarray:
        return sums[:, 0] / n_rows

    rows = st.pairwise_randomization(values, column_mean, n_samples=500, aggregate_many=column_mean_many)
    sums = st.pairwise_randomization(values, column_mean, n_samples=500, aggregate_sums=mean_sums)
    assert {k: v.p_value for k, v in rows.items()} == {k: v.p_value for k, v in sums.items()}


# --------------------------------------------------------------------------- sacrebleu


def test_batch_reproduces_sacrebleu_paired_tests(monkeypatch, bleu, chrf) -> None:
    """Five systems, BLEU and chrF, both sacrebleu tests: identical scores and p-values
    (count_ties=False) and BLEU confidence intervals."""
    monkeypatch.setenv("SACREBLEU_SEED", "12345")
    names = list(SYSTEMS)
    sb_metrics = {"BLEU": BLEU(tokenize="zh"), "chrF2": CHRF()}
    for test, n in (("bs", 500), ("ar", 2000)):
        _, sb = PairedTest([(n_, SYSTEMS[n_]) for n_ in names], sb_metrics, [REFS], test_type=test, n_samples=n)()
        for key, metric in (("BLEU", bleu), ("chrF2", chrf)):
            stats = {name: stats_of(metric, SYSTEMS[name]) for name in names}
            base, others = stats[names[0]], {x: stats[x] for x in names[1:]}
            run = st.paired_bootstrap_many if test == "bs" else st.paired_randomization_many
            ours = run(base, others, metric.aggregate, n_samples=n, seed=12345, count_ties=False,
                       **st.fast_paths(metric))
            for i, name in enumerate(names[1:], start=1):
                assert ours[name].score_b == sb[key][i].score
                assert ours[name].p_value == sb[key][i].p_value
            if test == "bs" and key == "BLEU":  # chrF: sacrebleu divides in float32 here
                cis = st.bootstrap_ci_many(stats, metric.aggregate, n_samples=n, seed=12345,
                                           **st.fast_paths(metric))
                for i, name in enumerate(names):
                    assert (cis[name].high - cis[name].low) / 2 == sb[key][i].ci
                    assert cis[name].mean == pytest.approx(sb[key][i].mean, rel=1e-12)


# --------------------------------------------------------------------------- progress, validation


class Recorder:
    def __init__(self) -> None:
        self.total: int | None = None
        self.done = 0
        self.starts = 0

    def start(self, total: int) -> None:
        self.total, self.starts = total, self.starts + 1

    def advance(self, n: int, tokens: int = 0) -> None:
        self.done += n


@pytest.mark.parametrize("fast", [False, True])
def test_progress_counts_every_sample(monkeypatch, bleu, fast: bool) -> None:
    monkeypatch.setattr(st, "_MAX_BATCH_ELEMENTS", 50 * len(REFS) * 10)
    stats = {name: stats_of(bleu, hyps) for name, hyps in list(SYSTEMS.items())[:3]}
    paths = st.fast_paths(bleu) if fast else {}
    names = list(stats)
    for call, total in (
        (lambda p: st.bootstrap_ci_many(stats, bleu.aggregate, n_samples=120, progress=p, **paths), 120),
        (lambda p: st.pairwise_randomization(stats, bleu.aggregate, n_samples=130, progress=p, **paths), 130),
        (lambda p: st.paired_tests_many(stats[names[0]], {n: stats[n] for n in names[1:]}, bleu.aggregate,
                                        bootstrap_samples=60, randomization_samples=70, progress=p, **paths), 130),
    ):
        rec = Recorder()
        call(rec)
        assert (rec.starts, rec.total, rec.done) == (1, total, total)


def test_many_rejects_bad_input() -> None:
    ok = np.ones((3, 1))
    with pytest.raises(ValueError, match="non-empty mapping"):
        st.bootstrap_ci_many({}, column_mean)
    with pytest.raises(ValueError, match="baseline has 3 segments but b has 4"):
        st.paired_tests_many(ok, {"b": np.ones((4, 1))}, column_mean)
    with pytest.raises(ValueError, match="a has 3 segments but b has 2"):
        st.pairwise_randomization({"a": ok, "b": np.ones((2, 1))}, column_mean)
    with pytest.raises(ValueError, match="named 'baseline'"):
        st.paired_bootstrap_many(ok, {"baseline": ok}, column_mean)
    with pytest.raises(ValueError, match="NaN"):
        st.bootstrap_ci_many({"a": ok, "b": np.array([[1.0], [np.nan], [2.0]])}, column_mean)
    with pytest.raises(ValueError, match=r"aggregate_sums returned shape"):
        st.bootstrap_ci(ok, column_mean, aggregate_sums=lambda s, n: s)


def test_bootstrap_many_groups_systems_of_different_lengths() -> None:
    values = {"short": np.arange(5.0).reshape(-1, 1), "long": np.arange(9.0).reshape(-1, 1)}
    many = st.bootstrap_ci_many(values, column_mean, n_samples=200)
    for name, arr in values.items():
        assert many[name] == st.bootstrap_ci(arr, column_mean, n_samples=200)


@settings(max_examples=25, deadline=None)
@given(data=st_h.data(), n_systems=st_h.integers(1, 4), n_segments=st_h.integers(1, 9),
       seed=st_h.integers(0, 2**32), ties=st_h.booleans())
def test_random_cases_batch_equals_single(data, n_systems: int, n_segments: int, seed: int, ties: bool) -> None:
    """Random BLEU statistics (small counts: many exact ties) through the sums path."""
    metric = BleuMetric(SacreBleuConfig(type="bleu", name="BLEU", tokenize="13a"))
    stats = {}
    for i in range(n_systems):
        total = data.draw(hnp.arrays(np.int64, (n_segments, 4), elements=st_h.integers(0, 6)))
        correct = np.minimum(total, data.draw(hnp.arrays(np.int64, (n_segments, 4), elements=st_h.integers(0, 6))))
        lengths = data.draw(hnp.arrays(np.int64, (n_segments, 2), elements=st_h.integers(1, 9)))
        stats[f"x{i}"] = np.concatenate([lengths, correct, total], axis=1).astype(float)
    kwargs = {"n_samples": 64, "seed": seed, **st.fast_paths(metric)}
    cis = st.bootstrap_ci_many(stats, metric.aggregate, **kwargs)
    pairs = st.pairwise_randomization(stats, metric.aggregate, count_ties=ties, **kwargs)
    for name, arr in stats.items():
        single = st.bootstrap_ci(arr, metric.aggregate, n_samples=64, seed=seed)
        assert (cis[name].low, cis[name].high) == (single.low, single.high)
    for (a, b), result in pairs.items():
        assert result == st.paired_approximate_randomization(
            stats[a], stats[b], metric.aggregate, n_samples=64, seed=seed, count_ties=ties)
    if n_systems > 1:
        names = list(stats)
        boot = st.paired_bootstrap_many(stats[names[0]], {n: stats[n] for n in names[1:]}, metric.aggregate,
                                        count_ties=ties, **kwargs)
        for name in names[1:]:
            assert boot[name] == st.paired_bootstrap(stats[names[0]], stats[name], metric.aggregate,
                                                     n_samples=64, seed=seed, count_ties=ties)
