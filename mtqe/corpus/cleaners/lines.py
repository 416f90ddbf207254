"""One segment per line (pre-segmented test sets): every line is a block, nothing is joined.

Empty lines cannot be blocks, so they are reported as removals here; a document with
``segmentation: lines`` does not clean at all (:mod:`mtqe.corpus.testsets.line_document`
keeps every line, empty ones included, as a segment). This cleaner serves
``mtqe corpus show`` and texts of ordinary documents that happen to come one sentence a line.
"""

from __future__ import annotations

from mtqe.corpus.model import Block, Removal


def clean(raw: str) -> tuple[list[Block], list[Removal]]:
    blocks, removed = [], []
    for number, line in enumerate(raw.split("\n"), start=1):
        if line.strip():
            blocks.append(Block(kind="paragraph", text=line.strip()))
        elif number < raw.count("\n") + 1 or line:
            removed.append(Removal(text=line, reason=f"empty line {number}"))
    return blocks, removed
