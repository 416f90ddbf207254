"""MetricxMetric on a tiny random mT5 (tests/tiny_models.py build_tiny_mt5_metricx), no mocks.

Expected scores come from a forward pass written here with plain transformers calls (encoder,
one decoder step from token 0, the ``<extra_id_10>`` logit, clamp to [0, 25]) on inputs
built as MetricX-24 builds them, one input at a time.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from mtqe.config import StatsConfig
from mtqe.errors import ConfigError
from mtqe.metrics.base import MetricInput, MetricResult
from mtqe.metrics.configs import MetricxConfig
from mtqe.metrics.metricx_metric import MetricxMetric
from mtqe.metrics.registry import build_metric, validate_metric_config
from mtqe.metrics.scoring import add_statistics
from mtqe.metrics.score_cache import ScoreCache
from mtqe.results import SystemResult
from mtqe.systems.base import SystemOutput
from tests.test_config_validation import plan  # noqa: F401 -- a fixture: plan_run of the real conf/
from tests.tiny_models import CORPUS_EN, CORPUS_JA, CORPUS_ZH, METRICX_SCORE_TOKEN

SOURCES = [CORPUS_JA[0], CORPUS_JA[2] + CORPUS_JA[3], CORPUS_JA[4], CORPUS_JA[5] * 3, CORPUS_JA[6]]
HYPOTHESES = [CORPUS_ZH[0], CORPUS_ZH[2] + CORPUS_ZH[3], CORPUS_EN[4], CORPUS_ZH[5] * 3, "图书馆"]
REFS = [CORPUS_ZH[0], CORPUS_ZH[2] + CORPUS_ZH[3], CORPUS_ZH[4], CORPUS_ZH[5] * 3, CORPUS_ZH[6]]
REFS_B = [CORPUS_ZH[1], CORPUS_ZH[2], CORPUS_ZH[7], CORPUS_ZH[5], CORPUS_ZH[8]]


def config(tiny, **overrides) -> MetricxConfig:
    overrides.setdefault("batch_size", 4)
    overrides.setdefault("model", str(tiny["model"]))
    overrides.setdefault("tokenizer", str(tiny["tokenizer"]))
    return MetricxConfig(type="metricx", name="metricx", **overrides)


def data(*streams, sources=SOURCES, hypotheses=HYPOTHESES) -> MetricInput:
    return MetricInput(sources=sources, hypotheses=hypotheses, references=list(streams),
                       reference_ids=[f"ref{i}" for i in range(len(streams))], src_lang="ja", tgt_lang="zh")


@pytest.fixture(scope="module")
def expected(tiny_metricx):
    """Scores of a forward pass written here, one input at a time (no batching, no padding)."""
    from transformers import AutoTokenizer, MT5ForConditionalGeneration

    tokenizer = AutoTokenizer.from_pretrained(tiny_metricx["tokenizer"])
    model = MT5ForConditionalGeneration.from_pretrained(tiny_metricx["model"]).eval()
    index = tokenizer.convert_tokens_to_ids(METRICX_SCORE_TOKEN)

    def score(src: str, mt: str, ref: str | None, max_tokens: int = 1536) -> float:
        text = f"source: {src} candidate: {mt}" + ("" if ref is None else f" reference: {ref}")
        ids = tokenizer(text, max_length=max_tokens, truncation=True)["input_ids"][:-1]  # EOS dropped
        with torch.no_grad():
            states = model.encoder(input_ids=torch.tensor([ids])).last_hidden_state
            step = model.decoder(input_ids=torch.zeros((1, 1), dtype=torch.long), encoder_hidden_states=states)
            logit = model.lm_head(step.last_hidden_state)[0, 0, index]
        return float(torch.clamp(logit, 0.0, 25.0))

    return score


# ----------------------------------------------------------------------------- scores


def test_reference_based_scores_equal_the_independent_forward_pass(tiny_metricx, expected):
    result = MetricxMetric(cfg=config(tiny_metricx)).score(data(REFS))
    want = [expected(s, h, r) for s, h, r in zip(SOURCES, HYPOTHESES, REFS)]
    np.testing.assert_allclose(result.segment_scores, want, rtol=1e-5, atol=1e-5)
    assert result.score == pytest.approx(np.mean(want), abs=1e-5)
    assert len(set(np.round(want, 4))) == len(want)  # the tiny model tells the inputs apart
    assert all(0.0 <= s <= 25.0 for s in result.segment_scores)
    assert result.details["reference_free"] is False and result.details["truncated"] == 0
    assert result.details["long_segments"]["over_long"] == 0


def test_qe_mode_uses_the_qe_format_and_ignores_references(tiny_metricx, expected):
    metric = MetricxMetric(cfg=config(tiny_metricx, qe=True))
    assert not metric.info.needs_reference
    result = metric.score(data(REFS))
    want = [expected(s, h, None) for s, h in zip(SOURCES, HYPOTHESES)]
    np.testing.assert_allclose(result.segment_scores, want, rtol=1e-5, atol=1e-5)
    assert "|mode:qe|" in result.signature and "|refs:0|" in result.signature
    assert metric.score(data()).segment_scores == result.segment_scores  # no reference needed


def test_unequal_lengths_batched_equal_batch_of_one(tiny_metricx):
    """metricx#2: the published script cannot batch inputs of unequal length."""
    one = MetricxMetric(cfg=config(tiny_metricx, batch_size=1)).score(data(REFS, REFS_B))
    many = MetricxMetric(cfg=config(tiny_metricx, batch_size=10)).score(data(REFS, REFS_B))
    np.testing.assert_allclose(many.segment_scores, one.segment_scores, rtol=1e-5, atol=1e-5)
    assert many.details["inputs"] == 10


def test_several_references_mean_or_min(tiny_metricx, expected):
    per_ref = np.array([[expected(s, h, r) for s, h, r in zip(SOURCES, HYPOTHESES, refs)] for refs in (REFS, REFS_B)])
    mean = MetricxMetric(cfg=config(tiny_metricx)).score(data(REFS, REFS_B))
    np.testing.assert_allclose(mean.segment_scores, per_ref.mean(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(mean.details["per_reference"]["ref1"], per_ref[1], rtol=1e-5, atol=1e-5)
    best = MetricxMetric(cfg=config(tiny_metricx, multi_reference="min")).score(data(REFS, REFS_B))
    np.testing.assert_allclose(best.segment_scores, per_ref.min(axis=0), rtol=1e-5, atol=1e-5)


def test_truncation_at_max_input_tokens_is_counted_and_matches_the_cut_forward_pass(tiny_metricx, expected):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_metricx["tokenizer"])
    limit = 64
    texts = [f"source: {s} candidate: {h} reference: {r}" for s, h, r in zip(SOURCES, HYPOTHESES, REFS)]
    over = [len(tokenizer(t)["input_ids"]) > limit for t in texts]
    assert 0 < sum(over) < len(over)
    result = MetricxMetric(cfg=config(tiny_metricx, max_input_tokens=limit)).score(data(REFS))
    want = [expected(s, h, r, limit) for s, h, r in zip(SOURCES, HYPOTHESES, REFS)]
    np.testing.assert_allclose(result.segment_scores, want, rtol=1e-5, atol=1e-5)
    assert result.details["truncated"] == sum(over) and result.signature.endswith(f"|long:truncate|trunc:{sum(over)}")
    assert result.details["long_segments"] == {"mode": "truncate", "max_tokens": limit, "segments": 5, "over_long": sum(over),
                                               "split": 0, "truncated": sum(over), "not_split": {}}


def test_bf16_loads_bfloat16_weights_and_stays_close(tiny_metricx):
    metric = MetricxMetric(cfg=config(tiny_metricx, precision="bf16"))
    result = metric.score(data(REFS))
    assert metric._loaded.model.dtype == torch.bfloat16
    assert "|precision:bf16|" in result.signature
    full = MetricxMetric(cfg=config(tiny_metricx)).score(data(REFS))
    np.testing.assert_allclose(result.segment_scores, full.segment_scores, atol=0.5)


# ----------------------------------------------------------------------------- cache, info, failures


def test_info_and_signature_load_nothing(tiny_metricx):
    metric = MetricxMetric(cfg=config(tiny_metricx))
    assert metric.info.higher_is_better is False and metric.info.needs_reference and metric.info.needs_source
    assert metric.signature().startswith("metricx|model:tiny-metricx|hash:unloaded|version:")
    assert "|mode:ref|agg:mean|tok:tiny-mt5-tokenizer|max:1536|" in metric.signature()
    assert metric.signature().endswith("|precision:32|bs:4|device:cpu|long:truncate")
    assert metric._loaded is None


def test_second_run_reads_the_score_cache_and_loads_no_model(tiny_metricx, tmp_path, monkeypatch):
    cache = tmp_path / "scores.sqlite"
    first = MetricxMetric(cfg=config(tiny_metricx), cache=ScoreCache(cache)).score(data(REFS))
    assert first.details["scored"] == 5 and "load_s" in first.details

    import transformers

    def refuse(*args, **kwargs):
        raise AssertionError("the model was loaded although every score is cached")

    monkeypatch.setattr(transformers.MT5ForConditionalGeneration, "from_pretrained", refuse)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", refuse)
    again = MetricxMetric(cfg=config(tiny_metricx), cache=ScoreCache(cache))
    second = again.score(data(REFS))
    assert second.segment_scores == first.segment_scores
    assert second.details["from_score_cache"] == 5 and second.details["scored"] == 0
    assert again._loaded is None and "load_s" not in second.details
    assert second.signature == first.signature


def test_offline_hub_ids_are_unavailable_with_the_remedy(tiny_metricx):
    hub = MetricxMetric(cfg=MetricxConfig(type="metricx", name="mx")).score(data(REFS))
    assert hub.score is None
    assert "'google/metricx-24-hybrid-large-v2p6' is not available offline" in hub.unavailable
    assert "huggingface-cli download" in hub.unavailable and "metric.mx.model=" in hub.unavailable
    no_tok = MetricxMetric(cfg=config(tiny_metricx, tokenizer="google/mt5-xl")).score(data(REFS))
    assert no_tok.score is None and "tokenizer 'google/mt5-xl' is not available offline" in no_tok.unavailable
    assert "metric.metricx.tokenizer=" in no_tok.unavailable


def test_a_reference_based_run_without_references_says_what_to_do(tiny_metricx):
    result = MetricxMetric(cfg=config(tiny_metricx)).score(data())
    assert result.score is None and "metric.metricx.qe=true" in result.unavailable


def test_a_tokenizer_without_the_score_token_is_refused(tiny_metricx, tiny_madlad):
    result = MetricxMetric(cfg=config(tiny_metricx, tokenizer=str(tiny_madlad))).score(data(REFS))
    assert result.score is None and "<extra_id_10>" in result.unavailable


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"precision": "16"}, "precision"),
        ({"gpus": 2}, "gpus"),
        ({"batch_size": 0}, "batch_size"),
        ({"long_segments": "cut"}, "long_segments"),
        ({"device_map": "auto"}, "device_map"),  # with gpus: 0
        ({"device_map": "everywhere", "gpus": 1}, "device_map"),
        ({"multi_reference": "max"}, "multi_reference"),
    ],
)
def test_bad_config_values_name_the_key(overrides, message):
    node = {"type": "metricx", **overrides}
    with pytest.raises(ConfigError, match=rf"metric\.mx\.{message}="):
        validate_metric_config("mx", node)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only error")
def test_device_map_without_cuda_fails_in_preflight_and_is_unavailable_when_scored(tiny_metricx):
    metric = build_metric(validate_metric_config(
        "mx", {"type": "metricx", "model": str(tiny_metricx["model"]), "tokenizer": str(tiny_metricx["tokenizer"]),
               "device_map": "auto", "gpus": 1}))
    with pytest.raises(ConfigError, match=r"metric\.mx\.device_map='auto' shards the model over GPUs, but no CUDA"):
        metric.preflight("ja", "zh")
    result = metric.score(data(REFS))
    assert result.score is None and "no CUDA device is visible" in result.unavailable


def test_the_packaged_configs_validate_with_the_published_hub_ids():
    import yaml

    conf = Path(__file__).resolve().parents[2] / "mtqe" / "conf" / "metric"
    found = {}
    for path in sorted(conf.glob("metricx-*.yaml")):
        (name, node), = yaml.safe_load(path.read_text(encoding="utf-8")).items()
        found[name] = validate_metric_config(name, node)
    assert {c.model for c in found.values()} == {
        f"google/metricx-24-hybrid-{size}-v2p6{variant}" for size in ("large", "xl", "xxl")
        for variant in ("", "-bfloat16")
    }
    assert all(c.tokenizer == "google/mt5-xl" and c.max_input_tokens == 1536 for c in found.values())
    assert all(c.precision == "bf16" for name, c in found.items() if "xxl" in name or "bf16" in name)
    assert {name for name, c in found.items() if c.qe} == {f"metricx-24-hybrid-{s}-qe" for s in ("large", "xl", "xxl")}
    assert all(build_metric(c).info.higher_is_better is False for c in found.values())


# ----------------------------------------------------------------------------- ranks, leaderboard, charts


def _row(doc, system: str, scores: list[float], metric) -> SystemResult:
    stats = np.array(scores, dtype=np.float64).reshape(-1, 1)
    result = MetricResult("metricx", float(stats.mean()), metric.signature(), segment_scores=tuple(scores),
                          stats=stats)
    return SystemResult(document=doc.document, src_lang="ja", tgt_lang="zh", system=system, kind="mt",
                        status="ok", n_segments=len(scores), references=("zh-community",),
                        output=SystemOutput(system, tuple(doc.target_segments("zh-community")), "mt"),
                        metrics={"metricx": result})


def test_lower_is_better_ranks_leaderboard_and_chart(tiny_metricx, tmp_path):
    from mtqe.corpus.loader import default_references_dir, load_parallel_document
    from mtqe.corpus.manifest import load_manifest
    from mtqe.report import write_run_outputs
    from mtqe.report.html import write_html_report
    from mtqe.results import DocumentTexts, RunResult

    doc = load_parallel_document(load_manifest(default_references_dir()), "jpus-2022", "ja", "zh", unit="paragraph")
    n = len(doc.segments)
    rng = np.random.default_rng(0)
    metric = MetricxMetric(cfg=config(tiny_metricx))
    rows = [
        _row(doc, "good", list(1.0 + rng.uniform(0, 0.5, n)), metric),  # few errors: best
        _row(doc, "bad", list(12.0 + rng.uniform(0, 0.5, n)), metric),
        _row(doc, "mid", list(6.0 + rng.uniform(0, 0.5, n)), metric),
    ]
    stats = StatsConfig(bootstrap_samples=50, randomization_samples=100, seed=3, baseline="mid")
    final = add_statistics(doc, rows, {"metricx": metric}, stats)
    assert {r.system: r.ranks["metricx"] for r in final} == {"good": 1, "mid": 2, "bad": 3}
    run = RunResult(rows=final, metric_names=("metricx",), metric_info={"metricx": metric.info}, baseline="mid",
                    texts=(DocumentTexts(doc.document, "ja", "zh", tuple(s.seg_id for s in doc.segments),
                                         doc.sources, {"zh-community": doc.target_segments("zh-community")}),))
    write_run_outputs(run, tmp_path, config={}, project_dir=tmp_path, started="2025-01-01T00:00:00+00:00")
    with open(tmp_path / "leaderboard.csv", encoding="utf-8") as handle:
        ranks = {r["system"]: r["metricx_rank"] for r in csv.DictReader(handle)}
    assert ranks == {"good": "1", "mid": "2", "bad": "3"}
    page = write_html_report(tmp_path).read_text(encoding="utf-8")
    assert "lower is better" in page and "metricx" in page


def test_split_long_segments_scores_pieces_in_the_metricx_format(tiny_metricx, expected):
    """jpus-2022 paragraphs over a 256-token limit, split into aligned sentences."""
    from mtqe.corpus.loader import default_references_dir, load_parallel_document
    from mtqe.corpus.manifest import load_manifest
    from mtqe.metrics.long_segments import split_pieces

    doc = load_parallel_document(load_manifest(default_references_dir()), "jpus-2022", "ja", "zh", unit="paragraph")
    sources, refs = list(doc.sources[:12]), list(doc.target_segments("zh-community")[:12])
    hyps = [r.replace("两位领导人", "他们") for r in refs]
    seeds = data(refs, sources=sources, hypotheses=hyps)
    cut = MetricxMetric(cfg=config(tiny_metricx, max_input_tokens=256)).score(seeds)
    split = MetricxMetric(cfg=config(tiny_metricx, max_input_tokens=256, long_segments="split")).score(seeds)
    info = split.details["long_segments"]
    assert info["over_long"] == cut.details["truncated"] > 0 and info["split"] == info["over_long"]
    assert info["truncated"] == 0 and split.signature.endswith("|long:split|trunc:0")
    i = max(range(12), key=lambda k: len(sources[k]))
    pieces = split_pieces(sources[i], hyps[i], refs[i], src_lang="ja", tgt_lang="zh")
    weights = np.array([p.weight for p in pieces], dtype=float)
    want = sum(w * expected(p.src, p.mt, p.ref, 256) for w, p in zip(weights, pieces)) / weights.sum()
    assert split.segment_scores[i] == pytest.approx(want, abs=1e-4)
    short = [k for k in range(12) if len(sources[k]) < 40]
    assert short and all(split.segment_scores[k] == cut.segment_scores[k] for k in short)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only error")
def test_a_run_asking_for_device_map_on_a_cpu_machine_stops_before_any_work(plan):  # noqa: F811
    """Through the real conf/ and plan_run's preflight, as `mtqe run` does it."""
    key = "metric.metricx-24-hybrid-xxl"
    with pytest.raises(ConfigError, match=rf"{key}\.device_map='auto' shards the model over GPUs, but no CUDA"):
        plan(["system=[community]", "metric=[bleu,metricx-24-hybrid-xxl]", f"{key}.gpus=1", f"{key}.device_map=auto"])
    with pytest.raises(ConfigError, match=rf"{key}\.device_map='auto': shards the model over GPUs: set gpus: 1"):
        plan(["system=[community]", "metric=[metricx-24-hybrid-xxl]", f"{key}.device_map=auto"])


def test_a_directory_without_decoder_weights_is_refused_not_randomly_filled(tiny_metricx, tmp_path):
    from transformers import MT5Config, MT5EncoderModel

    full = MT5Config.from_pretrained(tiny_metricx["model"])
    MT5EncoderModel(full).save_pretrained(tmp_path / "encoder-only")
    result = MetricxMetric(cfg=config(tiny_metricx, model=str(tmp_path / "encoder-only"))).score(data(REFS))
    assert result.score is None and "lacks" in result.unavailable and "not a MetricX checkpoint" in result.unavailable


def test_a_cached_run_reports_its_own_token_limit(tiny_metricx, tmp_path):
    """The score cache keeps one set of facts per checkpoint; the limit is the config's."""
    cache = tmp_path / "scores.sqlite"
    MetricxMetric(cfg=config(tiny_metricx), cache=ScoreCache(cache)).score(data(REFS))
    MetricxMetric(cfg=config(tiny_metricx, max_input_tokens=64), cache=ScoreCache(cache)).score(data(REFS))
    again = MetricxMetric(cfg=config(tiny_metricx), cache=ScoreCache(cache))
    result = again.score(data(REFS))
    assert again._loaded is None and result.details["max_tokens"] == 1536
    assert result.details["long_segments"]["max_tokens"] == 1536
