"""``mtqe report DIR``: (re)build report.html for a finished run directory."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

EXAMPLES = """examples:
  mtqe report outputs/2025-01-31/10-00-00
  mtqe report outputs/2025-01-31/10-00-00 --compare gemma-3-270m nllb-200-distilled-600m
  mtqe report multirun/2025-01-31/10-00-00/0 --out /tmp/report.html
"""


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="write report.html (leaderboard, charts, segments side by side) for a run directory",
        description="Build a standalone HTML report from the leaderboard.csv, segments.jsonl and run.json "
                    "of a finished run directory. The page needs no network: CSS, JS and charts are inline.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dir", type=Path, metavar="DIR", help="the run directory (`mtqe run` writes one per run)")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE", help="default: DIR/report.html")
    parser.add_argument("--compare", nargs=2, metavar=("SYS_A", "SYS_B"), default=None,
                        help="order the segment view by the score difference SYS_A − SYS_B "
                             "(default: the first two systems with segment scores)")
    parser.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from mtqe.report.html import write_html_report

    start = time.perf_counter()
    path = write_html_report(args.dir, out=args.out, compare=tuple(args.compare) if args.compare else None)
    print(f"report: {path} ({time.perf_counter() - start:.1f} s)")
    return 0
