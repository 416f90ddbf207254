"""The results of a run: immutable values passed from scoring to the report, and their one
serialisation (``results.json``).

A :class:`RunResult` is written first by a run (:func:`mtqe.report.write_run_outputs`);
leaderboard.csv, segments.jsonl, report.md, report.html and a sweep merge are all views of
it. Stages never change a result in place: they build a new one with
:func:`dataclasses.replace`.

The metric values inside (:class:`~mtqe.metrics.base.MetricResult`, the statistics'
``ConfidenceInterval`` and ``PairedTestResult``, :class:`~mtqe.metrics.base.MetricInfo`) are
the metrics stage's own frozen value types; this module only stores and (de)serialises them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from mtqe.diagnostics.model import Diagnostic
from mtqe.errors import MtqeError
from mtqe.metrics.agreement_values import AgreementStat, DeltaAgreement  # noqa: F401 — re-exported for the report
from mtqe.metrics.base import ErrorSpan, MetricInfo, MetricResult
from mtqe.metrics.stats import ConfidenceInterval, PairedTestResult
from mtqe.systems.base import SystemOutput

SCHEMA_VERSION = 1
RESULTS_FILE = "results.json"


class ResultsFormatError(MtqeError):
    """A results.json that this mtqe cannot read."""


def frozen_map(mapping: Mapping[Any, Any] | None) -> Mapping[Any, Any]:
    """A read-only copy (the values themselves are immutable types)."""
    return MappingProxyType(dict(mapping or {}))


def _freeze(obj: Any, **fields: Any) -> None:
    for name, value in fields.items():
        object.__setattr__(obj, name, value)


@dataclass(frozen=True)
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
    metrics: Mapping[str, MetricResult] = field(default_factory=dict)
    intervals: Mapping[str, ConfidenceInterval] = field(default_factory=dict)
    paired: Mapping[str, Mapping[str, PairedTestResult]] = field(default_factory=dict)  # metric -> test -> result
    ranks: Mapping[str, int] = field(default_factory=dict)  # metric -> significance cluster (1 = best)
    notes: tuple[str, ...] = ()  # the row's own notes (references, exclusions, other jobs)
    # Notes of the paired tests and clusters: kept apart, because a sweep merge recomputes them.
    significance_notes: tuple[str, ...] = ()
    error: str | None = None
    # Per segment, the diagnostics checks' findings (mtqe.diagnostics); empty when not run.
    diagnostics: tuple[tuple[Diagnostic, ...], ...] = ()
    # "all", or a breakdown of a test set: "domain=news", "doc=ID" (statistics on that subset).
    subset: str = "all"
    # Text id of the source text the row was translated and scored from (its language is
    # src_lang): a document with the official text in two languages has a row per source.
    # "" in results written before it was recorded, and in rows of jobs that failed to start.
    source_text: str = ""

    def __post_init__(self) -> None:
        _freeze(
            self, references=tuple(self.references), notes=tuple(self.notes),
            significance_notes=tuple(self.significance_notes), metrics=frozen_map(self.metrics),
            diagnostics=tuple(tuple(d) for d in self.diagnostics),
            intervals=frozen_map(self.intervals), ranks=frozen_map(self.ranks),
            paired=frozen_map({m: frozen_map(tests) for m, tests in (self.paired or {}).items()}),
        )

    @property
    def pair(self) -> str:
        return f"{self.src_lang}-{self.tgt_lang}"

    @property
    def all_notes(self) -> tuple[str, ...]:
        return self.notes + self.significance_notes


@dataclass(frozen=True)
class DocumentTexts:
    """Segment ids, sources and reference texts of one document and pair."""

    document: str
    src_lang: str
    tgt_lang: str
    segment_ids: tuple[str, ...]
    sources: tuple[str, ...]
    references: Mapping[str, tuple[str, ...]]  # reference text id -> one segment per segment id
    # Line-aligned test sets: per segment its document id and domain (empty tuples otherwise).
    doc_ids: tuple[str | None, ...] = ()
    domains: tuple[str | None, ...] = ()

    def __post_init__(self) -> None:
        _freeze(self, segment_ids=tuple(self.segment_ids), sources=tuple(self.sources),
                references=frozen_map({k: tuple(v) for k, v in self.references.items()}),
                doc_ids=tuple(self.doc_ids), domains=tuple(self.domains))

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.document, self.src_lang, self.tgt_lang)


@dataclass(frozen=True)
class RunResult:
    """Everything a run (or a sweep merge) found; every output file is derived from it."""

    rows: tuple[SystemResult, ...]
    metric_names: tuple[str, ...]
    metric_info: Mapping[str, MetricInfo]  # plain metadata: direction, description, …
    baseline: str
    texts: tuple[DocumentTexts, ...]
    timings: Mapping[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    # Metric–human agreement (mtqe.metrics.agreement): empty when the run has no human metric.
    agreement: tuple[AgreementStat, ...] = ()
    delta_agreement: tuple[DeltaAgreement, ...] = ()

    def __post_init__(self) -> None:
        _freeze(self, rows=tuple(self.rows), metric_names=tuple(self.metric_names),
                metric_info=frozen_map(self.metric_info), texts=tuple(self.texts),
                timings=frozen_map(self.timings), warnings=tuple(self.warnings), facts=frozen_map(self.facts),
                agreement=tuple(self.agreement), delta_agreement=tuple(self.delta_agreement))

    @property
    def human_metric_names(self) -> tuple[str, ...]:
        """The metrics of the run that are human judgments (their signature starts ``human|``)."""
        return tuple(m for m in self.metric_names
                     if any(m in r.metrics and r.metrics[m].signature.startswith("human|") for r in self.rows))

    def texts_for(self, document: str, src_lang: str, tgt_lang: str) -> DocumentTexts:
        for texts in self.texts:
            if texts.key == (document, src_lang, tgt_lang):
                return texts
        raise KeyError(f"no texts for {document} {src_lang}-{tgt_lang}")

    @property
    def segment_ids(self) -> dict[str, list[str]]:
        """Document -> segment ids (a run has one pair)."""
        return {t.document: list(t.segment_ids) for t in self.texts}

    # ----------------------------------------------------------------------- results.json

    def to_json(self) -> dict[str, Any]:
        """The one serialisation of a run's results (docs/outputs.md, "results.json")."""
        return {
            "schema_version": SCHEMA_VERSION,
            "metric_names": list(self.metric_names),
            "metric_info": {n: dataclasses.asdict(i) for n, i in self.metric_info.items()},
            "baseline": self.baseline,
            "texts": [_texts_json(t) for t in self.texts],
            "rows": [_row_json(r) for r in self.rows],
            "timings": dict(self.timings),
            "warnings": list(self.warnings),
            "facts": to_plain(self.facts),
            "agreement": [a.to_json() for a in self.agreement],
            "delta_agreement": [d.to_json() for d in self.delta_agreement],
        }

    @staticmethod
    def from_json(data: Any, *, where: str = RESULTS_FILE) -> "RunResult":
        """Inverse of :meth:`to_json`; a wrong or newer file is one :class:`ResultsFormatError`."""
        if not isinstance(data, dict):
            raise ResultsFormatError(f"{where}: expected a JSON object")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ResultsFormatError(
                f"{where}: schema_version {version!r}, this mtqe reads {SCHEMA_VERSION}; "
                "rerun the run with this mtqe (or use the mtqe that wrote it)"
            )
        try:
            return RunResult(
                rows=tuple(_row_from(r) for r in data["rows"]),
                metric_names=tuple(str(m) for m in data["metric_names"]),
                metric_info={str(n): MetricInfo(**i) for n, i in data["metric_info"].items()},
                baseline=str(data["baseline"]),
                texts=tuple(DocumentTexts(**t) for t in data["texts"]),
                timings={str(k): float(v) for k, v in (data.get("timings") or {}).items()},
                warnings=tuple(str(w) for w in data.get("warnings") or ()),
                facts=data.get("facts") or {},
                # Absent from files written before the agreement existed.
                agreement=tuple(AgreementStat.from_json(a) for a in data.get("agreement") or ()),
                delta_agreement=tuple(DeltaAgreement.from_json(d) for d in data.get("delta_agreement") or ()),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ResultsFormatError(
                f"{where}: not a valid mtqe results file ({type(exc).__name__}: {exc}); rerun the run"
            ) from None


def _texts_json(t: DocumentTexts) -> dict[str, Any]:
    return {"document": t.document, "src_lang": t.src_lang, "tgt_lang": t.tgt_lang,
            "segment_ids": list(t.segment_ids), "sources": list(t.sources),
            "references": {k: list(v) for k, v in t.references.items()},
            "doc_ids": list(t.doc_ids), "domains": list(t.domains)}


def _row_json(row: SystemResult) -> dict[str, Any]:
    out = row.output
    return {
        "document": row.document, "src_lang": row.src_lang, "tgt_lang": row.tgt_lang, "system": row.system,
        "kind": row.kind, "status": row.status, "n_segments": row.n_segments, "subset": row.subset,
        "source_text": row.source_text,
        "references": list(row.references), "error": row.error,
        "notes": list(row.notes), "significance_notes": list(row.significance_notes),
        "output": None if out is None else {
            "system": out.system, "hypotheses": list(out.hypotheses), "kind": out.kind, "text_id": out.text_id,
            "stats": to_plain(out.stats), "notes": list(out.notes),
            "segment_flags": [sorted(f) for f in out.segment_flags],
        },
        "diagnostics": [[d.to_json() for d in per_segment] for per_segment in row.diagnostics],
        "metrics": {
            name: {
                "score": res.score, "signature": res.signature, "unavailable": res.unavailable,
                "details": to_plain(res.details),
                "segment_scores": None if res.segment_scores is None else [finite_or_none(x) for x in res.segment_scores],
                "stats": None if res.stats is None else np.asarray(res.stats, dtype=np.float64).tolist(),
                "segment_spans": None if res.segment_spans is None
                else [[span.to_json() for span in seg] for seg in res.segment_spans],
                "ci": to_plain(row.intervals.get(name)),
                "paired": to_plain(row.paired.get(name)),
                "rank": row.ranks.get(name),
            }
            for name, res in row.metrics.items()
        },
    }


def _row_from(data: Mapping[str, Any]) -> SystemResult:
    out = data["output"]
    metrics, intervals, paired, ranks = {}, {}, {}, {}
    for name, m in data["metrics"].items():
        metrics[name] = MetricResult(
            metric=name, score=None if m["score"] is None else float(m["score"]), signature=str(m["signature"]),
            segment_scores=None if m["segment_scores"] is None
            else tuple(float("nan") if x is None else float(x) for x in m["segment_scores"]),
            stats=None if m["stats"] is None else np.asarray(m["stats"], dtype=np.float64),
            unavailable=m["unavailable"], details=frozen_map(m["details"]),
            segment_spans=None if m.get("segment_spans") is None
            else tuple(tuple(ErrorSpan.from_json(s) for s in seg) for seg in m["segment_spans"]),
        )
        if m.get("ci") is not None:
            intervals[name] = ConfidenceInterval(**m["ci"])
        if m.get("paired"):
            paired[name] = {test: PairedTestResult(**r) for test, r in m["paired"].items()}
        if m.get("rank") is not None:
            ranks[name] = int(m["rank"])
    return SystemResult(
        document=data["document"], src_lang=data["src_lang"], tgt_lang=data["tgt_lang"], system=data["system"],
        kind=data["kind"], status=data["status"], n_segments=int(data["n_segments"]),
        subset=str(data.get("subset", "all")), source_text=str(data.get("source_text") or ""),
        references=tuple(data["references"]), error=data["error"],
        notes=tuple(data["notes"]), significance_notes=tuple(data["significance_notes"]),
        output=None if out is None else SystemOutput(
            system=out["system"], hypotheses=tuple(out["hypotheses"]), kind=out["kind"], text_id=out["text_id"],
            stats=frozen_map(out["stats"]), notes=tuple(out["notes"]),
            segment_flags=tuple(frozenset(f) for f in out.get("segment_flags") or ()),
        ),
        diagnostics=tuple(tuple(Diagnostic.from_json(d) for d in seg) for seg in data.get("diagnostics") or ()),
        metrics=metrics, intervals=intervals, paired=paired, ranks=ranks,
    )


def finite_or_none(value: float) -> float | None:
    """A segment score for JSON: NaN (no score, e.g. a missing judgment) becomes null."""
    return None if value is None or value != value else float(value)


def to_plain(value: Any) -> Any:
    """JSON-ready copy of a value (dataclasses, mappings, sequences, numpy scalars)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        return [to_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
