"""``main_text``: the main text of any web page, found by trafilatura (a maintained extractor).

For pages of no known layout (the layout cleaners are ``whitehouse_article`` and
``mofa_page``). trafilatura's XML output gives the structure: ``<head>`` → ``heading`` (the
first one, when it is the page's title, → ``title``), ``<p>`` and list ``<item>`` →
``paragraph``. Tables and comments are not extracted.

What trafilatura leaves out is not listed by it, so the removals are computed: every text
block of the page (paragraphs, headings, list items, and any other element's own text) whose
text does not occur in the extracted text is reported as "not main text", scripts and styles
as such — the same accounting as the other cleaners, at the grain of the page's blocks.
trafilatura is imported when the cleaner runs, not when the registry is listed.
"""

from __future__ import annotations

import re

import lxml.etree
from lxml.etree import _Element

from mtqe.corpus.chars import normalize_space
from mtqe.corpus.cleaners.html_page import DROP, TEXT_BLOCKS, parse_page, shown, text_of
from mtqe.corpus.model import Block, Removal


def clean(raw: str) -> tuple[list[Block], list[Removal]]:
    root = parse_page(raw)
    if root is None:
        return [], ([Removal(shown(normalize_space(raw)), "not an html page")] if raw.strip() else [])
    blocks = _extract(raw)
    kept = "\n".join(normalize_space(b.text) for b in blocks)
    removed = [r for r in _pieces(root) if r.reason != "not main text" or not _occurs(r.text, kept)]
    return blocks, removed


def _occurs(piece: str, kept: str) -> bool:
    # Whole words only: a menu entry "Home" is not kept because a paragraph says "Homeland".
    return re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", kept) is not None


def _extract(raw: str) -> list[Block]:
    import trafilatura  # lazy: heavy import, only when a page is cleaned

    xml = trafilatura.extract(raw, output_format="xml", with_metadata=True, include_comments=False,
                              include_tables=False, include_images=False, deduplicate=False)
    if not xml:
        return []
    doc = lxml.etree.fromstring(xml.encode("utf-8"))
    title = normalize_space(doc.get("title") or "")
    main = doc.find("main")
    blocks: list[Block] = []
    for element in (main.iter("head", "p", "item") if main is not None else ()):
        if element.tag == "p" and _inside(element, "item"):
            continue  # the list item's text is taken whole
        text = normalize_space("".join(element.itertext()))
        if not text:
            continue
        if element.tag == "head":
            kind = "title" if not blocks and text == title else "heading"
            blocks.append(Block(kind, text))
        else:
            blocks.append(Block("paragraph", text))
    return blocks


def _inside(element: _Element, tag: str) -> bool:
    return any(a.tag == tag for a in element.iterancestors())


def _pieces(root: _Element) -> list[Removal]:
    """Every text block of the page, in document order, as a candidate removal."""
    pieces: list[Removal] = []

    def visit(element: _Element) -> None:
        if not isinstance(element.tag, str):
            return  # comments: not page text
        if element.tag in DROP:
            if text := text_of(element):
                pieces.append(Removal(shown(text), f"html {element.tag}"))
            return
        if element.tag in TEXT_BLOCKS or element.tag == "title" or not any(isinstance(c.tag, str) for c in element):
            if text := text_of(element):
                pieces.append(Removal(text, "not main text"))
            return
        if own := normalize_space((element.text or "") + "".join(c.tail or "" for c in element)):
            pieces.append(Removal(own, "not main text"))
        for child in element:
            visit(child)

    visit(root)
    return pieces
