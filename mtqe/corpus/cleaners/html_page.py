"""A whole HTML page → (blocks, removals), driven by a :class:`PageLayout` (the page-layout cleaners).

A layout names, as XPath expressions, the element holding the article title, the container
of the article body (the first expression that matches wins) and the known furniture
("chrome": dateline, share and print links, navigation…) with the reason each is removed. The
walk then accounts for every piece of visible text on the page:

* the title element → one ``title`` block;
* inside the body container, each ``<p>``, ``<h1>``…``<h6>``, ``<li>`` and ``<blockquote>`` →
  a ``heading`` (a heading tag, or a paragraph that is entirely bold and does not end a
  sentence) or a ``paragraph``; chrome inside the body, end marks (``###``) and, where the
  layout says so, paragraphs that are only a link are removed with their reason;
* everything else — chrome, text outside the body, scripts, styles, comments — is removed,
  each piece with its reason, so ``mtqe corpus show --removed`` lists all of it.

A page without the body container keeps nothing: its whole text is reported as removed with
the reason "no article body", and the loader then says the cleaner kept no text (the page is
not in the layout the cleaner was written for; ``main_text`` is the generic alternative).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

import lxml.etree
import lxml.html
from lxml.etree import _Element

from mtqe.corpus.chars import ends_with_terminator, normalize_space
from mtqe.corpus.model import Block, Removal

TEXT_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BOLD = frozenset({"strong", "b"})
DROP = frozenset({"script", "style", "noscript", "template"})
# A script can be tens of kilobytes; its removal shows the start.
_SHOWN_CHARS = 160


def has_class(name: str) -> str:
    """XPath predicate: the element's class attribute contains the word ``name``."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


@dataclass(frozen=True)
class PageLayout:
    """Where title, body and furniture sit in one publisher's page template."""

    name: str
    title: tuple[str, ...]  # XPath expressions, first match wins
    body: tuple[str, ...]  # XPath expressions of the body container, first match wins
    chrome: tuple[tuple[str, str], ...]  # (XPath, reason), anywhere on the page
    # (regular expression on a whole text block, reason): furniture recognised by its words.
    chrome_text: tuple[tuple[str, str], ...] = ()
    end_marks: frozenset[str] = frozenset({"###"})
    link_only_is_chrome: bool = False  # a paragraph/list item that is only a link is furniture


def parse_page(raw: str) -> _Element | None:
    """The page's root element, or None when ``raw`` holds no markup at all."""
    if not raw.strip():
        return None
    try:
        return lxml.html.document_fromstring(raw)
    except (lxml.etree.ParserError, ValueError):
        return None


def text_of(element: _Element) -> str:
    """All text inside ``element`` (its descendants' too), whitespace normalised."""
    return normalize_space("".join(t for t in element.itertext() if isinstance(t, str)))


def shown(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + f"… ({len(text)} characters)"


def clean_page(raw: str, layout: PageLayout) -> tuple[list[Block], list[Removal]]:
    root = parse_page(raw)
    if root is None:
        return [], ([Removal(shown(normalize_space(raw)), "not an html page")] if raw.strip() else [])
    body = _first(root, layout.body)
    if body is None:
        text = text_of(root)
        return [], ([Removal(shown(text), f"no article body ({layout.name} layout not found)")] if text else [])
    walk = _Walk(layout, title=_first(root, layout.title), body=body, chrome=_chrome_map(root, layout))
    walk.visit(root)
    return walk.blocks, walk.removed


def _first(root: _Element, expressions: tuple[str, ...]) -> _Element | None:
    for expression in expressions:
        found = root.xpath(expression)
        if found:
            return found[0]
    return None


def _chrome_map(root: _Element, layout: PageLayout) -> dict[_Element, str]:
    chrome: dict[_Element, str] = {}
    for expression, reason in layout.chrome:
        for element in root.xpath(expression):
            chrome.setdefault(element, reason)
    return chrome


class _Walk:
    """One pass over the page in document order, filling ``blocks`` and ``removed``."""

    def __init__(self, layout: PageLayout, *, title: _Element | None, body: _Element,
                 chrome: dict[_Element, str]) -> None:
        self.layout, self.title, self.body, self.chrome = layout, title, body, chrome
        self.blocks: list[Block] = []
        self.removed: list[Removal] = []
        # Containers of the title or the body are walked into, never removed whole.
        self.on_path = {a for anchor in (title, body) if anchor is not None for a in anchor.iterancestors()}
        self.in_body = False

    def visit(self, element: _Element) -> None:
        if not isinstance(element.tag, str):  # comments and processing instructions
            if text := normalize_space(element.text or ""):
                self.removed.append(Removal(shown(text), "html comment"))
            return
        if element.tag in DROP:
            if text := text_of(element):
                self.removed.append(Removal(shown(text), f"html {element.tag}"))
            return
        if element is self.title:
            if text := text_of(element):
                self.blocks.append(Block("title", text))
            return
        if element in self.on_path or element is self.body:
            self._container(element)
            return
        if element in self.chrome:
            self._remove(element, self.chrome[element])
        elif self.in_body and element.tag in TEXT_BLOCKS:
            self._text_block(element)
        elif (self.in_body and _contains(element, TEXT_BLOCKS)) or self._holds_chrome(element):
            self._container(element)
        else:
            self._remove(element, self._reason_outside(element))

    def _container(self, element: _Element) -> None:
        entering = element is self.body
        self.in_body = self.in_body or entering
        if loose := normalize_space((element.text or "") + "".join(c.tail or "" for c in element)):
            self.removed.append(Removal(shown(loose), "text outside paragraphs" if self.in_body else "page chrome"))
        for child in element:
            self.visit(child)
        if entering:
            self.in_body = False

    def _holds_chrome(self, element: _Element) -> bool:
        return any(d in self.chrome for d in element.iterdescendants())

    def _text_block(self, element: _Element) -> None:
        text = text_of(element)
        if not text:
            return
        reason = self._chrome_text(text)
        if reason is None and text in self.layout.end_marks:
            reason = "end mark"
        if reason is None and self.layout.link_only_is_chrome and _is_link_only(element):
            links = " ".join(str(a.get("href")) for a in element.iter("a") if a.get("href"))
            reason = "link" if not links.lower().split("?")[0].endswith(".pdf") else "pdf link"
            text = f"{text} <{links}>"
        if reason is not None:
            self.removed.append(Removal(text, reason))
        elif element.tag in HEADINGS or (is_bold_only(element) and not ends_with_terminator(text)):
            self.blocks.append(Block("heading", text))
        else:
            self.blocks.append(Block("paragraph", text))

    def _remove(self, element: _Element, reason: str) -> None:
        for child in element.iter(*DROP):  # scripts inside chrome keep their own reason
            if text := text_of(child):
                self.removed.append(Removal(shown(text), f"html {child.tag}"))
        text = normalize_space("".join(_visible_text(element)))
        if text:
            self.removed.append(Removal(shown(text), reason))

    def _reason_outside(self, element: _Element) -> str:
        if element.tag == "head":
            return "page title"  # <title>; the rest of <head> holds no text
        return self._chrome_text(text_of(element)) or (
            "text outside paragraphs" if self.in_body else "outside the article body"
        )

    def _chrome_text(self, text: str) -> str | None:
        return next((reason for pattern, reason in self.layout.chrome_text if re.fullmatch(pattern, text)), None)


def _visible_text(element: _Element) -> Iterator[str]:
    """The text of ``element`` without its scripts and styles (reported separately)."""
    if isinstance(element.tag, str) and element.tag in DROP:
        return
    if isinstance(element.tag, str):
        yield element.text or ""
    for child in element:
        yield from _visible_text(child)
        yield " " + (child.tail or "")


def _contains(element: _Element, tags: frozenset[str]) -> bool:
    return any(isinstance(d.tag, str) and d.tag in tags for d in element.iterdescendants())


def is_bold_only(element: _Element) -> bool:
    """A block whose only text is bold (a heading written as <p><strong>…</strong></p>)."""
    if (element.text or "").strip():
        return False
    children = [c for c in element if isinstance(c.tag, str)]
    if not children or any((c.tail or "").strip() for c in children):
        return False
    return all(c.tag in _BOLD or not text_of(c) for c in children)


def _is_link_only(element: _Element) -> bool:
    links = list(element.iter("a"))
    return bool(links) and normalize_space(" ".join(text_of(a) for a in links)) == text_of(element)
