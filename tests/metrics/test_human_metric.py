"""The `human` metric: judgments as segment scores, nothing imputed, statistics over judged segments."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from mtqe.config import StatsConfig
from mtqe.corpus.judgments import Judgment, judgments_jsonl
from mtqe.corpus.model import DocumentSpec, JudgmentsSpec, Manifest, Provenance
from mtqe.errors import ConfigError
from mtqe.io import sha256_bytes
from mtqe.metrics import stats as st
from mtqe.metrics.base import MetricInput
from mtqe.metrics.configs import HumanConfig
from mtqe.metrics.registry import build_metric, validate_metric_config
from mtqe.metrics.scoring import paired_tests

SEGMENTS = ("1", "2", "3", "4", "5")


def manifest_with(tmp_path: Path, items: dict[tuple[str, str], Judgment], protocol: str = "da") -> Manifest:
    """A manifest whose document `tset` has judgments `human` (the file written as add-judgments does)."""
    data = judgments_jsonl(items)
    path = tmp_path / "human.jsonl"
    path.write_bytes(data)
    spec = JudgmentsSpec(document="tset", name="human", protocol=protocol, format="csv", path=path,
                         sha256=sha256_bytes(data), source_file="h.csv", source_sha256="0" * 64,
                         provenance=Provenance(origin="test"))
    doc = DocumentSpec(doc_id="tset", title="t", texts={}, segmentation="lines", judgments={"human": spec})
    return Manifest(root=tmp_path, documents={"tset": doc})


def data_for(system: str, document: str = "tset") -> MetricInput:
    n = len(SEGMENTS)
    return MetricInput(sources=["s"] * n, hypotheses=["h"] * n, references=[], reference_ids=[], src_lang="ja",
                       tgt_lang="zh", document=document, system=system, segment_ids=SEGMENTS)


def metric(manifest: Manifest, **cfg):
    return build_metric(HumanConfig(type="human", name="human", **cfg), manifest=manifest)


ITEMS = {
    ("A", "1"): Judgment(80.0, 2, 0.5), ("A", "3"): Judgment(60.0, 1, -0.2), ("A", "4"): Judgment(70.0, 3, 0.0),
    ("B", "2"): Judgment(50.0, 1, -1.0), ("B", "3"): Judgment(90.0, 1, 1.0),
}


def test_system_score_is_the_mean_of_judged_segments_and_the_rest_is_nan(tmp_path):
    result = metric(manifest_with(tmp_path, ITEMS)).score(data_for("A"))
    assert result.score == pytest.approx((80 + 60 + 70) / 3)  # hand-computed: unjudged 2 and 5 not imputed
    scores = result.segment_scores
    assert scores[0] == 80.0 and math.isnan(scores[1]) and scores[2] == 60.0 and math.isnan(scores[4])
    assert result.stats.tolist() == [[80, 1], [0, 0], [60, 1], [70, 1], [0, 0]]
    assert dict(result.details) == {"protocol": "da", "name": "human", "judged": 3, "segments": 5,
                                    "raters": pytest.approx(2.0)}
    assert result.signature.startswith("human|protocol:da|name:human")
    assert result.signature == "human|protocol:da|name:human|value:raw"
    assert metric(manifest_with(tmp_path, ITEMS)).info.higher_is_better


def test_z_scores_on_request(tmp_path):
    result = metric(manifest_with(tmp_path, ITEMS), use_z=True).score(data_for("B"))
    assert result.score == pytest.approx(0.0) and result.signature.endswith("value:z")


def test_a_system_without_judgments_is_not_available_never_zero(tmp_path):
    result = metric(manifest_with(tmp_path, ITEMS)).score(data_for("C"))
    assert result.score is None and result.stats is None
    assert result.unavailable == "no human judgments for system C in tset"


def test_missing_judgments_protocol_mismatch_and_missing_z_are_reasons(tmp_path):
    m = manifest_with(tmp_path, ITEMS)
    assert "no human judgments named 'other'" in metric(m, judgments="other").score(data_for("A")).unavailable
    assert "unknown document" in metric(m).score(data_for("A", document="nope")).unavailable
    assert "are da, not mqm" in metric(m, protocol="mqm").score(data_for("A")).unavailable
    no_z = manifest_with(tmp_path, {("A", "1"): Judgment(1.0)})
    assert "no z-score" in metric(no_z, use_z=True).score(data_for("A")).unavailable


def test_a_changed_judgments_file_is_refused(tmp_path):
    m = manifest_with(tmp_path, ITEMS)
    (tmp_path / "human.jsonl").write_text('{"system": "A", "segment": "1", "score": 1}\n', encoding="utf-8")
    assert "sha256" in metric(m).score(data_for("A")).unavailable


def test_config_is_checked_where_it_is_declared():
    with pytest.raises(ConfigError, match="protocol"):
        validate_metric_config("human", {"type": "human", "protocol": "likert"})
    with pytest.raises(ConfigError, match="judgments"):
        validate_metric_config("human", {"type": "human", "judgments": "Bad Name"})
    assert validate_metric_config("human", {"type": "human"}).judgments == "human"


def test_mqm_penalties_rank_higher_as_better(tmp_path):
    items = {("A", "1"): Judgment(-1.0), ("B", "1"): Judgment(-25.0)}
    m = metric(manifest_with(tmp_path, items, protocol="mqm"))
    assert m.score(data_for("A")).score > m.score(data_for("B")).score
    assert m.score(data_for("A")).signature.startswith("human|protocol:mqm|")


def test_bootstrap_skips_resamples_without_a_judged_segment(tmp_path):
    """One judged segment of ten: ~35% of resamples have none; they are left out, not scored 0."""
    m = metric(manifest_with(tmp_path, {("A", "1"): Judgment(50.0)}))
    stats = m.valid_stats([50.0] + [math.nan] * 9, [True] + [False] * 9)
    ci = st.bootstrap_ci(stats, m.aggregate, n_samples=200, seed=1, **st.fast_paths(m))
    assert (ci.low, ci.score, ci.high, ci.mean) == (50.0, 50.0, 50.0, 50.0)


def test_paired_tests_when_the_judged_segments_differ(tmp_path):
    """A judged only on segment 1 (10), B only on segment 2 (20). Randomization: a trial that swaps
    one of the two segments leaves a pseudo-system with no judgment (undefined, left out); the
    defined trials (no swap, both swapped) both give |delta| = 10 = observed, so p = 1. Counting
    the undefined trials as "not exceeding" would give p ~ 0.5."""
    m = metric(manifest_with(tmp_path, ITEMS))
    a = m.valid_stats([10.0, math.nan], [True, False])
    b = m.valid_stats([math.nan, 20.0], [False, True])
    cfg = StatsConfig(bootstrap_samples=400, randomization_samples=400, seed=3)
    tests = paired_tests(a, b, m, cfg)
    assert tests["randomization"].delta == 10.0 and tests["randomization"].p_value == 1.0
    assert tests["bootstrap"].delta == 10.0 and 0.0 < tests["bootstrap"].p_value <= 1.0
    many = st.paired_tests_many(a, {"b": b}, m.aggregate, bootstrap_samples=400, randomization_samples=400,
                                seed=3, **st.fast_paths(m))["b"]
    assert many["randomization"].p_value == 1.0  # the vectorised path agrees
    assert many["bootstrap"].p_value == tests["bootstrap"].p_value


def test_paired_randomization_with_partly_shared_judgments_matches_exact_enumeration(tmp_path):
    """Every swap pattern of 6 segments enumerated by hand: the Monte-Carlo p-value over defined
    trials converges to the exact share of defined patterns at least as extreme."""
    m = metric(manifest_with(tmp_path, ITEMS))
    va, ma = [5.0, 3.0, 8.0, 0.0, 7.0, 0.0], [True, True, True, False, True, False]
    vb, mb = [4.0, 0.0, 6.0, 2.0, 1.0, 9.0], [True, False, True, True, True, True]
    a, b = m.valid_stats(va, ma), m.valid_stats(vb, mb)
    observed = abs(m.aggregate(b) - m.aggregate(a))
    extreme = defined = 0
    for pattern in range(2 ** 6):
        keep = np.array([(pattern >> i) & 1 for i in range(6)], dtype=bool)[:, None]
        pa, pb = np.where(keep, a, b), np.where(keep, b, a)
        sa, sb = m.aggregate(pa), m.aggregate(pb)
        if math.isnan(sa) or math.isnan(sb):
            continue
        defined += 1
        extreme += abs(sa - sb) >= observed - 1e-12
    exact = extreme / defined
    test = st.paired_approximate_randomization(a, b, m.aggregate, n_samples=20000, seed=5, **st.fast_paths(m))
    assert test.p_value == pytest.approx(exact, abs=0.015)
