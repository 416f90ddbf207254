"""``rss_html``: a news article saved from an RSS feed (seeds 001 and 003, RFI Chinese via feedx).

Layout of such a file: an HTML comment holding the fetch time in epoch milliseconds, a
Markdown link ``[article title](article url)`` underlined with dashes, then the article body as
one line of HTML. The header is matched line by line; the body is parsed with lxml.

Kept:
* the link text of the header → ``title``;
* each ``<p>``/``<h1>``…``<h6>``/``<li>`` → ``paragraph``, except one whose text is entirely
  bold (``<strong>``/``<b>``) and does not end a sentence → ``heading``. A bold paragraph
  that ends with a terminator is the article's lead and stays a ``paragraph``.

Removed, each with its reason: the fetch timestamp, the article URL ("source link"), the
underline, images, the date/time line (``18/04/2024 - 16:54``), the byline (作者：…), share
buttons (分享), the RSS footer (获取更多RSS), scripts/styles, and any other text found outside
paragraphs ("text outside paragraphs", so nothing disappears unreported).
"""

from __future__ import annotations

import re

import lxml.html
from lxml.etree import _Element

from mtqe.corpus.chars import ends_with_terminator, normalize_space
from mtqe.corpus.cleaners.html_page import is_bold_only, text_of
from mtqe.corpus.model import Block, Removal

_TIMESTAMP = re.compile(r"^<!--\s*(\d+)\s*-->$")
_TITLE_LINK = re.compile(r"^\[(?P<title>.+)\]\((?P<url>[^)\s]+)\)$")
_UNDERLINE = re.compile(r"^(-{3,}|={3,})$")
_DATETIME = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}\s*-\s*\d{1,2}:\d{2}$")

_TEXT_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li"})
_DROP = frozenset({"script", "style", "noscript", "template"})
# (prefix of the element's text, reason) for furniture outside paragraphs.
_FURNITURE: tuple[tuple[str, str], ...] = (
    ("作者", "byline"),
    ("記者", "byline"),
    ("记者", "byline"),
    ("分享", "share buttons"),
    ("获取更多RSS", "rss footer"),
    ("獲取更多RSS", "rss footer"),
)


def clean(raw: str) -> tuple[list[Block], list[Removal]]:
    blocks: list[Block] = []
    removed: list[Removal] = []
    body = _header(raw, blocks, removed)
    if body.strip():
        root = lxml.html.fragment_fromstring(body, create_parent="div")
        _visit(root, blocks, removed)
    return blocks, removed


def _header(raw: str, blocks: list[Block], removed: list[Removal]) -> str:
    """Consume the header lines; return the rest (the HTML body)."""
    lines = raw.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        if not line:
            index += 1
            continue
        if match := _TIMESTAMP.match(line):
            removed.append(Removal(match.group(1), "feed timestamp"))
        elif match := _TITLE_LINK.match(line):
            blocks.append(Block("title", normalize_space(match.group("title"))))
            removed.append(Removal(match.group("url"), "source link"))
        elif _UNDERLINE.match(line):
            removed.append(Removal(line, "title underline"))
        else:
            break
        index += 1
    return "\n".join(lines[index:])


def _visit(element: _Element, blocks: list[Block], removed: list[Removal]) -> None:
    if not isinstance(element.tag, str):  # comments and processing instructions
        text = normalize_space(element.text or "")
        if text:
            removed.append(Removal(text, "html comment"))
        return
    tag = element.tag
    if tag in _DROP or tag in _TEXT_BLOCKS or not _contains_text_blocks(element):
        # A leaf of this walk (not recursed into): report its images here, so that images
        # appear in document order and exactly once.
        for image in element.iter("img"):
            removed.append(Removal(str(image.get("src", "")), "image"))
    if tag in _DROP:
        text = text_of(element)
        if text:
            removed.append(Removal(text, f"html {tag}"))
        return
    if tag in _TEXT_BLOCKS:
        _text_block(element, blocks)
        return
    if not _contains_text_blocks(element):
        _furniture(element, removed)
        return
    # A container of paragraphs: its own loose text (rare) is reported, children are visited.
    loose = normalize_space((element.text or "") + "".join(c.tail or "" for c in element))
    if loose:
        removed.append(Removal(loose, "text outside paragraphs"))
    for child in element:
        _visit(child, blocks, removed)


def _text_block(element: _Element, blocks: list[Block]) -> None:
    text = text_of(element)
    if not text:
        return
    if is_bold_only(element) and not ends_with_terminator(text):
        blocks.append(Block("heading", text))
    else:
        blocks.append(Block("paragraph", text))


def _contains_text_blocks(element: _Element) -> bool:
    return any(isinstance(d.tag, str) and d.tag in _TEXT_BLOCKS for d in element.iterdescendants())


def _furniture(element: _Element, removed: list[Removal]) -> None:
    text = text_of(element)
    links = [str(a.get("href")) for a in element.iter("a") if a.get("href")]
    if not text and not links:
        return  # empty wrappers (newsletter/app placeholders): nothing is lost
    if _DATETIME.match(text):
        reason = "dateline"
    else:
        reason = next((r for prefix, r in _FURNITURE if text.startswith(prefix)), "text outside paragraphs")
    shown = text if text else " ".join(links)
    removed.append(Removal(shown, reason))


