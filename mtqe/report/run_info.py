"""run.json: what ran, where, with what, how long — enough to reproduce or audit a leaderboard."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from mtqe.io import atomic_write_json
from mtqe.report.versions import git_commit, machine_info, package_versions
from mtqe.results import RunResult


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def run_info(result: RunResult, *, config: dict[str, Any], project_dir: Path | None, started: str) -> dict[str, Any]:
    systems = {}
    for row in result.rows:
        key = f"{row.document}/{row.pair}/{row.system}"
        systems[key] = {
            "kind": row.kind,
            "status": row.status,
            "error": row.error,
            "stats": _jsonable(row.output.stats) if row.output else None,
            "metrics": {
                name: {
                    "score": res.score,
                    "signature": res.signature,
                    "unavailable": res.unavailable,
                    "details": _jsonable(dict(res.details)),
                    "ci": _jsonable(row.intervals.get(name)),
                    "paired_vs_baseline": _jsonable(row.paired.get(name)),
                    "rank": row.ranks.get(name),
                }
                for name, res in row.metrics.items()
            },
        }
    return {
        "mtqe_run_format": 1,
        "started": started,
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(project_dir),
        "versions": package_versions(),
        "machine": machine_info(),
        "config": config,
        "timings_s": {k: round(v, 3) for k, v in result.timings.items()},
        "baseline": result.baseline,
        "metrics": {n: _jsonable(i) for n, i in result.metric_info.items()},
        "systems": systems,
        "warnings": result.warnings,
        "facts": _jsonable(result.facts),
    }


def write_run_info(result: RunResult, out_dir: Path, **kwargs: Any) -> Path:
    path = Path(out_dir) / "run.json"
    atomic_write_json(path, run_info(result, **kwargs))
    return path
