"""``web_page_text``: the visible text of a web page saved as plain text (seed 004).

Rules (see docs/corpus.md):

1. Paragraphs are separated by blank lines; lines of one paragraph are joined.
2. Page chrome is removed: a "JavaScript is disabled" notice (the sentence up to its 。) and
   whatever follows it on the same line, which is the page's ``<title>`` ("page title");
   breadcrumb lines (当前位置：…, "You are here").
3. The first remaining paragraph, if short and not ending a sentence, is the ``title``;
   later paragraphs identical to it are removed ("duplicate title").
4. Everything else is a ``paragraph``, kept as it is, however long: this cleaner does not
   try to find running heads or page numbers glued into the text of a converted report.
"""

from __future__ import annotations

import re

from mtqe.corpus.chars import ends_with_terminator, join_lines
from mtqe.corpus.model import Block, Removal

TITLE_MAX_CHARS = 100

_JS_NOTICE = re.compile(r"^(您的浏览器禁用了\s*JavaScript.*?。|.*JavaScript (is )?disabled.*?\.)\s*", re.IGNORECASE)
_BREADCRUMB = re.compile(r"^(当前位置|當前位置|您的位置|You are here)\s*[:：]", re.IGNORECASE)


def clean(raw: str) -> tuple[list[Block], list[Removal]]:
    removed: list[Removal] = []
    paragraphs: list[str] = []
    for lines in _paragraph_lines(raw):
        kept_lines = []
        for line in lines:
            kept = _strip_chrome(line.strip(), removed)
            if kept:
                kept_lines.append(kept)
        text = join_lines(kept_lines)
        if text:
            paragraphs.append(text)

    blocks: list[Block] = []
    title: str | None = None
    if paragraphs and len(paragraphs[0]) <= TITLE_MAX_CHARS and not ends_with_terminator(paragraphs[0]):
        title = paragraphs.pop(0)
        blocks.append(Block("title", title))
    for text in paragraphs:
        if text == title:
            removed.append(Removal(text, "duplicate title"))
        else:
            blocks.append(Block("paragraph", text))
    return blocks, removed


def _paragraph_lines(raw: str) -> list[list[str]]:
    paragraphs: list[list[str]] = [[]]
    for line in raw.split("\n"):
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


def _strip_chrome(line: str, removed: list[Removal]) -> str:
    """Remove page chrome from one line; return what is left of it."""
    if _BREADCRUMB.match(line):
        removed.append(Removal(line, "breadcrumb"))
        return ""
    if match := _JS_NOTICE.match(line):
        removed.append(Removal(match.group(0).strip(), "javascript notice"))
        rest = line[match.end() :].strip()
        if rest:
            removed.append(Removal(rest, "page title"))
        return ""
    return line
