"""``mtqe collect SWEEP_DIR``: merge the jobs of a sweep into one leaderboard."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EPILOG = """\
examples:
  mtqe run -m 'system=community,nllb-200-distilled-600m' pair=ja-zh   # merges itself at the end
  mtqe collect multirun/2025-01-31/12-00-00            # again, e.g. after a job was rerun
  mtqe collect multirun/2025-01-31/12-00-00 --out merged/

Writes leaderboard.csv, segments.jsonl, report.md, sweep.json and report.html
(see docs/outputs.md).
Significance (paired tests vs the baseline, clusters) is recomputed over all jobs; failed
jobs are rows with status=error.
"""


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "collect", help="merge the jobs of a sweep (mtqe run -m) into one leaderboard",
        description="Merge the jobs of a sweep into one leaderboard.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sweep_dir", type=Path, help="the sweep directory, e.g. multirun/<date>/<time>")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: the sweep directory)")
    parser.set_defaults(func=_collect)


def _collect(args: argparse.Namespace) -> int:
    from mtqe.collect import collect_sweep

    summary = collect_sweep(args.sweep_dir, out_dir=args.out)
    failed = summary.failed_jobs
    print(f"merged {len(summary.jobs)} jobs ({len(failed)} failed), {summary.rows} rows: "
          f"{summary.paths['leaderboard']}")
    for job in failed:
        print(f"  {job.label}: {job.error.error if job.error else 'did not finish'}", file=sys.stderr)
    return 0
