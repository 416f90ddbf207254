"""XcometMetric on real COMET code: a tiny XCOMETMetric checkpoint (tests/tiny_models.py,
random weights, word-level head biased so that spans exist) loaded by COMET itself.

Expected scores AND error spans come from COMET's own
``load_from_checkpoint(...).predict(...)`` on the same inputs.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch

from mtqe.errors import ConfigError
from mtqe.metrics.base import ErrorSpan, MetricInput
from mtqe.metrics.configs import XcometConfig
from mtqe.metrics.registry import build_metric, validate_metric_config
from mtqe.metrics.score_cache import ScoreCache
from mtqe.metrics.xcomet_metric import XcometMetric
from tests.tiny_models import CORPUS_JA, CORPUS_ZH, build_tiny_xcomet

SOURCES = list(CORPUS_JA[:6])
# unequal lengths: one character, short, long (cut by the tiny encoder's 64 tokens), usual
HYPOTHESES = [
    "猫在窗边睡觉。",
    "走。",
    "明天的会议三点开始。" * 9,
    "这个小镇有桥。",
    "我每天晚上写日记,然后在十一点左右睡觉。",
    "",
]
REF_A = list(CORPUS_ZH[:6])
REF_B = [
    "猫在窗户旁边睡觉。", "到车站步行十分钟。", "明天下午三点开会。", "这座小镇有一座老桥。", "我每晚写日记。", "他笑了。",
]


@pytest.fixture(scope="module")
def tiny_xcomet(tiny_comet, tmp_path_factory) -> Path:
    return build_tiny_xcomet(tmp_path_factory.mktemp("xcomet"), tiny_comet["encoder"])


@pytest.fixture(scope="module")
def direct(tiny_xcomet):
    """XCOMET's own path: comet.load_from_checkpoint(...).predict(...) -> (scores, spans)."""
    from comet import load_from_checkpoint

    model = load_from_checkpoint(str(tiny_xcomet), local_files_only=True)

    def predict(samples: list[dict], batch_size: int = 8):
        out = model.predict(samples, batch_size=batch_size, gpus=0, progress_bar=False, num_workers=0)
        return list(out.scores), [list(spans) for spans in out.metadata.error_spans]

    return predict


def xcomet_config(model, **overrides) -> XcometConfig:
    overrides.setdefault("batch_size", 4)
    return XcometConfig(type="xcomet", name="xcomet", model=str(model), **overrides)


def metric_input(hypotheses, *streams: list[str]) -> MetricInput:
    return MetricInput(
        sources=SOURCES[: len(hypotheses)],
        hypotheses=hypotheses,
        references=list(streams),
        reference_ids=[f"ref{i}" for i in range(len(streams))],
        src_lang="ja",
        tgt_lang="zh",
    )


def samples(hypotheses, refs=None) -> list[dict]:
    if refs is None:
        return [{"src": s, "mt": m} for s, m in zip(SOURCES, hypotheses)]
    return [{"src": s, "mt": m, "ref": r} for s, m, r in zip(SOURCES, hypotheses, refs)]


def as_tuples(spans):
    """Spans as comparable tuples: XCOMET's dicts or mtqe's ErrorSpans (empty ones dropped)."""
    out = []
    for span in spans:
        if isinstance(span, ErrorSpan):
            out.append((span.start, span.end, span.text, span.severity, round(span.confidence, 4)))
        elif span["end"] > span["start"]:
            out.append((span["start"], span["end"], span["text"], span["severity"], round(span["confidence"], 4)))
    return out


def assert_same(result, expected_scores, expected_spans) -> None:
    np.testing.assert_allclose(result.segment_scores, expected_scores, atol=1e-5)
    assert [as_tuples(s) for s in result.segment_spans] == [as_tuples(s) for s in expected_spans]


# ----------------------------------------------------------------------------- parity with predict


@pytest.mark.parametrize("batch_size", [1, 3, 8])
def test_reference_based_scores_and_spans_equal_predict(tiny_xcomet, direct, batch_size):
    scores, spans = direct(samples(HYPOTHESES, REF_A))
    result = XcometMetric(cfg=xcomet_config(tiny_xcomet, batch_size=batch_size)).score(
        metric_input(HYPOTHESES, REF_A)
    )
    assert_same(result, scores, spans)
    assert result.score == pytest.approx(np.mean(scores), abs=1e-5)
    found = [s for seg in result.segment_spans for s in seg]
    assert len(found) >= 4 and len({s.severity for s in found}) >= 2  # the comparison is not vacuous
    for seg, hyp in zip(result.segment_spans, HYPOTHESES):
        assert all(0 <= s.start < s.end <= len(hyp) for s in seg)  # character offsets into the hypothesis
    assert result.details["truncated"] >= 1
    assert result.signature.startswith("xcomet|model:tiny-xcomet|")
    assert "|refs:1|agg:mean|weights:fp32|precision:32|" in result.signature


@pytest.mark.parametrize("batch_size", [1, 4])
def test_quality_estimation_scores_and_spans_equal_predict(tiny_xcomet, direct, batch_size):
    scores, spans = direct(samples(HYPOTHESES))
    metric = XcometMetric(cfg=xcomet_config(tiny_xcomet, reference_free=True, batch_size=batch_size))
    assert not metric.info.needs_reference
    result = metric.score(metric_input(HYPOTHESES, REF_A))  # a given reference is ignored in QE mode
    assert_same(result, scores, spans)
    assert result.details["reference_free"] is True
    assert "|refs:0|" in result.signature
    ref_scores, _ = direct(samples(HYPOTHESES, REF_A))
    assert not np.allclose(scores, ref_scores, atol=1e-6)  # the modes really differ


def test_several_references_mean_uses_first_spans_max_uses_kept_reference(tiny_xcomet, direct):
    scores_a, spans_a = direct(samples(HYPOTHESES, REF_A))
    scores_b, spans_b = direct(samples(HYPOTHESES, REF_B))
    data = metric_input(HYPOTHESES, REF_A, REF_B)

    mean = XcometMetric(cfg=xcomet_config(tiny_xcomet)).score(data)
    assert_same(mean, (np.array(scores_a) + scores_b) / 2, spans_a)
    assert mean.details["error_spans_from"] == "ref0"

    best = XcometMetric(cfg=xcomet_config(tiny_xcomet, multi_reference="max")).score(data)
    pick_b = np.array(scores_b) > np.array(scores_a)
    assert_same(best, np.maximum(scores_a, scores_b), [b if p else a for a, b, p in zip(spans_a, spans_b, pick_b)])


def test_spans_come_back_from_the_score_cache_without_loading(tiny_xcomet, direct, tmp_path, monkeypatch):
    data = metric_input(HYPOTHESES, REF_A)
    first = XcometMetric(cfg=xcomet_config(tiny_xcomet), cache=ScoreCache(tmp_path / "scores.sqlite")).score(data)

    def no_load(*args, **kwargs):
        raise AssertionError("the model was loaded although every score is cached")

    monkeypatch.setattr(XcometMetric, "load_model", no_load)
    again = XcometMetric(cfg=xcomet_config(tiny_xcomet), cache=ScoreCache(tmp_path / "scores.sqlite")).score(data)
    assert again.details["from_score_cache"] == len(HYPOTHESES)
    assert again.segment_spans == first.segment_spans
    assert again.segment_scores == first.segment_scores


def test_bf16_weights_path_scores_close_to_fp32(tiny_xcomet, direct):
    """What ``precision: bf16`` does on a GPU (weights cast to bf16), run here on the CPU."""
    scores, _ = direct(samples(HYPOTHESES, REF_A))
    metric = XcometMetric(cfg=xcomet_config(tiny_xcomet, precision="bf16"))
    metric.bf16_weights = True  # set by gpus=1; forced so that the cast itself is exercised without CUDA
    result = metric.score(metric_input(HYPOTHESES, REF_A))
    assert {p.dtype for p in metric._loaded.model.parameters()} == {torch.bfloat16}
    np.testing.assert_allclose(result.segment_scores, scores, atol=0.03)
    assert "|weights:bf16|precision:bf16|" in result.signature
    assert all(isinstance(s, ErrorSpan) for seg in result.segment_spans for s in seg)


# ----------------------------------------------------------------------------- config, offline, wrong model


def test_config_precision_auto_and_signature_load_nothing():
    cpu = XcometMetric(cfg=XcometConfig(type="xcomet", name="xcomet-xl"))
    assert cpu.signature() == (
        "xcomet|model:Unbabel/XCOMET-XL|hash:unloaded|version:2.2.7|agg:mean|weights:fp32|precision:32|bs:8|device:cpu"
        "|long:truncate"
    )
    gpu = XcometMetric(cfg=XcometConfig(type="xcomet", name="xcomet-xxl", model="Unbabel/XCOMET-XXL", gpus=1))
    assert "|weights:bf16|precision:bf16|" in gpu.signature()
    assert gpu.signature().endswith("device:cuda|long:truncate")
    autocast = XcometMetric(cfg=XcometConfig(type="xcomet", name="x", precision="bf16"))
    assert "|weights:fp32|precision:bf16|" in autocast.signature()  # on the CPU: autocast only


@pytest.mark.parametrize("key, value", [("precision", "64"), ("multi_reference", "median"), ("gpus", 2)])
def test_bad_config_values_name_the_key(key, value):
    with pytest.raises(ConfigError, match=rf"metric\.xcomet-xl\.{key}"):
        validate_metric_config("xcomet-xl", {"type": "xcomet", key: value})


def test_shipped_configs_build_without_loading():
    from omegaconf import OmegaConf

    conf = Path(__file__).resolve().parents[2] / "mtqe" / "conf" / "metric"
    for name, qe, model in [
        ("xcomet-xl", False, "Unbabel/XCOMET-XL"),
        ("xcomet-xxl", False, "Unbabel/XCOMET-XXL"),
        ("xcomet-xl-qe", True, "Unbabel/XCOMET-XL"),
        ("xcomet-xxl-qe", True, "Unbabel/XCOMET-XXL"),
    ]:
        node = OmegaConf.load(conf / f"{name}.yaml")[name]
        metric = build_metric(validate_metric_config(name, node))
        assert isinstance(metric, XcometMetric)
        assert metric.cfg.model == model and metric.info.needs_reference is not qe
        assert metric.precision == "32"  # auto on the CPU


def test_hub_id_offline_is_not_available_fast_with_remedy(monkeypatch, tmp_path):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    metric = XcometMetric(cfg=XcometConfig(type="xcomet", name="xcomet-xl"))
    started = time.perf_counter()
    result = metric.score(metric_input(HYPOTHESES[:2], REF_A[:2]))
    assert time.perf_counter() - started < 5.0
    assert result.score is None and result.segment_spans is None
    assert "'Unbabel/XCOMET-XL' is not available offline" in result.unavailable
    assert "huggingface-cli download Unbabel/XCOMET-XL" in result.unavailable
    assert "metric.xcomet-xl.model=" in result.unavailable


def test_a_checkpoint_that_is_not_xcomet_is_refused_with_the_remedy(tiny_comet):
    result = XcometMetric(cfg=xcomet_config(tiny_comet["comet_da"])).score(metric_input(HYPOTHESES[:2], REF_A[:2]))
    assert result.score is None
    assert "'regression_metric' checkpoint, not XCOMET" in result.unavailable
    assert "type: comet" in result.unavailable
