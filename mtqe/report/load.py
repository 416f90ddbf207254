"""Load a finished run directory (leaderboard.csv, segments.jsonl, run.json) into typed data.

A merged sweep directory (``mtqe collect``) has the same files, with ``sweep.json`` (the jobs)
in place of ``run.json``; it loads the same way, with :attr:`RunMeta.jobs` set.

The HTML report is built from these files, not from a :class:`~mtqe.results.RunResult`, so
it can be (re)built for any run directory, including runs made by an older mtqe. Every
problem with a file is one :class:`RunDirError` naming the file, the line and what to do.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtqe.errors import MtqeError

# The leaderboard columns the report needs (docs/outputs.md); metric columns are found by
# their ``M_signature`` column, so any configured metric is picked up.
REQUIRED_COLUMNS = (
    "document", "src_lang", "tgt_lang", "system", "kind", "status", "n_segments",
    "references", "baseline", "notes", "error",
)
REQUIRED_SEGMENT_KEYS = (
    "document", "src_lang", "tgt_lang", "system", "segment", "index", "source", "hypothesis",
    "references", "scores",
)
NOTE_SEPARATOR = " | "  # how leaderboard.py joins the notes of a row
SWEEP_FILE = "sweep.json"  # a merged sweep's record (mtqe.report.collect), in place of run.json


class RunDirError(MtqeError):
    """A run directory, or one of its files, cannot be read as a finished mtqe run."""


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
    notes: tuple[str, ...]  # the CSV's notes, split on " | ", each verbatim
    error: str

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


@dataclass(frozen=True)
class MetricMeta:
    """What run.json says about a metric (its registration metadata)."""

    name: str
    higher_is_better: bool = True
    needs_reference: bool = True
    description: str = ""


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
    metrics: dict[str, MetricMeta]
    meta: RunMeta

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
    """Read a run directory written by ``mtqe run``; raises :class:`RunDirError`."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(f"run directory {run_dir} does not exist (give the directory `mtqe run` wrote into)")
    metric_names, rows = _read_leaderboard(_required(run_dir, "leaderboard.csv"))
    segments = _read_segments(_required(run_dir, "segments.jsonl"))
    if not (run_dir / "run.json").is_file() and (run_dir / SWEEP_FILE).is_file():
        metrics, meta = _read_sweep_json(run_dir / SWEEP_FILE, metric_names)
    else:
        metrics, meta = _read_run_json(_required(run_dir, "run.json"), metric_names)
    return RunData(run_dir=run_dir, metric_names=metric_names, rows=rows, segments=segments,
                   metrics=metrics, meta=meta)


def _required(run_dir: Path, name: str) -> Path:
    path = run_dir / name
    if not path.is_file():
        hint = (" — leaderboard.csv is written last, so the run did not finish or this is not a run directory"
                if name == "leaderboard.csv" else " — rerun `mtqe run` to write it")
        if any(run_dir.glob("*/.hydra/config.yaml")):
            hint = (f" — {run_dir} is a sweep directory whose jobs are not merged: run `mtqe collect {run_dir}` "
                    f"(`mtqe report {run_dir}` does it by itself)")
        raise RunDirError(f"{path} is missing{hint}")
    return path


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RunDirError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise RunDirError(f"cannot read {path}: {exc.strerror}") from None


# --------------------------------------------------------------------------- leaderboard.csv


def _read_leaderboard(path: Path) -> tuple[tuple[str, ...], tuple[LeaderboardRow, ...]]:
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise RunDirError(f"{path}: not an mtqe leaderboard, missing columns {', '.join(missing)}")
    metric_names = tuple(c[: -len("_signature")] for c in header if c.endswith("_signature"))
    rows = []
    for cells in reader:
        where = f"{path}:{reader.line_num}"
        if None in cells or any(v is None for v in cells.values()):
            raise RunDirError(f"{where}: wrong number of cells (expected {len(header)})")
        rows.append(LeaderboardRow(
            document=cells["document"], src_lang=cells["src_lang"], tgt_lang=cells["tgt_lang"],
            system=cells["system"], kind=cells["kind"], status=cells["status"],
            n_segments=_int(cells["n_segments"], where, "n_segments") or 0,
            references=tuple(r for r in cells["references"].split("+") if r),
            baseline=cells["baseline"],
            metrics={m: _metric_cell(cells, m, where) for m in metric_names},
            notes=tuple(n for n in cells["notes"].split(NOTE_SEPARATOR) if n),
            error=cells["error"],
        ))
    if not rows:
        raise RunDirError(f"{path} has no rows: the run scored no system")
    return metric_names, tuple(rows)


def _metric_cell(cells: dict[str, str], m: str, where: str) -> MetricCell:
    return MetricCell(
        score=_float(cells.get(m, ""), where, m),
        ci_low=_float(cells.get(f"{m}_ci_low", ""), where, f"{m}_ci_low"),
        ci_high=_float(cells.get(f"{m}_ci_high", ""), where, f"{m}_ci_high"),
        rank=_int(cells.get(f"{m}_rank", ""), where, f"{m}_rank"),
        p_bootstrap=_float(cells.get(f"{m}_p_bootstrap", ""), where, f"{m}_p_bootstrap"),
        p_randomization=_float(cells.get(f"{m}_p_randomization", ""), where, f"{m}_p_randomization"),
        signature=cells.get(f"{m}_signature", ""),
    )


def _float(text: str, where: str, column: str) -> float | None:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise RunDirError(f"{where}: column {column} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise RunDirError(f"{where}: column {column} is not finite: {text!r}")
    return value


def _int(text: str, where: str, column: str) -> int | None:
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise RunDirError(f"{where}: column {column} is not an integer: {text!r}") from None


# --------------------------------------------------------------------------- segments.jsonl


def _read_segments(path: Path) -> tuple[SegmentRecord, ...]:
    records = []
    # split("\n"), not splitlines(): JSON written with ensure_ascii=False may hold U+2028 etc.
    for line_no, line in enumerate(_read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}:{line_no}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RunDirError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        records.append(_segment(obj, where))
    return tuple(records)


def _segment(obj: Any, where: str) -> SegmentRecord:
    if not isinstance(obj, dict):
        raise RunDirError(f"{where}: expected a JSON object per line")
    missing = [k for k in REQUIRED_SEGMENT_KEYS if k not in obj]
    if missing:
        raise RunDirError(f"{where}: segment record without {', '.join(missing)}")
    refs, scores = obj["references"], obj["scores"]
    if not isinstance(refs, dict) or not all(isinstance(v, str) for v in refs.values()):
        raise RunDirError(f"{where}: 'references' must map reference ids to texts")
    if not isinstance(scores, dict) or not all(
        v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in scores.values()
    ):
        raise RunDirError(f"{where}: 'scores' must map metric names to numbers or null")
    texts = {k: obj[k] for k in ("document", "src_lang", "tgt_lang", "system", "segment", "source", "hypothesis")}
    bad = [k for k, v in texts.items() if not isinstance(v, str)]
    if bad or not isinstance(obj["index"], int):
        raise RunDirError(f"{where}: wrong type for {', '.join(bad or ['index'])}")
    return SegmentRecord(
        index=obj["index"], references=dict(refs),
        scores={k: (None if v is None else float(v)) for k, v in scores.items()}, **texts,
    )


# --------------------------------------------------------------------------- run.json


def _read_run_json(path: Path, metric_names: tuple[str, ...]) -> tuple[dict[str, MetricMeta], RunMeta]:
    info = _json_object(path)
    metrics = _metric_metas(_object(info, "metrics", path), metric_names, path)
    timings = _object(info, "timings_s", path)
    warnings = _warnings(info, path)
    return metrics, RunMeta(
        started=str(info.get("started", "")),
        finished=str(info.get("finished", "")),
        git_commit=None if info.get("git_commit") is None else str(info["git_commit"]),
        baseline=str(info.get("baseline", "")),
        timings_s={str(k): float(v) for k, v in timings.items() if isinstance(v, (int, float))},
        warnings=warnings,
        versions={str(k): (None if v is None else str(v)) for k, v in _object(info, "versions", path).items()},
    )


def _read_sweep_json(path: Path, metric_names: tuple[str, ...]) -> tuple[dict[str, MetricMeta], RunMeta]:
    """sweep.json of a merged sweep (mtqe.report.collect): metric metadata, baseline, jobs."""
    info = _json_object(path)
    metrics = _metric_metas(_object(info, "metric_info", path), metric_names, path)
    jobs = info.get("jobs") or []
    if not isinstance(jobs, list) or not all(isinstance(j, dict) and isinstance(j.get("num"), int) for j in jobs):
        raise RunDirError(f"{path}: 'jobs' must be a list of job objects; rerun `mtqe collect`")
    return metrics, RunMeta(
        baseline=str(_object(info, "stats", path).get("baseline", "")),
        warnings=_warnings(info, path),
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
        info = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise RunDirError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(info, dict):
        raise RunDirError(f"{path}: expected a JSON object")
    return info


def _warnings(info: dict[str, Any], path: Path) -> tuple[str, ...]:
    warnings = info.get("warnings") or []
    if not isinstance(warnings, list):
        raise RunDirError(f"{path}: 'warnings' must be a list of messages")
    return tuple(str(w) for w in warnings)


def _metric_metas(declared: dict[str, Any], metric_names: tuple[str, ...], path: Path) -> dict[str, MetricMeta]:
    metrics = {}
    for name in metric_names:
        meta = _object(declared, name, path)
        # A metric the leaderboard has but run.json lacks still gets a section, with defaults.
        metrics[name] = MetricMeta(
            name=name,
            higher_is_better=bool(meta.get("higher_is_better", True)),
            needs_reference=bool(meta.get("needs_reference", True)),
            description=str(meta.get("description", "")),
        )
    return metrics


def _object(info: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    """``info[key]`` as a dict ({} when absent or null); any other type is an error."""
    value = info.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RunDirError(f"{path}: {key!r} must be a JSON object, not {type(value).__name__}")
    return value
