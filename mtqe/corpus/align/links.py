"""Alignment links: which source units go with which target units, and how sure we are.

A :class:`Link` pairs a run of consecutive source units (sentences or blocks) with a run of
consecutive target units; either side may be empty (``1-0``: a source unit nothing in the
target translates, ``0-1``: a target unit with no source). A valid alignment of ``n`` source
and ``m`` target units is a list of links that uses every index on each side exactly once,
in order — :func:`check_links` enforces this, so a bug in an aligner can never silently drop
or duplicate a segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from mtqe.errors import AlignmentError


@dataclass(frozen=True)
class Link:
    """``src_indices`` ↔ ``tgt_indices`` (consecutive, possibly empty), confidence in [0, 1]."""

    src_indices: tuple[int, ...]
    tgt_indices: tuple[int, ...]
    confidence: float

    @property
    def shape(self) -> str:
        """``"1-1"``, ``"2-1"``, ``"1-0"``, … (source count - target count)."""
        return f"{len(self.src_indices)}-{len(self.tgt_indices)}"

    @property
    def is_match(self) -> bool:
        """Both sides non-empty: the link pairs text with its translation."""
        return bool(self.src_indices) and bool(self.tgt_indices)


def check_links(links: Sequence[Link], n_src: int, n_tgt: int, *, where: str = "alignment") -> None:
    """Raise :class:`AlignmentError` unless ``links`` cover ``range(n_src)`` and ``range(n_tgt)``
    exactly once each, in increasing order, with no empty link and confidences in [0, 1]."""
    next_src = next_tgt = 0
    for number, link in enumerate(links):
        if not link.src_indices and not link.tgt_indices:
            raise AlignmentError(f"{where}: link {number} is empty (0-0)")
        if not 0.0 <= link.confidence <= 1.0:
            raise AlignmentError(f"{where}: link {number} has confidence {link.confidence} outside [0, 1]")
        for side, indices, expected in (("source", link.src_indices, next_src), ("target", link.tgt_indices, next_tgt)):
            if indices and tuple(indices) != tuple(range(expected, expected + len(indices))):
                raise AlignmentError(
                    f"{where}: link {number} uses {side} units {list(indices)}, expected a run starting at {expected}"
                )
        next_src += len(link.src_indices)
        next_tgt += len(link.tgt_indices)
    if (next_src, next_tgt) != (n_src, n_tgt):
        raise AlignmentError(
            f"{where}: links cover {next_src}/{n_src} source and {next_tgt}/{n_tgt} target units"
        )


def shift_links(links: Sequence[Link], src_offset: int, tgt_offset: int) -> list[Link]:
    """The same links with indices moved by the given offsets (local → document indices)."""
    return [
        Link(
            tuple(i + src_offset for i in link.src_indices),
            tuple(j + tgt_offset for j in link.tgt_indices),
            link.confidence,
        )
        for link in links
    ]
