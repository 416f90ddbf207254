"""Interfaces of the metrics stage.

A metric scores one system's hypotheses for one (document, pair) and returns a
:class:`MetricResult`. Like sacrebleu, it keeps per-segment *sufficient statistics* and an
``aggregate`` that turns any subset of their rows into the corpus score, so the statistics
module can bootstrap and run paired tests for every metric the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from mtqe.progress import Progress

Aggregate = Callable[[np.ndarray], float]
"""Maps selected rows of per-segment statistics (n, k) to a corpus-level score."""


@dataclass(frozen=True)
class MetricInfo:
    """Registration metadata read by the pipeline and the report (nobody hard-codes it)."""

    name: str
    higher_is_better: bool
    needs_reference: bool
    needs_source: bool
    needs_gpu: bool = False
    description: str = ""


@dataclass(frozen=True)
class MetricInput:
    """One system's output for one document and pair.

    ``references`` is a list of reference *streams*: each stream has one string per
    hypothesis (sacrebleu's layout). Shapes are checked here, not trusted.
    """

    sources: Sequence[str]
    hypotheses: Sequence[str]
    references: Sequence[Sequence[str]]
    reference_ids: Sequence[str]
    src_lang: str
    tgt_lang: str
    # Who and what is scored: metrics that read data keyed by them (human judgments) need
    # them; every other metric ignores them. Empty when the caller does not say.
    document: str = ""
    system: str = ""
    segment_ids: Sequence[str] = ()

    def __post_init__(self) -> None:
        n = len(self.hypotheses)
        if self.segment_ids and len(self.segment_ids) != n:
            raise ValueError(f"MetricInput: {len(self.segment_ids)} segment ids for {n} hypotheses")
        if n == 0:
            raise ValueError("MetricInput: no hypotheses to score")
        if len(self.sources) != n:
            raise ValueError(f"MetricInput: {len(self.sources)} sources for {n} hypotheses")
        if len(self.references) != len(self.reference_ids):
            raise ValueError(
                f"MetricInput: {len(self.references)} reference streams but {len(self.reference_ids)} ids"
            )
        for ref_id, stream in zip(self.reference_ids, self.references):
            if len(stream) != n:
                raise ValueError(
                    f"MetricInput: reference {ref_id!r} has {len(stream)} segments for {n} hypotheses"
                )


SEVERITIES = ("minor", "major", "critical")


@dataclass(frozen=True)
class ErrorSpan:
    """One error a metric marked in a hypothesis (XCOMET, an LLM judge): character offsets
    ``[start, end)`` into the hypothesis, the marked text, its severity (one of
    :data:`SEVERITIES`) and, when the metric gives one, its confidence in [0, 1]. ``category``
    is an MQM-style label when the metric names one ("accuracy/mistranslation")."""

    start: int
    end: int
    text: str
    severity: str
    confidence: float | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"ErrorSpan.severity={self.severity!r}: use one of {', '.join(SEVERITIES)}")
        if not 0 <= int(self.start) <= int(self.end):
            raise ValueError(f"ErrorSpan: bad offsets [{self.start}, {self.end})")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": int(self.start), "end": int(self.end), "text": self.text,
                               "severity": self.severity}
        if self.confidence is not None:
            out["confidence"] = float(self.confidence)
        if self.category is not None:
            out["category"] = self.category
        return out

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> "ErrorSpan":
        return ErrorSpan(start=int(data["start"]), end=int(data["end"]), text=str(data["text"]),
                         severity=str(data["severity"]),
                         confidence=None if data.get("confidence") is None else float(data["confidence"]),
                         category=None if data.get("category") is None else str(data["category"]))


@dataclass(frozen=True)
class MetricResult:
    """A metric's verdict on one system. ``score`` is None when the metric could not run,
    and then ``unavailable`` says why (shown in the leaderboard's notes and the console)."""

    metric: str
    score: float | None
    signature: str
    segment_scores: tuple[float, ...] | None = None
    stats: np.ndarray | None = None  # per-segment sufficient statistics (n, k)
    unavailable: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    # Per segment, the error spans the metric marked in the hypothesis (XCOMET, LLM judges);
    # None for metrics that mark none. An empty tuple for a segment means "no error found".
    segment_spans: tuple[tuple[ErrorSpan, ...], ...] | None = None

    @staticmethod
    def not_available(metric: str, signature: str, reason: str) -> "MetricResult":
        return MetricResult(metric=metric, score=None, signature=signature, unavailable=reason)


class Metric(ABC):
    """A metric instance: configured once per run, shared by all systems (models load lazily)."""

    info: MetricInfo

    @abstractmethod
    def signature(self) -> str:
        """sacrebleu-style signature of this configuration (cheap; loads nothing)."""

    @abstractmethod
    def score(self, data: MetricInput, *, progress: Progress | None = None) -> MetricResult:
        """Score one system. Raises only for programming errors; a metric that cannot run
        returns :meth:`MetricResult.not_available` with the reason.

        A slow metric advances ``progress`` by segments as it scores them (never beyond
        ``len(data.hypotheses)``); a fast one may ignore it: the caller completes the count."""

    @abstractmethod
    def aggregate(self, rows: np.ndarray) -> float:
        """Corpus score from the selected rows of ``MetricResult.stats``."""

    def preflight(self, src_lang: str, tgt_lang: str) -> list[str]:
        """Checks for the pair before any work, loading no model (a tokenizer's dependency, a
        local checkpoint path): raise an :class:`~mtqe.errors.MtqeError` for a metric that
        cannot run as configured; return warnings."""
        return []

    def close(self) -> None:
        """Release models."""


def column_mean(rows: np.ndarray) -> float:
    """``aggregate`` for mean-type metrics (COMET and friends): mean of the first column."""
    return float(np.mean(np.asarray(rows, dtype=np.float64)[:, 0]))


def column_mean_many(samples: np.ndarray) -> np.ndarray:
    """Vectorised :func:`column_mean` for ``aggregate_many``: ``(batch, rows, k) -> (batch,)``."""
    return np.mean(np.asarray(samples, dtype=np.float64)[:, :, 0], axis=1)


def column_mean_sums(sums: np.ndarray, n_rows: int) -> np.ndarray:
    """:func:`column_mean` from column sums of resampled rows, for ``aggregate_sums``."""
    return np.asarray(sums, dtype=np.float64)[:, 0] / n_rows


class MeanOfSegments:
    """Mixin for metrics whose corpus score is the mean of their segment scores (column 0 of
    the statistics): the neural metrics and xsim. One definition of the three aggregates the
    statistics use (:mod:`mtqe.metrics.stats`)."""

    def aggregate(self, rows: np.ndarray) -> float:
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[0] == 0:
            raise ValueError(f"{type(self).__name__}.aggregate: expected (n>0, k) rows, got shape {rows.shape}")
        return column_mean(rows)

    def aggregate_many(self, samples: np.ndarray) -> np.ndarray:
        return column_mean_many(samples)

    def aggregate_sums(self, sums: np.ndarray, n_rows: int) -> np.ndarray:
        return column_mean_sums(sums, n_rows)


class MeanOfValid:
    """Mixin for metrics with segments that may have no score (a human judgment missing, an
    LLM judge's unreadable answer): statistics are ``[value, valid]`` per segment (value 0
    where not valid) and the corpus score is the mean over valid segments only; nothing is
    imputed. The segment score of a segment without one is NaN (null in JSON files)."""

    @staticmethod
    def valid_stats(values: Sequence[float], valid: Sequence[bool]) -> np.ndarray:
        """The ``(n, 2)`` statistics of segment ``values`` with their ``valid`` mask."""
        mask = np.asarray(valid, dtype=bool)
        out = np.zeros((len(mask), 2), dtype=np.float64)
        out[mask, 0] = np.asarray(values, dtype=np.float64)[mask]
        out[:, 1] = mask
        return out

    def aggregate(self, rows: np.ndarray) -> float:
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] < 2:
            raise ValueError(f"{type(self).__name__}.aggregate: expected (n, 2) rows, got shape {rows.shape}")
        valid = rows[:, 1].sum()
        return float(rows[:, 0].sum() / valid) if valid > 0 else float("nan")

    def aggregate_many(self, samples: np.ndarray) -> np.ndarray:
        samples = np.asarray(samples, dtype=np.float64)
        return self.aggregate_sums(samples.sum(axis=1), samples.shape[1])

    def aggregate_sums(self, sums: np.ndarray, n_rows: int) -> np.ndarray:
        sums = np.asarray(sums, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(sums[:, 1] > 0, sums[:, 0] / np.maximum(sums[:, 1], 1e-300), np.nan)
