"""``mtqe report DIR``: (re)build report.html for a finished run directory or a sweep directory.

For a sweep directory (``mtqe run -m``) the report is the merged one: when the jobs are not
merged yet, or changed since, it merges them first (as ``mtqe collect DIR``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

EXAMPLES = """examples:
  mtqe report outputs/2025-01-31/10-00-00
  mtqe report outputs/2025-01-31/10-00-00 --compare gemma-3-270m nllb-200-distilled-600m
  mtqe report multirun/2025-01-31/10-00-00             # a sweep: all jobs merged (mtqe collect first if needed)
  mtqe report multirun/2025-01-31/10-00-00/0 --out /tmp/report.html   # one job of it
"""


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="write report.html (leaderboard, charts, segments side by side) for a run or sweep directory",
        description="Build a standalone HTML report from the results.json and run.json "
                    "of a finished run directory. The page needs no network: CSS, JS and charts are inline. "
                    "A sweep directory (mtqe run -m) gets the report of all its jobs, merged first with "
                    "`mtqe collect` when the merge is missing or older than a job.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dir", type=Path, metavar="DIR",
                        help="the run directory (`mtqe run` writes one per run) or a sweep directory (`mtqe run -m`)")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE", help="default: DIR/report.html")
    parser.add_argument("--compare", nargs=2, metavar=("SYS_A", "SYS_B"), default=None,
                        help="order the segment view by the score difference SYS_A − SYS_B "
                             "(default: the first two systems with segment scores)")
    parser.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from mtqe.report.html import write_html_report
    from mtqe.report.sweep import is_sweep_dir, merge_outdated

    start = time.perf_counter()
    why = merge_outdated(args.dir) if is_sweep_dir(args.dir) else None
    if why is not None:
        from mtqe.collect import collect_sweep

        summary = collect_sweep(args.dir)
        print(f"{args.dir} is a sweep and {why}: merged {len(summary.jobs)} jobs "
              f"({len(summary.failed_jobs)} failed), {summary.rows} rows, as `mtqe collect`: "
              f"{summary.paths['leaderboard']}")
        for job in summary.failed_jobs:
            print(f"  {job.label}: {job.error.error if job.error else 'did not finish'}", file=sys.stderr)
    if why is not None and args.out is None and args.compare is None:
        path = summary.paths["html"]  # the merge has just written it
    else:
        path = write_html_report(args.dir, out=args.out, compare=tuple(args.compare) if args.compare else None)
    print(f"report: {path} ({time.perf_counter() - start:.1f} s)")
    return 0
