"""Batch order and segment progress of neural metrics (:mod:`mtqe.metrics.neural`).

A model input is a :data:`Key`: a tuple of texts (``None`` for an absent one, e.g. no
reference in QE mode), scored once per metric instance whatever number of segments,
reference streams or systems share it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import Any

from mtqe.progress import Progress

Key = tuple[Any, ...]
"""One model input: its texts in a fixed order (None for an absent text)."""
OnScored = Callable[[list[Key]], None]
"""Told of model inputs as their scores arrive (drives the segment progress)."""


def input_length(key: Key, lengths: Mapping[str, int]) -> int:
    """Tokens of all texts of one input (its sort key)."""
    return sum(lengths[t] for t in key if t is not None)


def sorted_batches(keys: Sequence[Key], lengths: Mapping[str, int], size: int) -> Iterator[list[Key]]:
    """``keys`` in batches of ``size``, longest first, with the one short batch *first*.

    Longest first: an out-of-memory error shows at once. A batch costs about its size times
    its longest input, so the remainder batch should hold the longest inputs, not the
    shortest (see docs/benchmarks.md, COMET).
    """
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    if not keys:
        return
    order = sorted(keys, key=lambda k: -input_length(k, lengths))
    start = len(order) % size or size
    yield order[:start]
    for begin in range(start, len(order), size):
        yield order[begin : begin + size]


class SegmentProgress:
    """Advances ``progress`` by one segment once every model input of it (one per reference
    stream; the same input may serve several segments) is in the memo."""

    def __init__(self, keys: list[list[Key]], memo: Mapping[Hashable, Any], progress: Progress) -> None:
        pending: list[set[Key]] = [set() for _ in keys[0]] if keys else []
        for row in keys:
            for i, key in enumerate(row):
                if key not in memo:
                    pending[i].add(key)
        self._progress = progress
        self._left = [len(p) for p in pending]
        self._segments: dict[Key, list[int]] = {}
        for i, waiting in enumerate(pending):
            for key in waiting:
                self._segments.setdefault(key, []).append(i)
        ready = self._left.count(0)
        if ready:
            progress.advance(ready)

    def scored(self, keys: list[Key]) -> None:
        done = 0
        for key in keys:
            for i in self._segments.pop(key, ()):
                self._left[i] -= 1
                done += self._left[i] == 0
        if done:
            self._progress.advance(done)
