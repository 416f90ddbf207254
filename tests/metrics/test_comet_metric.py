"""CometMetric on real COMET code with the tiny checkpoints of tests/tiny_models.py (no mocks).

Expected scores come from COMET's own ``load_from_checkpoint(...).predict(...)`` on the same
inputs; "spies" wrap COMET methods (calling the original) only to count what reaches the model.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from mtqe.errors import ConfigError
from mtqe.metrics.base import MetricInput
from mtqe.metrics.comet_metric import CometMetric
from mtqe.metrics.configs import CometConfig
from mtqe.metrics.score_cache import ScoreCache
from tests.tiny_models import COMET_MAX_TOKENS, CORPUS_JA, CORPUS_ZH

SOURCES = list(CORPUS_JA[:5])
HYPOTHESES = [
    "猫在窗边睡觉。",
    "走到车站要十分钟。",
    "明天的会议三点开始。",
    "这个小镇有桥。",
    "我每天晚上写日记。",
]
REF_A = list(CORPUS_ZH[:5])
REF_B = [
    "猫在窗户旁边睡觉。",
    "到车站步行十分钟。",
    "明天下午三点开会。",
    "这座小镇有一座老桥。",
    "我每晚写日记。",
]


def comet_config(model, **overrides) -> CometConfig:
    overrides.setdefault("batch_size", 4)
    return CometConfig(type="comet", name="comet", model=str(model), **overrides)


def metric_input(sources, hypotheses, *streams: list[str]) -> MetricInput:
    return MetricInput(
        sources=sources,
        hypotheses=hypotheses,
        references=list(streams),
        reference_ids=[f"ref{i}" for i in range(len(streams))],
        src_lang="ja",
        tgt_lang="zh",
    )


@pytest.fixture(scope="module")
def direct():
    """COMET's own scoring path: comet.load_from_checkpoint(...).predict(...)."""
    from comet import load_from_checkpoint

    models: dict[str, object] = {}

    def predict(ckpt: Path, samples: list[dict]) -> list[float]:
        key = str(ckpt)
        if key not in models:
            models[key] = load_from_checkpoint(key, local_files_only=True)
        out = models[key].predict(samples, batch_size=8, gpus=0, progress_bar=False, num_workers=0)
        return list(out.scores)

    return predict


class SampleCounter:
    """Counts inputs reaching a COMET regression model's estimator (``estimate``, called by
    ``forward`` and by mtqe's encode-once path alike): the (src, mt, ref) inputs scored."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, model_class) -> None:
        self.samples = 0
        original = model_class.estimate

        def counting(model, src, mt, ref):
            self.samples += len(mt)
            return original(model, src, mt, ref)

        monkeypatch.setattr(model_class, "estimate", counting)


class TextCounter:
    """Counts texts run through a COMET model's encoder (``get_sentence_embedding`` rows)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, model_class) -> None:
        self.texts = 0
        original = model_class.get_sentence_embedding

        def counting(model, input_ids, *args, **kwargs):
            self.texts += len(input_ids)
            return original(model, input_ids, *args, **kwargs)

        monkeypatch.setattr(model_class, "get_sentence_embedding", counting)


def triples(sources, hypotheses, refs=None) -> list[dict]:
    if refs is None:
        return [{"src": s, "mt": m} for s, m in zip(sources, hypotheses)]
    return [{"src": s, "mt": m, "ref": r} for s, m, r in zip(sources, hypotheses, refs)]


# ----------------------------------------------------------------------------- laziness


def test_construction_signature_and_info_load_nothing(tiny_comet):
    metric = CometMetric(cfg=comet_config("Unbabel/wmt22-comet-da"))
    assert metric.signature() == (
        "comet|model:Unbabel/wmt22-comet-da|hash:unloaded|version:2.2.7|agg:mean|precision:32|bs:4|device:cpu"
        "|long:truncate"
    )
    assert metric.info.name == "comet"
    assert metric.info.needs_reference and metric.info.needs_source and metric.info.higher_is_better
    assert not metric.info.needs_gpu
    qe = CometMetric(cfg=comet_config(tiny_comet["cometkiwi"], reference_free=True))
    assert not qe.info.needs_reference
    assert "model:tiny-cometkiwi|hash:unloaded" in qe.signature()


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"precision": "64"}, "precision"),
        ({"multi_reference": "median"}, "multi_reference"),
        ({"gpus": 2}, "gpus"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_config_values_raise_config_error(tiny_comet, overrides, message):
    with pytest.raises(ConfigError, match=message):
        CometMetric(cfg=comet_config(tiny_comet["comet_da"], **overrides))


def test_shape_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match="reference 'ref0' has 2 segments for 3 hypotheses"):
        metric_input(SOURCES[:3], HYPOTHESES[:3], REF_A[:2])
    with pytest.raises(ValueError, match="4 sources for 3 hypotheses"):
        metric_input(SOURCES[:4], HYPOTHESES[:3])


# ----------------------------------------------------------------------------- scores


def test_reference_based_scores_equal_comet_predict(tiny_comet, direct):
    ckpt = tiny_comet["comet_da"]
    metric = CometMetric(cfg=comet_config(ckpt))
    result = metric.score(metric_input(SOURCES, HYPOTHESES, REF_A))

    expected = direct(ckpt, triples(SOURCES, HYPOTHESES, REF_A))
    assert result.unavailable is None
    np.testing.assert_allclose(result.segment_scores, expected, atol=1e-5)
    assert result.score == pytest.approx(np.mean(expected), abs=1e-5)
    assert result.stats.shape == (5, 1)
    assert metric.aggregate(result.stats) == pytest.approx(result.score)
    assert metric.aggregate(result.stats[[0, 0, 1]]) == pytest.approx(
        (2 * result.segment_scores[0] + result.segment_scores[1]) / 3
    )
    samples = np.stack([result.stats, result.stats[::-1]])
    np.testing.assert_allclose(metric.aggregate_many(samples), [result.score, result.score])

    digest = hashlib.sha256(Path(ckpt).read_bytes()).hexdigest()
    assert result.signature == (
        f"comet|model:tiny-comet-da|hash:{digest[:12]}|version:2.2.7|refs:1|agg:mean"
        "|precision:32|bs:4|device:cpu|long:truncate|trunc:0"
    )
    assert f"hash:{digest[:12]}" in metric.signature()  # known once loaded
    assert result.details["model_class"] == "RegressionMetric"
    assert result.details["reference_free"] is False
    assert result.details["truncated"] == 0


def test_model_directory_is_accepted(tiny_comet, direct):
    ckpt = Path(tiny_comet["comet_da"])
    result = CometMetric(cfg=comet_config(ckpt.parent.parent)).score(metric_input(SOURCES, HYPOTHESES, REF_A))
    np.testing.assert_allclose(
        result.segment_scores, direct(ckpt, triples(SOURCES, HYPOTHESES, REF_A)), atol=1e-5
    )


def test_qe_checkpoint_scores_without_references(tiny_comet, direct):
    ckpt = tiny_comet["cometkiwi"]
    metric = CometMetric(cfg=comet_config(ckpt))  # reference_free not set: detected from the model
    result = metric.score(metric_input(SOURCES, HYPOTHESES))

    assert result.unavailable is None
    np.testing.assert_allclose(result.segment_scores, direct(ckpt, triples(SOURCES, HYPOTHESES)), atol=1e-5)
    assert result.details["model_class"] == "UnifiedMetric"
    assert result.details["reference_free"] is True
    assert "|refs:0|" in result.signature

    # references given to a QE model are ignored, not mixed in
    with_refs = metric.score(metric_input(SOURCES, HYPOTHESES, REF_A, REF_B))
    assert with_refs.segment_scores == result.segment_scores
    assert with_refs.details["scored"] == 0


@pytest.mark.parametrize("how, combine", [("mean", np.mean), ("max", np.max)])
def test_multi_reference_aggregation(tiny_comet, direct, how, combine):
    ckpt = tiny_comet["comet_da"]
    metric = CometMetric(cfg=comet_config(ckpt, multi_reference=how))
    result = metric.score(metric_input(SOURCES, HYPOTHESES, REF_A, REF_B))

    per_ref = np.array(
        [direct(ckpt, triples(SOURCES, HYPOTHESES, REF_A)), direct(ckpt, triples(SOURCES, HYPOTHESES, REF_B))]
    )
    np.testing.assert_allclose(result.segment_scores, combine(per_ref, axis=0), atol=1e-5)
    assert result.score == pytest.approx(float(np.mean(combine(per_ref, axis=0))), abs=1e-5)
    assert result.details["multi_reference"] == how
    assert result.details["references"] == ("ref0", "ref1")
    np.testing.assert_allclose(result.details["per_reference"]["ref1"], per_ref[1], atol=1e-5)
    assert f"|refs:2|agg:{how}|" in result.signature


def test_bf16_autocast_is_close_to_fp32(tiny_comet):
    data = metric_input(SOURCES, HYPOTHESES, REF_A)
    fp32 = CometMetric(cfg=comet_config(tiny_comet["comet_da"])).score(data)
    bf16 = CometMetric(cfg=comet_config(tiny_comet["comet_da"], precision="bf16")).score(data)
    assert bf16.unavailable is None
    assert "|precision:bf16|" in bf16.signature and "|precision:32|" in fp32.signature
    # tiny model: max difference 1.4e-3 (docs/benchmarks.md)
    np.testing.assert_allclose(bf16.segment_scores, fp32.segment_scores, rtol=0, atol=3e-3)
    assert bf16.segment_scores != fp32.segment_scores  # autocast really ran in bf16 on the CPU
    assert bf16.details["encode_once"]["on"] is True
    full = CometMetric(cfg=comet_config(tiny_comet["comet_da"], precision="bf16"))
    full.encode_once = False  # the sentence embeddings come out in fp32: encode once changes nothing
    np.testing.assert_allclose(full.score(data).segment_scores, bf16.segment_scores, rtol=0, atol=1e-6)


# ----------------------------------------------------------------------------- work done once


def test_duplicates_are_scored_once_and_reused_across_calls(tiny_comet, direct, monkeypatch):
    from comet.models import RegressionMetric

    ckpt = tiny_comet["comet_da"]
    metric = CometMetric(cfg=comet_config(ckpt))
    sources = [SOURCES[0], SOURCES[1], SOURCES[0], SOURCES[2], SOURCES[0]]
    hyps = [HYPOTHESES[0], HYPOTHESES[1], HYPOTHESES[0], HYPOTHESES[2], HYPOTHESES[1]]
    ref_a = [REF_A[0], REF_A[1], REF_A[0], REF_A[2], REF_A[0]]
    ref_b = [REF_A[0], REF_B[1], REF_A[0], REF_B[2], REF_A[0]]
    # unique (src, mt, ref): (0,0,a0) (1,1,a1) (2,2,a2) (0,1,a0) from stream A; (1,1,b1) (2,2,b2) new in B
    expected_unique = 6

    counter = SampleCounter(monkeypatch, RegressionMetric)
    first = metric.score(metric_input(sources, hyps, ref_a, ref_b))
    assert counter.samples == expected_unique
    assert first.details["inputs"] == expected_unique and first.details["scored"] == expected_unique

    # same content again (e.g. another system with equal output, or a re-score): no model call
    second = metric.score(metric_input(sources, hyps, ref_b, ref_a))
    assert counter.samples == expected_unique
    assert second.details["scored"] == 0 and second.details["cached"] == expected_unique
    assert second.segment_scores == first.segment_scores

    # one new hypothesis: exactly its two inputs (one per reference) reach the model
    hyps3 = hyps[:4] + ["完全不同的译文。"]
    metric.score(metric_input(sources, hyps3, ref_a, ref_b))
    assert counter.samples == expected_unique + 1  # ref_a[4] == ref_b[4]: one new triple

    monkeypatch.undo()
    expected = np.mean(
        [direct(ckpt, triples(sources, hyps, ref_a)), direct(ckpt, triples(sources, hyps, ref_b))], axis=0
    )
    np.testing.assert_allclose(first.segment_scores, expected, atol=1e-5)


# Four systems on one document sharing source and two reference streams: system "copy" outputs
# reference A itself, system "mixed" repeats other systems' outputs.
SYSTEMS = {
    "hyp": HYPOTHESES,
    "ref_b": REF_B,
    "copy": REF_A,
    "mixed": [HYPOTHESES[0], REF_B[1], "会议明天三点开始。", HYPOTHESES[3], "我每天写日记。"],
}


def test_encode_once_four_systems_equal_predict_and_encode_each_text_once(tiny_comet, direct, monkeypatch):
    from comet.models import RegressionMetric

    ckpt = tiny_comet["comet_da"]
    texts = TextCounter(monkeypatch, RegressionMetric)
    metric = CometMetric(cfg=comet_config(ckpt, batch_size=3))
    results = {name: metric.score(metric_input(SOURCES, hyps, REF_A, REF_B)) for name, hyps in SYSTEMS.items()}

    distinct = set(SOURCES) | set(REF_A) | set(REF_B) | {t for hyps in SYSTEMS.values() for t in hyps}
    assert texts.texts == len(distinct) == 19  # each distinct text through the encoder once
    # hyp: 5 sources, 10 references and 2 hypotheses (3 equal references of stream A)
    first = results["hyp"].details["encode_once"]
    assert first["on"] is True and first["texts_encoded"] == 17 and first["embeddings_held"] == 17
    # ref_b and copy: every hypothesis is a reference already encoded; mixed: 2 new sentences
    for name in ("ref_b", "copy"):
        counts = results[name].details["encode_once"]
        assert counts["texts_encoded"] == 0 and counts["embeddings_held"] == 17
        assert counts["embeddings_reused"] > 0  # counted per model batch that looks one up
    assert results["mixed"].details["encode_once"]["texts_encoded"] == 2
    assert results["mixed"].details["encode_once"]["embeddings_held"] == 19

    monkeypatch.undo()
    for name, hyps in SYSTEMS.items():
        expected = np.mean(
            [direct(ckpt, triples(SOURCES, hyps, REF_A)), direct(ckpt, triples(SOURCES, hyps, REF_B))], axis=0
        )
        np.testing.assert_allclose(results[name].segment_scores, expected, rtol=0, atol=1e-5, err_msg=name)
        assert results[name].signature == results["hyp"].signature  # encode once is not a signed choice


def test_encode_once_equals_the_full_model_path(tiny_comet, monkeypatch):
    from comet.models import RegressionMetric

    once = CometMetric(cfg=comet_config(tiny_comet["comet_da"]))
    full = CometMetric(cfg=comet_config(tiny_comet["comet_da"]))
    full.encode_once = False
    texts = TextCounter(monkeypatch, RegressionMetric)
    for hyps in SYSTEMS.values():
        data = metric_input(SOURCES, hyps, REF_A, REF_B)
        before = texts.texts
        a = once.score(data)
        encoded_once = texts.texts - before
        b = full.score(data)
        assert texts.texts - before - encoded_once == 3 * b.details["scored"]  # src, mt, ref per input
        np.testing.assert_allclose(a.segment_scores, b.segment_scores, rtol=0, atol=1e-6)
    assert b.details["encode_once"] == {"on": False, "why": "switched off"}


def test_encode_once_memory_is_bounded(tiny_comet, direct):
    from mtqe.metrics.comet_embeddings import EmbeddingScorer

    metric = CometMetric(cfg=comet_config(tiny_comet["comet_da"]))
    metric._embeddings = EmbeddingScorer(max_entries=4)  # fewer than one batch's texts
    results = [metric.score(metric_input(SOURCES, hyps, REF_A)) for hyps in SYSTEMS.values()]
    assert len(metric._embeddings) == 4
    for result, hyps in zip(results, SYSTEMS.values()):
        np.testing.assert_allclose(
            result.segment_scores, direct(tiny_comet["comet_da"], triples(SOURCES, hyps, REF_A)), atol=1e-5
        )
    with pytest.raises(ValueError, match="at least 1"):
        EmbeddingScorer(max_entries=0)


def test_joint_models_take_the_full_path_and_say_why(tiny_comet, direct):
    metric = CometMetric(cfg=comet_config(tiny_comet["cometkiwi"]))
    for hyps in SYSTEMS.values():
        result = metric.score(metric_input(SOURCES, hyps))
        expected = direct(tiny_comet["cometkiwi"], triples(SOURCES, hyps))
        np.testing.assert_allclose(result.segment_scores, expected, atol=1e-5)
    assert result.details["encode_once"]["on"] is False
    assert "UnifiedMetric encodes mt with src (and ref) jointly" in result.details["encode_once"]["why"]


def test_which_comet_classes_encode_once(tiny_comet):
    import comet.models as models
    from comet import load_from_checkpoint

    from mtqe.metrics.comet_embeddings import encode_once_reason

    assert encode_once_reason(load_from_checkpoint(str(tiny_comet["comet_da"]), local_files_only=True), models) is None
    kiwi = load_from_checkpoint(str(tiny_comet["cometkiwi"]), local_files_only=True)
    assert "UnifiedMetric encodes mt with src (and ref) jointly" in encode_once_reason(kiwi, models)
    # wmt21-comet-qe layout: separate encodings, but its forward combines them without estimate()
    qe = models.ReferencelessRegression(
        pretrained_model=str(tiny_comet["encoder"].resolve()), load_pretrained_weights=True,
        local_files_only=True, hidden_sizes=[64],
    )
    assert "ReferencelessRegression does not score through RegressionMetric.estimate" in encode_once_reason(qe, models)


def test_encode_once_and_the_score_cache(tiny_comet, monkeypatch, tmp_path):
    from comet.models import RegressionMetric

    path = tmp_path / "scores.sqlite"
    first = CometMetric(cfg=comet_config(tiny_comet["comet_da"]), cache=ScoreCache(path))
    scored = {name: first.score(metric_input(SOURCES, hyps, REF_A)) for name, hyps in SYSTEMS.items()}

    # The rows are the scores of the full model path (same identity): an instance without
    # encode once is served them, and would have computed the same values.
    texts = TextCounter(monkeypatch, RegressionMetric)
    full = CometMetric(cfg=comet_config(tiny_comet["comet_da"]), cache=ScoreCache(path))
    full.encode_once = False
    for name, hyps in SYSTEMS.items():
        again = full.score(metric_input(SOURCES, hyps, REF_A))
        assert again.details["scored"] == 0 and again.segment_scores == scored[name].segment_scores
    assert texts.texts == 0 and full._loaded is None

    # Source and reference embeddings are kept beside the scores (embeddings.sqlite): a new
    # instance scoring a new system encodes only its new hypothesis.
    assert (tmp_path / "embeddings.sqlite").is_file()
    second = CometMetric(cfg=comet_config(tiny_comet["comet_da"]), cache=ScoreCache(path))
    new_system = ["猫睡在窗边。", *HYPOTHESES[1:]]
    result = second.score(metric_input(SOURCES, new_system, REF_A))
    assert result.details["scored"] == 1 and result.details["from_score_cache"] == 4
    assert result.details["encode_once"] == {
        "on": True, "texts_encoded": 1, "embeddings_reused": 0, "embeddings_held": 3, "embeddings_from_cache": 2,
    }
    assert texts.texts == 1
    fresh = CometMetric(cfg=comet_config(tiny_comet["comet_da"])).score(metric_input(SOURCES, new_system, REF_A))
    np.testing.assert_allclose(result.segment_scores, fresh.segment_scores, rtol=0, atol=1e-6)
    third = second.score(metric_input(SOURCES, ["猫在窗边睡着了。", *HYPOTHESES[1:]], REF_A))
    assert third.details["encode_once"] == {
        "on": True, "texts_encoded": 1, "embeddings_reused": 2, "embeddings_held": 4, "embeddings_from_cache": 0,
    }

    # another precision is another identity: its embeddings are not served from the fp32 rows
    bf16 = CometMetric(cfg=comet_config(tiny_comet["comet_da"], precision="bf16"), cache=ScoreCache(path))
    assert bf16.score(metric_input(SOURCES, new_system, REF_A)).details["encode_once"]["embeddings_from_cache"] == 0


def test_model_loaded_once_for_all_systems(tiny_comet, monkeypatch):
    # Every COMET model construction builds its encoder once (XLMREncoder.from_pretrained);
    # model __init__ itself cannot be wrapped: Lightning inspects its frame and signature.
    from comet.encoders.xlmr import XLMREncoder

    constructed = []
    original = XLMREncoder.from_pretrained.__func__

    def counting(cls, pretrained_model, *args, **kwargs):
        constructed.append(pretrained_model)
        return original(cls, pretrained_model, *args, **kwargs)

    monkeypatch.setattr(XLMREncoder, "from_pretrained", classmethod(counting))
    metric = CometMetric(cfg=comet_config(tiny_comet["comet_da"]))
    assert constructed == []  # lazy
    first = metric.score(metric_input(SOURCES, HYPOTHESES, REF_A))
    second = metric.score(metric_input(SOURCES, list(reversed(HYPOTHESES)), REF_A))
    assert constructed == [str(tiny_comet["encoder"].resolve())]
    assert "load_s" in first.details and "load_s" not in second.details
    assert first.signature.split("|")[2] == second.signature.split("|")[2]  # same hash


def test_score_cache_serves_a_new_instance(tiny_comet, monkeypatch, tmp_path):
    from comet.models import RegressionMetric

    cache = ScoreCache(tmp_path / "scores.sqlite")
    data = metric_input(SOURCES, HYPOTHESES, REF_A, REF_B)
    first = CometMetric(cfg=comet_config(tiny_comet["comet_da"]), cache=cache).score(data)
    assert cache.count() == 10

    counter = SampleCounter(monkeypatch, RegressionMetric)
    second = CometMetric(
        cfg=comet_config(tiny_comet["comet_da"]), cache=ScoreCache(tmp_path / "scores.sqlite")
    )
    result = second.score(data)
    assert counter.samples == 0
    assert result.details["from_score_cache"] == 10
    np.testing.assert_allclose(result.segment_scores, first.segment_scores, rtol=0, atol=1e-12)
    # Everything was cached: the checkpoint's facts came from the cache too, no model loaded.
    assert second._loaded is None and "load_s" not in result.details
    assert result.signature == first.signature and result.details["model_class"] == "RegressionMetric"

    # One new hypothesis: only then is the model loaded, for that input alone.
    changed = metric_input(SOURCES, [HYPOTHESES[0] + "。", *HYPOTHESES[1:]], REF_A, REF_B)
    mixed = second.score(changed)
    assert second._loaded is not None and "load_s" in mixed.details
    assert mixed.details["scored"] == 2 and counter.samples == 2  # the 8 others: from the memo
    fresh = CometMetric(cfg=comet_config(tiny_comet["comet_da"])).score(changed)
    np.testing.assert_allclose(mixed.segment_scores, fresh.segment_scores, rtol=0, atol=1e-6)
    counter.samples = 0

    # another precision is another identity: scored again, not served from the fp32 rows
    third = CometMetric(cfg=comet_config(tiny_comet["comet_da"], precision="bf16"), cache=cache)
    assert third.score(data).details["from_score_cache"] == 0
    assert counter.samples == 10


def test_score_cache_file_hash_follows_content(tmp_path):
    cache = ScoreCache(tmp_path / "scores.sqlite")
    target = tmp_path / "model.ckpt"
    target.write_bytes(b"first")
    assert cache.file_sha256(target) == hashlib.sha256(b"first").hexdigest()
    assert cache.file_sha256(target) == hashlib.sha256(b"first").hexdigest()  # memoised row
    target.write_bytes(b"second version")  # size (and mtime) change: hashed again
    assert cache.file_sha256(target) == hashlib.sha256(b"second version").hexdigest()


# ----------------------------------------------------------------------------- truncation


def test_batches_are_longest_first_with_the_short_batch_first(tiny_comet):
    # A batch costs its size x its longest input: the one short batch should hold the longest.
    metric = CometMetric(cfg=comet_config(tiny_comet["comet_da"], batch_size=2))
    loaded, _ = metric._ensure_loaded()
    keys = [(s, h, r) for s, h, r in zip(SOURCES, HYPOTHESES, REF_A)]
    batches, lengths = metric._batches(loaded, keys)
    assert [len(b) for b in batches] == [1, 2, 2]
    assert lengths == metric.token_lengths(loaded, [t for k in keys for t in k])
    totals = [sum(lengths[t] for t in key) for batch in batches for key in batch]
    assert totals == sorted(totals, reverse=True)
    assert metric._batches(loaded, [])[0] == []


def test_truncation_is_counted(tiny_comet):
    from transformers import XLMRobertaTokenizerFast

    tokenizer = XLMRobertaTokenizerFast.from_pretrained(str(tiny_comet["encoder"]))

    def n_tokens(text: str) -> int:
        return len(tokenizer(text, verbose=False)["input_ids"])

    long_src = "".join(CORPUS_JA) * 2
    assert n_tokens(long_src) > COMET_MAX_TOKENS
    # about 40 + 35 tokens: each fits alone (<= 62) but "mt </s></s> src" exceeds 64
    mid_src = "".join(CORPUS_JA[:4])
    mid_mt = "".join(CORPUS_ZH[:4])
    assert n_tokens(mid_src) <= COMET_MAX_TOKENS - 2 and n_tokens(mid_mt) <= COMET_MAX_TOKENS - 2
    assert n_tokens(mid_src) + n_tokens(mid_mt) > COMET_MAX_TOKENS

    sources = [long_src, mid_src, SOURCES[2]]
    hyps = [HYPOTHESES[0], mid_mt, HYPOTHESES[2]]
    refs = [REF_A[0], REF_A[1], REF_A[2]]

    ref_based = CometMetric(cfg=comet_config(tiny_comet["comet_da"])).score(metric_input(sources, hyps, refs))
    assert ref_based.details["truncated"] == 1  # src, mt, ref are encoded separately: only the long src
    assert ref_based.signature.endswith("|trunc:1")

    qe = CometMetric(cfg=comet_config(tiny_comet["cometkiwi"])).score(metric_input(sources, hyps))
    assert qe.details["truncated"] == 2  # the long src, and the joined mid pair
    assert qe.signature.endswith("|trunc:2")


# ----------------------------------------------------------------------------- not available


def test_hub_id_offline_is_not_available_fast_with_remedy(monkeypatch, tmp_path):
    import huggingface_hub
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    calls = []
    original = huggingface_hub.snapshot_download

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", counting)

    metric = CometMetric(cfg=comet_config("Unbabel/wmt22-comet-da"))
    data = metric_input(SOURCES, HYPOTHESES, REF_A)
    started = time.perf_counter()
    result = metric.score(data)
    elapsed = time.perf_counter() - started

    assert elapsed < 5.0
    assert result.score is None and result.segment_scores is None
    assert "'Unbabel/wmt22-comet-da' is not available offline" in result.unavailable
    assert "huggingface-cli download Unbabel/wmt22-comet-da" in result.unavailable
    assert "metric.comet.model=/path/to/checkpoints/model.ckpt" in result.unavailable
    assert calls and calls[0]["local_files_only"] is True
    assert "hash:unloaded" in result.signature

    again = metric.score(data)  # the load is attempted once per instance
    assert again.unavailable == result.unavailable
    assert len(calls) == 1


def test_missing_checkpoint_is_not_available(tmp_path):
    data = metric_input(SOURCES, HYPOTHESES, REF_A)
    missing_file = CometMetric(cfg=comet_config(tmp_path / "nope" / "checkpoints" / "model.ckpt")).score(data)
    assert missing_file.score is None
    assert "does not exist" in missing_file.unavailable and "metric.comet.model" in missing_file.unavailable

    (tmp_path / "empty-model").mkdir()
    empty_dir = CometMetric(cfg=comet_config(tmp_path / "empty-model")).score(data)
    assert "empty-model/checkpoints/model.ckpt" in empty_dir.unavailable


def test_corrupt_checkpoint_is_not_available(tiny_comet, tmp_path):
    model_dir = tmp_path / "broken"
    (model_dir / "checkpoints").mkdir(parents=True)
    shutil.copy(Path(tiny_comet["comet_da"]).parent.parent / "hparams.yaml", model_dir)
    (model_dir / "checkpoints" / "model.ckpt").write_bytes(b"not a checkpoint" * 64)
    result = CometMetric(cfg=comet_config(model_dir)).score(metric_input(SOURCES, HYPOTHESES, REF_A))
    assert result.score is None
    assert "not a readable PyTorch checkpoint" in result.unavailable

    (model_dir / "hparams.yaml").unlink()
    no_hparams = CometMetric(cfg=comet_config(model_dir)).score(metric_input(SOURCES, HYPOTHESES, REF_A))
    assert "hparams.yaml" in no_hparams.unavailable


def _checkpoint_naming_hub_encoder(tiny_comet, out: Path) -> Path:
    """A copy of the tiny COMET-DA whose stored encoder is the hub name 'xlm-roberta-large'."""
    source = Path(tiny_comet["comet_da"])
    (out / "checkpoints").mkdir(parents=True)
    checkpoint = torch.load(source, map_location="cpu", weights_only=True)
    checkpoint["hyper_parameters"]["pretrained_model"] = "xlm-roberta-large"
    torch.save(checkpoint, out / "checkpoints" / "model.ckpt")
    hparams = yaml.safe_load((source.parent.parent / "hparams.yaml").read_text(encoding="utf-8"))
    hparams["pretrained_model"] = "xlm-roberta-large"
    (out / "hparams.yaml").write_text(yaml.safe_dump(hparams), encoding="utf-8")
    return out / "checkpoints" / "model.ckpt"


def test_encoder_dir_relocates_a_hub_encoder(tiny_comet, direct, monkeypatch, tmp_path):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    ckpt = _checkpoint_naming_hub_encoder(tiny_comet, tmp_path / "wmt22-like")
    data = metric_input(SOURCES, HYPOTHESES, REF_A)

    started = time.perf_counter()
    stuck = CometMetric(cfg=comet_config(ckpt)).score(data)
    assert time.perf_counter() - started < 5.0
    assert "'xlm-roberta-large'" in stuck.unavailable and "not available offline" in stuck.unavailable
    assert "metric.comet.encoder_dir=" in stuck.unavailable

    relocated = CometMetric(cfg=comet_config(ckpt, encoder_dir=str(tiny_comet["encoder"]))).score(data)
    assert relocated.unavailable is None
    np.testing.assert_allclose(
        relocated.segment_scores,
        direct(tiny_comet["comet_da"], triples(SOURCES, HYPOTHESES, REF_A)),
        atol=1e-5,
    )

    wrong_dir = CometMetric(cfg=comet_config(ckpt, encoder_dir=str(tmp_path))).score(data)
    assert (
        "metric.comet.encoder_dir=" in wrong_dir.unavailable and "cannot be loaded" in wrong_dir.unavailable
    )


def test_reference_needed_but_missing_is_not_available(tiny_comet):
    metric = CometMetric(cfg=comet_config(tiny_comet["comet_da"]))
    result = metric.score(metric_input(SOURCES, HYPOTHESES))
    assert result.score is None
    assert "reference-based and no reference was given" in result.unavailable
    assert "|refs:0|" in result.signature


def test_reference_free_on_a_reference_model_is_not_available(tiny_comet):
    metric = CometMetric(cfg=comet_config(tiny_comet["comet_da"], reference_free=True))
    result = metric.score(metric_input(SOURCES, HYPOTHESES))
    assert result.score is None
    assert "needs references" in result.unavailable and "RegressionMetric" in result.unavailable


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown without a GPU")
def test_gpu_requested_without_cuda_is_not_available(tiny_comet):
    result = CometMetric(cfg=comet_config(tiny_comet["comet_da"], gpus=1)).score(
        metric_input(SOURCES, HYPOTHESES, REF_A)
    )
    assert "no CUDA device" in result.unavailable and "metric.comet.gpus=0" in result.unavailable


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_scores_match_cpu(tiny_comet):
    data = metric_input(SOURCES, HYPOTHESES, REF_A, REF_B)
    cpu = CometMetric(cfg=comet_config(tiny_comet["comet_da"])).score(data)
    gpu = CometMetric(cfg=comet_config(tiny_comet["comet_da"], gpus=1)).score(data)
    assert "|device:cuda|" in gpu.signature
    np.testing.assert_allclose(gpu.segment_scores, cpu.segment_scores, atol=1e-4)
    kiwi_bf16 = CometMetric(cfg=comet_config(tiny_comet["cometkiwi"], gpus=1, precision="bf16")).score(data)
    assert kiwi_bf16.unavailable is None and len(kiwi_bf16.segment_scores) == 5


def test_importing_comet_leaves_root_logging_alone():
    """`import comet` runs logging.basicConfig(level=INFO); the metric's import undoes it."""
    code = (
        "import logging\n"
        "from mtqe.metrics.comet_metric import _import_comet_models\n"
        "_import_comet_models()\n"
        "root = logging.getLogger()\n"
        "assert root.handlers == [] and root.level == logging.WARNING, (root.handlers, root.level)\n"
    )
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120, cwd=repo
    )
    assert done.returncode == 0, done.stderr[-2000:]
