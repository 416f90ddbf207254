"""A finished run directory as the HTML report sees it: views of its ``results.json``.

``results.json`` (:class:`~mtqe.results.RunResult`) holds the results; ``run.json`` adds when,
where and with which versions the run happened. A merged sweep directory (``mtqe collect``)
has ``sweep.json`` (the jobs) in place of ``run.json``; it loads the same way, with
:attr:`RunMeta.jobs` set. ``leaderboard.csv`` is only checked for: written last, its
presence means the run finished. Nothing is parsed back from the CSV or segments.jsonl.
Every problem with a file is one :class:`RunDirError` naming the file and what to do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtqe.report.leaderboard import row_notes
from mtqe.report.results_file import RunDirError, read_results
from mtqe.report.segments import segment_rows
from mtqe.results import RESULTS_FILE, RunResult, SystemResult

SWEEP_FILE = "sweep.json"  # a merged sweep's record (mtqe.collect), in place of run.json
FINISHED_MARKER = "leaderboard.csv"  # written last by a run and by a merge


@dataclass(frozen=True)
class MetricCell:
    """One metric of one leaderboard row; None where the CSV cell is empty."""

    score: float | None
    ci_low: float | None
    ci_high: float | None
    rank: int | None
    p_bootstrap: float | None
    p_randomization: float | None
    signature: str


@dataclass(frozen=True)
class LeaderboardRow:
    document: str
    src_lang: str
    tgt_lang: str
    system: str
    kind: str
    status: str
    n_segments: int
    references: tuple[str, ...]
    baseline: str
    metrics: dict[str, MetricCell]
    notes: tuple[str, ...]  # the leaderboard's notes, each verbatim
    error: str
    source_text: str = ""  # text id of the source the row was scored from ("" if not recorded)

    @property
    def pair(self) -> str:
        return f"{self.src_lang}-{self.tgt_lang}"


@dataclass(frozen=True)
class SegmentRecord:
    """One line of segments.jsonl: one segment as translated by one system."""

    document: str
    src_lang: str
    tgt_lang: str
    system: str
    segment: str
    index: int
    source: str
    hypothesis: str
    references: dict[str, str]  # reference id -> text, in the order the run scored them
    scores: dict[str, float | None]
    diagnostics: tuple[dict, ...] = ()  # {"check", "severity", "detail", "span"} (docs/diagnostics.md)
    doc_id: str | None = None
    domain: str | None = None
    # metric -> [{"start", "end", "text", "severity", "confidence"?, "category"?}] (ErrorSpan.to_json)
    error_spans: dict[str, list[dict]] = field(default_factory=dict)
    source_text: str = ""


@dataclass(frozen=True)
class SweepJobInfo:
    """One job of a merged sweep, as sweep.json lists it."""

    num: int
    dir: str
    overrides: tuple[str, ...]
    status: str  # finished | failed | unfinished
    error: str | None


@dataclass(frozen=True)
class RunMeta:
    """The parts of run.json (or, for a merged sweep, sweep.json) the report shows."""

    started: str = ""
    finished: str = ""
    git_commit: str | None = None
    baseline: str = ""
    timings_s: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    versions: dict[str, str | None] = field(default_factory=dict)
    jobs: tuple[SweepJobInfo, ...] | None = None  # a merged sweep's jobs; None: a single run


@dataclass(frozen=True)
class SegmentSlot:
    """One segment of a (document, pair) with every system's output, aligned by segment index."""

    index: int
    segment: str
    source: str
    references: dict[str, str]  # union over the systems' references, first seen first
    outputs: dict[str, SegmentRecord]  # system -> its record (absent: no output for it)


@dataclass(frozen=True)
class Group:
    """The rows and segments of one (document, language pair): one section of the report."""

    document: str
    src_lang: str
    tgt_lang: str
    rows: tuple[LeaderboardRow, ...]
    segments: dict[str, tuple[SegmentRecord, ...]]  # system -> records in segment order

    @property
    def source_texts(self) -> tuple[str, ...]:
        """The source text id(s) the group's rows were scored from (one, unless rows predate it)."""
        return tuple(dict.fromkeys(r.source_text for r in self.rows if r.source_text))

    @property
    def pair(self) -> str:
        return f"{self.src_lang}-{self.tgt_lang}"

    @property
    def key(self) -> str:
        return f"{self.document}/{self.pair}"

    def slots(self) -> list[SegmentSlot]:
        """Segments in document order; aligned by ``index``, not by line position, so a
        system missing a segment leaves a gap instead of shifting every later one."""
        slots: dict[int, SegmentSlot] = {}
        for row in self.rows:
            for rec in self.segments.get(row.system, ()):
                slot = slots.setdefault(rec.index, SegmentSlot(rec.index, rec.segment, rec.source, {}, {}))
                slot.outputs[row.system] = rec
                for ref_id, text in rec.references.items():
                    slot.references.setdefault(ref_id, text)
        return [slots[i] for i in sorted(slots)]


@dataclass(frozen=True)
class RunData:
    run_dir: Path
    metric_names: tuple[str, ...]
    rows: tuple[LeaderboardRow, ...]
    segments: tuple[SegmentRecord, ...]
    metrics: Mapping[str, Any]  # metric -> its registration metadata (MetricInfo, from results.json)
    meta: RunMeta
    # Metric–human agreement (AgreementStat, DeltaAgreement values) and the human metrics.
    agreement: tuple[Any, ...] = ()
    delta_agreement: tuple[Any, ...] = ()
    human_metrics: tuple[str, ...] = ()

    def groups(self) -> list[Group]:
        """(document, pair) sections in leaderboard order."""
        order: dict[tuple[str, str, str], list[LeaderboardRow]] = {}
        for row in self.rows:
            order.setdefault((row.document, row.src_lang, row.tgt_lang), []).append(row)
        by_key: dict[tuple[str, str, str], dict[str, list[SegmentRecord]]] = {}
        for seg in self.segments:
            by_key.setdefault((seg.document, seg.src_lang, seg.tgt_lang), {}).setdefault(
                seg.system, []
            ).append(seg)
        groups = []
        for key, rows in order.items():
            segs = by_key.get(key, {})
            groups.append(Group(
                document=key[0], src_lang=key[1], tgt_lang=key[2], rows=tuple(rows),
                segments={s: tuple(sorted(v, key=lambda r: r.index)) for s, v in segs.items()},
            ))
        return groups

    def systems(self) -> list[str]:
        return list(dict.fromkeys(row.system for row in self.rows))


def load_run(run_dir: Path) -> RunData:
    """Read a run directory written by ``mtqe run`` (or ``mtqe collect``); raises :class:`RunDirError`."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(f"run directory {run_dir} does not exist (give the directory `mtqe run` wrote into)")
    _required(run_dir, FINISHED_MARKER)
    result = read_results(_required(run_dir, RESULTS_FILE))
    if not (run_dir / "run.json").is_file() and (run_dir / SWEEP_FILE).is_file():
        meta = _read_sweep_json(run_dir / SWEEP_FILE)
    else:
        meta = _read_run_json(_required(run_dir, "run.json"))
    meta = RunMeta(
        started=meta.started, finished=meta.finished, git_commit=meta.git_commit, baseline=result.baseline,
        timings_s=dict(result.timings), warnings=result.warnings, versions=meta.versions, jobs=meta.jobs,
    )
    return RunData(
        run_dir=run_dir,
        metric_names=result.metric_names,
        # The page shows whole documents; per-domain rows are in leaderboard.csv (subset column).
        rows=tuple(_leaderboard_row(row, result) for row in result.rows if row.subset == "all"),
        segments=tuple(_segment_record(seg) for seg in segment_rows(result)),
        metrics=dict(result.metric_info),
        meta=meta,
        agreement=result.agreement,
        delta_agreement=result.delta_agreement,
        human_metrics=result.human_metric_names,
    )


def _required(run_dir: Path, name: str) -> Path:
    path = run_dir / name
    if not path.is_file():
        hint = (" — leaderboard.csv is written last, so the run did not finish or this is not a run directory"
                if name == FINISHED_MARKER else " — rerun `mtqe run` to write it")
        if any(run_dir.glob("*/.hydra/config.yaml")):
            hint = (f" — {run_dir} is a sweep directory whose jobs are not merged: run `mtqe collect {run_dir}` "
                    f"(`mtqe report {run_dir}` does it by itself)")
        raise RunDirError(f"{path} is missing{hint}")
    return path


def _leaderboard_row(row: SystemResult, result: RunResult) -> LeaderboardRow:
    return LeaderboardRow(
        document=row.document, src_lang=row.src_lang, tgt_lang=row.tgt_lang, system=row.system,
        kind=row.kind, status=row.status, n_segments=row.n_segments, references=row.references,
        baseline=result.baseline,
        metrics={m: _metric_cell(row, m) for m in result.metric_names},
        notes=tuple(row_notes(row, result.metric_names)),
        error=row.error or "", source_text=row.source_text,
    )


def _metric_cell(row: SystemResult, m: str) -> MetricCell:
    result, ci, paired = row.metrics.get(m), row.intervals.get(m), row.paired.get(m, {})
    return MetricCell(
        score=result.score if result else None,
        ci_low=ci.low if ci else None,
        ci_high=ci.high if ci else None,
        rank=row.ranks.get(m),
        p_bootstrap=paired["bootstrap"].p_value if "bootstrap" in paired else None,
        p_randomization=paired["randomization"].p_value if "randomization" in paired else None,
        signature=result.signature if result else "",
    )


def _segment_record(seg: Mapping[str, Any]) -> SegmentRecord:
    fields = {k: v for k, v in seg.items() if k != "stats"}
    fields["diagnostics"] = tuple(fields.get("diagnostics") or ())
    return SegmentRecord(**fields)


# --------------------------------------------------------------------------- run.json, sweep.json


def _read_run_json(path: Path) -> RunMeta:
    info = _json_object(path)
    return RunMeta(
        started=str(info.get("started", "")),
        finished=str(info.get("finished", "")),
        git_commit=None if info.get("git_commit") is None else str(info["git_commit"]),
        versions={str(k): (None if v is None else str(v)) for k, v in _object(info, "versions", path).items()},
    )


def _read_sweep_json(path: Path) -> RunMeta:
    """The jobs of a merged sweep (mtqe.collect)."""
    info = _json_object(path)
    jobs = info.get("jobs") or []
    if not isinstance(jobs, list) or not all(isinstance(j, dict) and isinstance(j.get("num"), int) for j in jobs):
        raise RunDirError(f"{path}: 'jobs' must be a list of job objects; rerun `mtqe collect`")
    return RunMeta(
        jobs=tuple(
            SweepJobInfo(
                num=int(j["num"]), dir=str(j.get("dir", j["num"])),
                overrides=tuple(str(o) for o in j.get("overrides") or ()),
                status=str(j.get("status", "")), error=None if j.get("error") is None else str(j["error"]),
            )
            for j in jobs
        ),
    )


def _json_object(path: Path) -> dict[str, Any]:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunDirError(f"{path}: invalid JSON ({exc}); rerun the command that wrote it") from None
    except OSError as exc:
        raise RunDirError(f"cannot read {path}: {exc.strerror}") from None
    if not isinstance(info, dict):
        raise RunDirError(f"{path}: expected a JSON object")
    return info


def _object(info: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    """``info[key]`` as a dict ({} when absent or null); any other type is an error."""
    value = info.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RunDirError(f"{path}: {key!r} must be a JSON object, not {type(value).__name__}")
    return value
