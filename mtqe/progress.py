"""Progress of long steps (translating a document, scoring with a metric), shared by all stages.

The pipeline gets a :class:`Progress` from its reporter (``Reporter.progress(label, total)``)
and hands it to the code that does the work, which calls ``start`` once and ``advance`` as
units finish. The console turns it into a progress bar (``mtqe/console.py``); the default
is :class:`NoProgress`.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Progress of one task: a system on a document, or a metric over a run."""

    def start(self, total: int) -> None:
        """The number of units (segments, or sentences of segments) to do."""

    def advance(self, n: int, tokens: int = 0) -> None:
        """``n`` more units are done; ``tokens``: output tokens generated for them
        (0: not counted, e.g. read from a cache, or not generated, e.g. scored)."""


class NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, n: int, tokens: int = 0) -> None:
        pass


class CountingProgress:
    """Forwards to ``inner`` and counts units, so a caller can complete what a step skipped."""

    def __init__(self, inner: Progress) -> None:
        self.inner = inner
        self.done = 0

    def start(self, total: int) -> None:
        self.inner.start(total)

    def advance(self, n: int, tokens: int = 0) -> None:
        self.done += n
        self.inner.advance(n, tokens=tokens)

    def complete(self, total: int) -> None:
        """Advance the units of ``total`` not yet reported (never backwards)."""
        if total > self.done:
            self.advance(total - self.done)
