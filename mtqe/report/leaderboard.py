"""leaderboard.csv: one row per document × pair × system, metric columns per configured metric.

Schema (documented in docs/outputs.md):
fixed columns, then for every metric M: ``M``, ``M_ci_low``, ``M_ci_high``, ``M_rank``,
``M_p_bootstrap``, ``M_p_randomization``, ``M_signature``, and in a run with human judgments
``M_human_agree`` for each automatic metric (:mod:`mtqe.report.agreement`); empty cells are
explained in ``notes``.
Text cells are written safe for spreadsheets (:mod:`mtqe.report.escape`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mtqe.diagnostics.registry import DIAGNOSTIC_NAMES
from mtqe.diagnostics.run import flagged_counts
from mtqe.io import atomic_write_text, path_under
from mtqe.report.agreement import HUMAN_AGREE_SUFFIX, agree_metrics, human_agree_cells
from mtqe.report.escape import csv_cell
from mtqe.results import RunResult, SystemResult

FIXED_COLUMNS = [
    "document", "src_lang", "tgt_lang", "source_text", "system", "subset", "kind", "status", "n_segments",
    "references", "baseline",
]
METRIC_SUFFIXES = ["", "_ci_low", "_ci_high", "_rank", "_p_bootstrap", "_p_randomization", "_signature"]
# Reference-free diagnostics: segments flagged per diagnostic, and the share with a major finding.
DIAGNOSTIC_COLUMNS = [f"diag_{name}" for name in DIAGNOSTIC_NAMES] + ["diag_major_share"]
TRAILING_COLUMNS = ["notes", "error"]
NOTE_SEPARATOR = " | "


def columns(metric_names: Sequence[str], agree: Sequence[str] = ()) -> list[str]:
    """``agree``: the metrics with a ``_human_agree`` column (a run with human judgments)."""
    metric_cols = [f"{m}{suffix}" for m in metric_names
                   for suffix in METRIC_SUFFIXES + ([HUMAN_AGREE_SUFFIX] if m in agree else [])]
    return FIXED_COLUMNS + metric_cols + DIAGNOSTIC_COLUMNS + TRAILING_COLUMNS


def _fmt(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def row_notes(row: SystemResult, metric_names: Sequence[str]) -> list[str]:
    """The row's notes as the ``notes`` column lists them: its own, its paired tests', then
    why a metric cell is empty and why the row has no output."""
    notes = list(row.all_notes)
    for name in metric_names:
        result = row.metrics.get(name)
        if result is None and row.status == "ok":
            notes.append(f"{name}: not computed")
        elif result is not None and result.unavailable:
            notes.append(f"{name}: {result.unavailable}")
        elif result is not None:
            if result.segment_scores is not None:
                missing = sum(1 for v in result.segment_scores if v != v)  # NaN: a segment without a score
                if missing:
                    notes.append(f"{name}: {missing} of {len(result.segment_scores)} segments without a score "
                                 "(not imputed; the score is the mean over the others)")
            if note := long_segment_note(name, result.details, row.n_segments):
                notes.append(note)
    if row.status != "ok":
        notes.append("no output: see error")
    elif not row.diagnostics:
        notes.append("diagnostics: not run (diagnostics=false)")
    return notes


def long_segment_note(metric: str, details: Mapping[str, Any], n_segments: int) -> str | None:
    """The note of a neural metric's result with segments over its token limit (None when
    there are none); ``details["long_segments"]`` is written by mtqe/metrics/long_segments.py.
    The counts are of the segments the metric scored (the whole document in a subset row)."""
    info = details.get("long_segments")
    if not isinstance(info, Mapping) or not info.get("over_long"):
        return None
    head = f"{metric}: {int(info['over_long'])} of {int(info.get('segments') or n_segments)} segments longer " \
           f"than the model's {info.get('max_tokens')} tokens"
    if info.get("mode") != "split":
        return f"{head}, scored truncated (long_segments=truncate)"
    text = f"{head}: {int(info.get('split', 0))} scored as aligned sentences (length-weighted)"
    if info.get("truncated"):
        why = "; ".join(f"{reason}: {count}" for reason, count in dict(info.get("not_split") or {}).items())
        text += f", {int(info['truncated'])} still truncated" + (f" ({why})" if why else "")
    return text


def diagnostic_cells(row: SystemResult) -> dict[str, str]:
    """``diag_<name>``: segments flagged; ``diag_major_share``: share of segments with a major finding."""
    if not row.diagnostics:
        return {column: "" for column in DIAGNOSTIC_COLUMNS}
    cells = {f"diag_{name}": str(count) for name, count in flagged_counts(row.diagnostics).items()}
    major = sum(any(d.severity == "major" for d in seg) for seg in row.diagnostics)
    cells["diag_major_share"] = _fmt(major / len(row.diagnostics))
    return cells


def row_cells(row: SystemResult, metric_names: Sequence[str], baseline: str) -> dict[str, str]:
    """The row's cells as plain text (before :func:`~mtqe.report.escape.csv_cell`)."""
    cells = {
        "document": row.document, "src_lang": row.src_lang, "tgt_lang": row.tgt_lang,
        "source_text": row.source_text, "system": row.system, "subset": row.subset, "kind": row.kind, "status": row.status,
        "n_segments": str(row.n_segments), "references": "+".join(row.references),
        "baseline": baseline,
    }
    for name in metric_names:
        result = row.metrics.get(name)
        ci = row.intervals.get(name)
        paired = row.paired.get(name, {})
        cells[name] = _fmt(result.score if result else None)
        cells[f"{name}_ci_low"] = _fmt(ci.low if ci else None)
        cells[f"{name}_ci_high"] = _fmt(ci.high if ci else None)
        cells[f"{name}_rank"] = str(row.ranks[name]) if name in row.ranks else ""
        cells[f"{name}_p_bootstrap"] = _fmt(paired["bootstrap"].p_value if "bootstrap" in paired else None)
        cells[f"{name}_p_randomization"] = _fmt(
            paired["randomization"].p_value if "randomization" in paired else None
        )
        cells[f"{name}_signature"] = result.signature if result else ""
    cells.update(diagnostic_cells(row))
    cells["notes"] = NOTE_SEPARATOR.join(row_notes(row, metric_names))
    cells["error"] = row.error or ""
    return cells


def leaderboard_csv(result: RunResult) -> str:
    cols = columns(result.metric_names, agree_metrics(result))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=cols, lineterminator="\n")
    writer.writerow({c: csv_cell(c) for c in cols})  # metric names come from the config
    for row in result.rows:
        cells = row_cells(row, result.metric_names, result.baseline)
        agree, notes = human_agree_cells(result, row)
        if agree:
            cells.update(agree)
            cells["notes"] = NOTE_SEPARATOR.join([c for c in [cells["notes"]] if c] + notes)
        writer.writerow({k: csv_cell(v) for k, v in cells.items()})
    return buffer.getvalue()


def write_leaderboard(result: RunResult, out_dir: Path) -> Path:
    path = path_under(out_dir, "leaderboard.csv")
    atomic_write_text(path, leaderboard_csv(result))
    return path
