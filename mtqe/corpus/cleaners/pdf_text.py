"""``pdf_text``: plain text extracted from a PDF (seed 002, the MOFA statement).

Rules, applied in order (see docs/corpus.md):

1. Lines that are only a page number (``3``, ``- 3 -``) are removed ("page number").
2. Paragraphs are separated by blank lines; the lines of one paragraph are joined
   (no separator between CJK characters, one space otherwise).
3. Title block: if the first paragraph is made of short lines none of which ends a sentence,
   its date lines (``2022年5月23日``) are removed ("dateline") and the remaining lines are
   joined into one ``title`` block — without separator between CJK characters
   (日米首脳共同声明 + 「自由で開かれた国際秩序の強化」), with one space otherwise.
4. A single-line paragraph of at most :data:`HEADING_MAX_CHARS` characters that does not end
   with sentence-final punctuation, a comma or a colon is a ``heading``.
5. Page-break rejoin: PDF extraction cuts a paragraph in two where it crosses a page. A body
   paragraph that does not end with sentence-final punctuation continues in the next body
   paragraph, so the two are concatenated (``…不透明な形`` + ``で締結された…``). A heading or
   the end of the text stops the rejoin — except that a "heading" followed by a paragraph that
   starts with a lower-case letter is the first half of a cut paragraph (spaced scripts only;
   a short first half of a cut CJK paragraph is still taken for a heading, see docs/corpus.md).

The text itself is never corrected: extraction typos (いかにかわからず, ミャンマー一軍, といふ)
are the real source and stay.
"""

from __future__ import annotations

import re

from mtqe.corpus.chars import ends_with_terminator, join_lines
from mtqe.corpus.model import Block, Removal

# The longest heading of the MOFA statement has 41 characters; its shortest body paragraph 73.
HEADING_MAX_CHARS = 60
# Lines of a title block are short; a longer first paragraph is body text (no title).
TITLE_LINE_MAX_CHARS = 80

_PAGE_NUMBER = re.compile(r"^[\s\-－–—]*\d{1,3}[\s\-－–—]*$")
_DATELINE = re.compile(
    r"^(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"  # 2022年5月23日
    r"|(令和|平成)\s*[元\d]{1,2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"  # 令和4年5月23日
    r"|\d{4}-\d{2}-\d{2})$"
)
# A heading does not end like a clause that continues.
_CONTINUATION_END = tuple("、，,;；:：")


def clean(raw: str) -> tuple[list[Block], list[Removal]]:
    removed: list[Removal] = []
    paragraphs = _split_paragraphs(raw, removed)
    blocks: list[Block] = []
    if paragraphs and _is_title_block(paragraphs[0]):
        title_lines = []
        for line in paragraphs.pop(0):
            if _DATELINE.match(line.strip()):
                removed.append(Removal(line.strip(), "dateline"))
            else:
                title_lines.append(line.strip())
        if title_lines:
            blocks.append(Block("title", join_lines(title_lines)))
    blocks.extend(_rejoin_page_breaks([_classify(p) for p in paragraphs]))
    return blocks, removed


def _split_paragraphs(raw: str, removed: list[Removal]) -> list[list[str]]:
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in raw.split("\n"):
        if not line.strip():
            if current:
                paragraphs.append(current)
                current = []
            continue
        if _PAGE_NUMBER.match(line):
            removed.append(Removal(line.strip(), "page number"))
            continue
        current.append(line)
    if current:
        paragraphs.append(current)
    return paragraphs


def _is_title_block(lines: list[str]) -> bool:
    return all(
        len(line.strip()) <= TITLE_LINE_MAX_CHARS and not ends_with_terminator(line) for line in lines
    )


def _classify(lines: list[str]) -> Block:
    text = join_lines(lines)
    is_heading = (
        len(lines) == 1
        and len(text) <= HEADING_MAX_CHARS
        and not ends_with_terminator(text)
        and not text.endswith(_CONTINUATION_END)
    )
    return Block("heading" if is_heading else "paragraph", text)


def _rejoin_page_breaks(blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    for block in blocks:
        previous = out[-1] if out else None
        continues = previous is not None and block.kind == "paragraph" and (
            (previous.kind == "paragraph" and not ends_with_terminator(previous.text))
            or (previous.kind == "heading" and block.text[:1].islower())
        )
        if previous is not None and continues:
            out[-1] = Block("paragraph", join_lines([previous.text, block.text]))
        else:
            out.append(block)
    return out
