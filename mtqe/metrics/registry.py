"""Metric types: name → (config schema, builder). Explicit mapping; COMET imports lazily."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from mtqe.config_validation import typed_group_entry
from mtqe.metrics.base import Metric
from mtqe.metrics.configs import ChrfConfig, CometConfig, MetricConfig, SacreBleuConfig, TerConfig
from mtqe.registry import Registry, build_registry


@dataclass(frozen=True)
class MetricType:
    schema: type[MetricConfig]
    build: Callable[[Any, Path | None], Metric]  # (config, cache dir or None for no cache)
    description: str


def _build_bleu(cfg: SacreBleuConfig, cache_dir: Path | None) -> Metric:
    from mtqe.metrics.sacrebleu_metrics import BleuMetric

    return BleuMetric(cfg)


def _build_chrf(cfg: ChrfConfig, cache_dir: Path | None) -> Metric:
    from mtqe.metrics.sacrebleu_metrics import ChrfMetric

    return ChrfMetric(cfg)


def _build_ter(cfg: TerConfig, cache_dir: Path | None) -> Metric:
    from mtqe.metrics.sacrebleu_metrics import TerMetric

    return TerMetric(cfg)


def _build_comet(cfg: CometConfig, cache_dir: Path | None) -> Metric:
    from mtqe.metrics.comet_metric import CometMetric
    from mtqe.metrics.score_cache import ScoreCache

    cache = ScoreCache(cache_dir / "scores.sqlite") if cache_dir is not None else None
    return CometMetric(cfg=cfg, cache=cache)


METRIC_TYPES: Registry[MetricType] = build_registry(
    "metric type",
    [
        ("bleu", MetricType(SacreBleuConfig, _build_bleu, "BLEU via sacrebleu")),
        ("chrf", MetricType(ChrfConfig, _build_chrf, "chrF / chrF++ via sacrebleu")),
        ("ter", MetricType(TerConfig, _build_ter, "TER via sacrebleu (lower is better)")),
        ("comet", MetricType(CometConfig, _build_comet, "COMET via unbabel-comet (reference-based or QE)")),
    ],
)


def validate_metric_config(name: str, node: Any) -> MetricConfig:
    """Typed config of metric ``name`` (its key under ``metric:``), validated against its type's schema."""
    schemas = {type_name: METRIC_TYPES.get(type_name).schema for type_name in METRIC_TYPES.names()}
    return typed_group_entry("metric", name, node, schemas)


def build_metric(cfg: MetricConfig, *, cache_dir: Path | None = None) -> Metric:
    """A metric instance (loads nothing yet); neural metrics cache scores under ``cache_dir``."""
    return METRIC_TYPES.get(cfg.type).build(cfg, cache_dir)
