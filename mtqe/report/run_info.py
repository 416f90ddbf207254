"""run.json: what ran, where, with what, how long — enough to reproduce or audit a leaderboard."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from mtqe.io import atomic_write_json, path_under
from mtqe.report.versions import git_commit, machine_info, package_versions
from mtqe.results import RunResult, to_plain


def run_info(result: RunResult, *, config: dict[str, Any], project_dir: Path | None, started: str) -> dict[str, Any]:
    systems = {}
    for row in result.rows:
        key = f"{row.document}/{row.pair}/{row.system}"
        systems[key] = {
            "kind": row.kind,
            "status": row.status,
            "error": row.error,
            "stats": to_plain(row.output.stats) if row.output else None,
            "metrics": {
                name: {
                    "score": res.score,
                    "signature": res.signature,
                    "unavailable": res.unavailable,
                    "details": to_plain(dict(res.details)),
                    "ci": to_plain(row.intervals.get(name)),
                    "paired_vs_baseline": to_plain(row.paired.get(name)),
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
        "metrics": {n: to_plain(i) for n, i in result.metric_info.items()},
        "systems": systems,
        "warnings": list(result.warnings),
        "facts": to_plain(result.facts),
        # Metric–human agreement (agreement.csv, docs/agreement.md); only with human judgments.
        **({"agreement": [a.to_json() for a in result.agreement],
            "delta_agreement": [d.to_json() for d in result.delta_agreement]} if result.agreement else {}),
    }


def write_run_info(result: RunResult, out_dir: Path, **kwargs: Any) -> Path:
    path = path_under(out_dir, "run.json")
    atomic_write_json(path, run_info(result, **kwargs))
    return path
