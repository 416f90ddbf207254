"""``plain_paragraphs``: plain text whose paragraphs are separated by blank lines.

Every paragraph becomes a ``paragraph`` block; its lines are joined (no separator between
CJK characters, one space otherwise) and runs of whitespace collapse to one space. Nothing
is removed, so texts a user adds already clean need no other cleaner.
"""

from __future__ import annotations

from mtqe.corpus.chars import join_lines
from mtqe.corpus.model import Block, Removal


def clean(raw: str) -> tuple[list[Block], list[Removal]]:
    blocks: list[Block] = []
    current: list[str] = []
    for line in raw.split("\n") + [""]:
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(Block("paragraph", join_lines(current)))
            current = []
    return blocks, []
