"""Report stage: results.json first, then its views: segments.jsonl, translations/, run.json,
report.md and, last, leaderboard.csv."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from mtqe.report.agreement import write_agreement
from mtqe.report.leaderboard import write_leaderboard
from mtqe.report.markdown import write_markdown_report
from mtqe.report.results_file import write_results
from mtqe.report.run_info import write_run_info
from mtqe.report.segments import write_segments, write_translations
from mtqe.results import RunResult


def write_run_outputs(
    result: RunResult, out_dir: Path, *, config: dict[str, Any], project_dir: Path | None, started: str
) -> dict[str, Path]:
    """Write every output of a run into ``out_dir`` (each file atomically); returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # First: every other file is a view of it.
    results = write_results(result, out_dir)
    write_translations(result, out_dir)
    agreement = write_agreement(result, out_dir)  # only with human judgments
    return {
        "results": results,
        **({"agreement": agreement} if agreement else {}),
        "segments": write_segments(result, out_dir),
        "run": write_run_info(result, out_dir, config=config, project_dir=project_dir, started=started),
        "report": write_markdown_report(result, out_dir),
        # Last: its presence means the run finished.
        "leaderboard": write_leaderboard(result, out_dir),
    }


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
