"""Console output of a run: progress bars and messages (rich), silent with --quiet."""

from __future__ import annotations

import logging
import sys
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta

from rich.console import Console
from rich.progress import (
    BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TaskProgressColumn, TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from mtqe.pipeline import Reporter
from mtqe.report.markdown import format_cell

log = logging.getLogger("mtqe")


class _Rate:
    """Units/s and generated tokens/s over the advances of the last ``WINDOW_S`` seconds
    (at least the last two, so a slow batch still gives a rate). As rich's own speed, the
    first advance of the window only marks its start: a burst of cached units read at once
    does not count as speed, and one advance alone gives no rate."""

    WINDOW_S = 30.0

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int, int]] = deque()  # (time, units, tokens)
        self.tokens = 0

    def add(self, units: int, tokens: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.tokens += tokens
        self._samples.append((now, units, tokens))
        while len(self._samples) > 2 and self._samples[0][0] < now - self.WINDOW_S:
            self._samples.popleft()

    def per_second(self) -> tuple[float | None, float | None]:
        """(units/s, tokens/s); None where not known (yet), tokens/s None when none were counted."""
        if len(self._samples) < 2:
            return None, None
        seconds = self._samples[-1][0] - self._samples[0][0]
        if seconds <= 0:
            return None, None
        units = sum(u for _, u, _ in list(self._samples)[1:])
        tokens = sum(t for _, _, t in list(self._samples)[1:])
        return units / seconds, (tokens / seconds if tokens else None)

    def remaining_s(self, left: float, now: float | None = None) -> float | None:
        """Seconds to do ``left`` more units at the current rate, counted from the last advance."""
        units_s, _ = self.per_second()
        if not units_s:
            return None
        now = time.monotonic() if now is None else now
        return max(0.0, left / units_s - (now - self._samples[-1][0]))

    def describe(self) -> str:
        """``12.3 seg/s, 456 tok/s`` (empty until known)."""
        units_s, tokens_s = self.per_second()
        if units_s is None:
            return ""
        text = f"{_number(units_s)} seg/s"
        return text + (f", {_number(tokens_s)} tok/s" if tokens_s else "")


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _clock(seconds: float | None) -> str:
    return "-:--:--" if seconds is None else str(timedelta(seconds=round(seconds)))


class _RateColumn(ProgressColumn):
    """segments/s, tokens/s (translation) and the ETA at that rate."""

    def render(self, task: Task) -> Text:
        rate: _Rate | None = task.fields.get("rate")
        if rate is None:
            return Text("")
        eta = ""
        if task.total is not None and not task.finished:
            eta = f", ETA {_clock(rate.remaining_s(task.total - task.completed))}"
        return Text(f"{rate.describe() or '? seg/s'}{eta}", style="progress.data.speed")


class _TaskProgress:
    def __init__(self, progress: Progress, label: str) -> None:
        self._progress = progress
        self.rate = _Rate()
        self._task = progress.add_task(label, total=None, rate=self.rate)

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)

    def advance(self, n: int, tokens: int = 0) -> None:
        if n or tokens:
            self.rate.add(n, tokens)
            self._progress.advance(self._task, n)


class ConsoleReporter(Reporter):
    """Messages go to stderr (and the run log); progress bars show units/s and ETA."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.console = Console(stderr=True, quiet=quiet)
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TaskProgressColumn(), TimeElapsedColumn(), _RateColumn(),
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
        self._progress_line(f"{label}: started")
        return _LoggedProgress(self._progress_line, label, task)

    def done(self, label: str) -> None:
        self._progress_line(f"{label}: done")

    def _progress_line(self, message: str) -> None:
        """A progress line goes to the run log; to the console too when no live bar shows it."""
        if self._progress.disable:
            self.info(message)
        else:
            log.info(message)


class _LoggedProgress:
    """Drives the task's bar and says a line every 10% (the console shows it only without a
    terminal, CI and batch jobs; the run log always gets it):
    ``tiny-marian jpus-2022 ja→zh: 40/100 (12.3 seg/s, 456 tok/s, ETA 0:00:05)``."""

    def __init__(self, say: Callable[[str], None], label: str, task: _TaskProgress) -> None:
        self.say, self.label, self.task = say, label, task
        self.total = 0
        self.done = 0
        self.next_mark = 0.1

    def start(self, total: int) -> None:
        self.total = total
        self.task.start(total)

    def advance(self, n: int, tokens: int = 0) -> None:
        self.done += n
        self.task.advance(n, tokens=tokens)
        if self.total and self.done / self.total >= self.next_mark:
            self.say(f"{self.label}: {self.done}/{self.total}{self._rate()}")
            while self.next_mark <= self.done / self.total:
                self.next_mark += 0.1

    def _rate(self) -> str:
        rate = self.task.rate
        text = rate.describe()
        if not text:
            return ""
        if self.done < self.total:
            text += f", ETA {_clock(rate.remaining_s(self.total - self.done))}"
        return f" ({text})"


def print_summary(console: Console, result, out_dir) -> None:
    from rich.table import Table

    table = Table(title=f"mtqe leaderboard → {out_dir}/leaderboard.csv")
    for col in ["document", "pair", "system", *result.metric_names]:
        table.add_column(col)
    for row in result.rows:
        name = row.system if row.subset == "all" else f"{row.system} [{row.subset}]"
        table.add_row(row.document, row.pair, name, *[format_cell(row, m) for m in result.metric_names])
    console.print(table)
