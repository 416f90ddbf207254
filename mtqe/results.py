"""Result types passed from the pipeline to the report stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mtqe.metrics.base import MetricResult
from mtqe.systems.base import SystemOutput


@dataclass
class SystemResult:
    """One leaderboard row: a system on one document and language pair."""

    document: str
    src_lang: str
    tgt_lang: str
    system: str
    kind: str
    status: str  # "ok", or "error" when the system could not produce output
    n_segments: int
    references: tuple[str, ...] = ()
    output: SystemOutput | None = None
    metrics: dict[str, MetricResult] = field(default_factory=dict)
    intervals: dict[str, Any] = field(default_factory=dict)  # metric -> ConfidenceInterval
    paired: dict[str, dict[str, Any]] = field(default_factory=dict)  # metric -> test -> PairedTestResult
    ranks: dict[str, int] = field(default_factory=dict)  # metric -> significance cluster (1 = best)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def pair(self) -> str:
        return f"{self.src_lang}-{self.tgt_lang}"


@dataclass
class RunResult:
    rows: list[SystemResult]
    metric_names: list[str]
    metric_info: dict[str, Any]  # name -> MetricInfo
    baseline: str
    segment_ids: dict[str, list[str]]  # document -> segment ids
    sources: dict[str, list[str]]  # document -> source segments
    references: dict[str, dict[str, list[str]]]  # document -> reference id -> segments
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
