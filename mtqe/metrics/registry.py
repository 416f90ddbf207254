"""Metric types: name → (config schema, builder). Explicit mapping; COMET imports lazily."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from omegaconf import OmegaConf

from mtqe.config_validation import to_typed
from mtqe.errors import ConfigError
from mtqe.metrics.base import Metric
from mtqe.metrics.configs import ChrfConfig, CometConfig, MetricConfig, SacreBleuConfig
from mtqe.registry import Registry, build_registry


@dataclass(frozen=True)
class MetricType:
    schema: type[MetricConfig]
    build: Callable[[Any], Metric]
    description: str


def _build_bleu(cfg: SacreBleuConfig) -> Metric:
    from mtqe.metrics.sacrebleu_metrics import BleuMetric

    return BleuMetric(cfg)


def _build_chrf(cfg: ChrfConfig) -> Metric:
    from mtqe.metrics.sacrebleu_metrics import ChrfMetric

    return ChrfMetric(cfg)


def _build_comet(cfg: CometConfig) -> Metric:
    from mtqe.metrics.comet_metric import CometMetric

    return CometMetric(cfg=cfg)


METRIC_TYPES: Registry[MetricType] = build_registry(
    "metric type",
    [
        ("bleu", MetricType(SacreBleuConfig, _build_bleu, "BLEU via sacrebleu")),
        ("chrf", MetricType(ChrfConfig, _build_chrf, "chrF / chrF++ via sacrebleu")),
        ("comet", MetricType(CometConfig, _build_comet, "COMET via unbabel-comet (reference-based or QE)")),
    ],
)


def validate_metric_config(name: str, node: Any) -> MetricConfig:
    if not hasattr(node, "get") or node.get("type") is None:
        raise ConfigError(f"metric.{name}: missing `type` (one of: {', '.join(METRIC_TYPES.names())})")
    metric_type = METRIC_TYPES.get(str(node.get("type")))
    data = OmegaConf.to_container(node, resolve=True) if not isinstance(node, dict) else dict(node)
    data.setdefault("name", name)
    if data["name"] != name:
        raise ConfigError(f"metric.{name}: `name: {data['name']}` differs from its key {name!r}")
    return to_typed(metric_type.schema, data, where=f"metric.{name}")


def build_metric(cfg: MetricConfig) -> Metric:
    return METRIC_TYPES.get(cfg.type).build(cfg)
