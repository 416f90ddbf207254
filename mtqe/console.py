"""Console output of a run: progress bars and messages (rich), silent with --quiet."""

from __future__ import annotations

import logging
import sys
from rich.console import Console
from rich.progress import (
    BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn,
    TimeRemainingColumn,
)

from mtqe.pipeline import Reporter
from mtqe.report.markdown import format_cell

log = logging.getLogger("mtqe")


class _TaskProgress:
    def __init__(self, progress: Progress, label: str) -> None:
        self._progress = progress
        self._task = progress.add_task(label, total=None)

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)

    def advance(self, n: int) -> None:
        if n:
            self._progress.advance(self._task, n)


class ConsoleReporter(Reporter):
    """Messages go to stderr (and the run log); progress bars show units/s and ETA."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.console = Console(stderr=True, quiet=quiet)
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TaskProgressColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=self.console, transient=False, disable=quiet or not sys.stderr.isatty(),
        )
        self._tasks: dict[str, _TaskProgress] = {}

    def __enter__(self) -> "ConsoleReporter":
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def info(self, message: str) -> None:
        log.info(message)
        self.console.print(f"[dim]{message}[/dim]")

    def warning(self, message: str) -> None:
        log.warning(message)
        self.console.print(f"[yellow]warning:[/yellow] {message}")

    def progress(self, label: str, total: int):  # type: ignore[override]
        task = _TaskProgress(self._progress, label)
        self._tasks[label] = task
        if not self._progress.disable:
            return task
        self.info(f"{label}: started")
        return _LoggedProgress(self, label, task)

    def done(self, label: str) -> None:
        if self._progress.disable:
            self.info(f"{label}: done")


class _LoggedProgress:
    """Without a terminal (CI, batch jobs) print a line every 10% instead of a live bar."""

    def __init__(self, reporter: ConsoleReporter, label: str, task: _TaskProgress) -> None:
        self.reporter, self.label, self.task = reporter, label, task
        self.total = 0
        self.done = 0
        self.next_mark = 0.1

    def start(self, total: int) -> None:
        self.total = total
        self.task.start(total)

    def advance(self, n: int) -> None:
        self.done += n
        self.task.advance(n)
        if self.total and self.done / self.total >= self.next_mark:
            self.reporter.info(f"{self.label}: {self.done}/{self.total}")
            while self.next_mark <= self.done / self.total:
                self.next_mark += 0.1


def print_summary(console: Console, result, out_dir) -> None:
    from rich.table import Table

    table = Table(title=f"mtqe leaderboard → {out_dir}/leaderboard.csv")
    for col in ["document", "pair", "system", *result.metric_names]:
        table.add_column(col)
    for row in result.rows:
        table.add_row(row.document, row.pair, row.system, *[format_cell(row, m) for m in result.metric_names])
    console.print(table)
