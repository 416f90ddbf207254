"""leaderboard.csv: one row per document × pair × system, metric columns per configured metric.

Schema (documented in docs/outputs.md):
fixed columns, then for every metric M: ``M``, ``M_ci_low``, ``M_ci_high``, ``M_rank``,
``M_p_bootstrap``, ``M_p_randomization``, ``M_signature``; empty cells are explained in ``notes``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from mtqe.io import atomic_write_text
from mtqe.results import RunResult, SystemResult

FIXED_COLUMNS = [
    "document", "src_lang", "tgt_lang", "system", "kind", "status", "n_segments",
    "references", "baseline",
]
METRIC_SUFFIXES = ["", "_ci_low", "_ci_high", "_rank", "_p_bootstrap", "_p_randomization", "_signature"]
TRAILING_COLUMNS = ["notes", "error"]


def columns(metric_names: list[str]) -> list[str]:
    metric_cols = [f"{m}{suffix}" for m in metric_names for suffix in METRIC_SUFFIXES]
    return FIXED_COLUMNS + metric_cols + TRAILING_COLUMNS


def _fmt(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def row_cells(row: SystemResult, metric_names: list[str], baseline: str) -> dict[str, str]:
    cells = {
        "document": row.document, "src_lang": row.src_lang, "tgt_lang": row.tgt_lang,
        "system": row.system, "kind": row.kind, "status": row.status,
        "n_segments": str(row.n_segments), "references": "+".join(row.references),
        "baseline": baseline,
    }
    notes = list(row.notes)
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
        if result is None and row.status == "ok":
            notes.append(f"{name}: not computed")
        elif result is not None and result.unavailable:
            notes.append(f"{name}: {result.unavailable}")
    if row.status != "ok":
        notes.append("no output: see error")
    cells["notes"] = " | ".join(notes)
    cells["error"] = row.error or ""
    return cells


def leaderboard_csv(result: RunResult) -> str:
    cols = columns(result.metric_names)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=cols, lineterminator="\n")
    writer.writeheader()
    for row in result.rows:
        writer.writerow(row_cells(row, result.metric_names, result.baseline))
    return buffer.getvalue()


def write_leaderboard(result: RunResult, out_dir: Path) -> Path:
    path = Path(out_dir) / "leaderboard.csv"
    atomic_write_text(path, leaderboard_csv(result))
    return path
