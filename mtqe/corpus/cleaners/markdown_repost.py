"""``markdown_repost``: a news article republished as Markdown (seed 000, GNews repost).

Parsed with markdown-it-py (CommonMark); the token stream, not regular expressions over the
raw text, decides what is a heading, a paragraph, an image, a link or a list.

Kept:
* the first level-1/2 heading → ``title``; other Markdown headings → ``heading``;
* a paragraph whose only text is bold (``**推进“自由和开放的印太地区”**``) → ``heading``;
* every other paragraph → ``paragraph``; bold spans inside it are emphasis, their text is kept;
  link text inside body text is kept (the URL is dropped).

Removed, each reported with its reason: navigation (back-link) headings, horizontal rules,
images, the repost banner (轉載自/转载自), credit lines (翻译/审核/校对/发布/素材/素材链接…),
date-line furniture (``2022年5月23日 – 声明和发布``), "follow us" prompts, lines made only of
links, link lists, and the disclaimer (免责声明).

A Markdown paragraph is processed line by line (lines are its soft breaks), because reposts
glue furniture and text into one paragraph: ``**翻译：噜噜咪**`` / image / first body line.

CJK emphasis: CommonMark's flanking rules do not recognise ``**`` between CJK punctuation and
a CJK character (``…完整。**首相…``), so the parser leaves such markers as literal text. The
cleaner treats a literal ``**`` inside a text node as a bold on/off switch; ``**`` is never
content in these articles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from mtqe.corpus.chars import join_lines, normalize_space
from mtqe.corpus.model import Block, Removal

_CREDIT = re.compile(
    r"^(翻译|翻譯|译者|譯者|审核|審核|校对|校對|发布|發布|编辑|編輯|责编|責編|素材链接|素材鏈接|素材|来源|來源)\s*[：:]"
)
_REPOST_BANNER = re.compile(r"(轉載自|转载自|转自|轉自)")
_DISCLAIMER = re.compile(r"^(免责声明|免責聲明)")
# Date-line furniture copied from the source page: a date, optionally followed by a dash and
# a short category label (the White House "Statements and Releases" line).
_DATELINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日(\s*[–—\-]\s*.{1,20})?$")
_FOLLOW_PROMPTS = ("更多资讯，更多关注", "更多資訊，更多關注")
_BACK_LINK_WORDS = ("返回", "back", "Back", "README")


@dataclass
class _Piece:
    """A run of inline text with the formatting that matters for classification."""

    text: str
    bold: bool = False
    href: str | None = None
    code: bool = False


@dataclass
class _Line:
    pieces: list[_Piece] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return normalize_space("".join(p.text for p in self.pieces))

    def rendered(self) -> str:
        """The line as Markdown-like text, links with their URL, for the removal report."""
        out = []
        for piece in self.pieces:
            if piece.href is not None:
                out.append(f"[{piece.text}]({piece.href})")
            elif piece.code:
                out.append(f"`{piece.text}`")
            else:
                out.append(piece.text)
        return normalize_space("".join(out))

    def is_bold_only(self) -> bool:
        visible = [p for p in self.pieces if p.text.strip()]
        return bool(visible) and all(p.bold and p.href is None for p in visible)

    def is_links_only(self) -> bool:
        visible = [p for p in self.pieces if p.text.strip()]
        return bool(visible) and all(p.href is not None for p in visible)


def clean(raw: str) -> tuple[list[Block], list[Removal]]:
    tokens = MarkdownIt("commonmark").parse(raw)
    blocks: list[Block] = []
    removed: list[Removal] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open":
            _heading(tokens[index + 1], blocks, removed)
            index += 3
        elif token.type == "paragraph_open":
            _paragraph(tokens[index + 1], blocks, removed)
            index += 3
        elif token.type == "hr":
            removed.append(Removal(token.markup, "horizontal rule"))
            index += 1
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            index = _list(tokens, index, blocks, removed)
        elif token.type in ("fence", "code_block", "html_block"):
            removed.append(Removal(token.content.strip(), f"markdown {token.type.replace('_', ' ')}"))
            index += 1
        else:
            # blockquote_open/close and similar wrappers: their paragraphs are handled above.
            index += 1
    return blocks, removed


def _heading(inline: Token, blocks: list[Block], removed: list[Removal]) -> None:
    lines = _lines(inline)
    line = lines[0] if len(lines) == 1 else _merge_lines(lines)
    if line.is_links_only() and any(w in line.rendered() for w in _BACK_LINK_WORDS):
        removed.append(Removal(line.rendered(), "back-link"))
        return
    for src in line.images:
        removed.append(Removal(f"![]({src})", "image"))
    if not line.text:
        return
    has_title = any(b.kind == "title" for b in blocks)
    blocks.append(Block("heading" if has_title else "title", line.text))


def _paragraph(inline: Token, blocks: list[Block], removed: list[Removal]) -> None:
    kept: list[_Line] = []
    for line in _lines(inline):
        for src in line.images:
            removed.append(Removal(f"![]({src})", "image"))
        reason = _furniture_reason(line)
        if reason is not None:
            removed.append(Removal(line.rendered(), reason))
        elif line.text:
            kept.append(line)
    if not kept:
        return
    if len(kept) == 1 and kept[0].is_bold_only():
        blocks.append(Block("heading", kept[0].text))
    else:
        blocks.append(Block("paragraph", join_lines([line.text for line in kept])))


def _furniture_reason(line: _Line) -> str | None:
    text = line.text
    if not text:
        return None
    if _REPOST_BANNER.search(text):
        return "repost banner"
    if _CREDIT.match(text):
        return "credit"
    if _DISCLAIMER.match(text):
        return "disclaimer"
    if _DATELINE.match(text):
        return "dateline"
    if text in _FOLLOW_PROMPTS:
        return "follow prompt"
    if line.is_links_only():
        return "link"
    return None


def _list(tokens: list[Token], index: int, blocks: list[Block], removed: list[Removal]) -> int:
    """A list made only of links is page furniture; list items with text are paragraphs."""
    close_type = tokens[index].type.replace("_open", "_close")
    level = tokens[index].level
    items: list[_Line] = []
    index += 1
    while not (tokens[index].type == close_type and tokens[index].level == level):
        if tokens[index].type == "inline":
            items.append(_merge_lines(_lines(tokens[index])))
        index += 1
    if items and all(item.is_links_only() for item in items):
        removed.append(Removal(" | ".join(item.rendered() for item in items), "link list"))
    else:
        for item in items:
            for src in item.images:
                removed.append(Removal(f"![]({src})", "image"))
            if item.text:
                blocks.append(Block("paragraph", item.text))
    return index + 1


def _lines(inline: Token) -> list[_Line]:
    """Split an inline token into lines at soft/hard breaks, tracking bold and link state."""
    lines = [_Line()]
    bold = False
    href: str | None = None
    for child in inline.children or []:
        kind = child.type
        if kind in ("softbreak", "hardbreak"):
            lines.append(_Line())
        elif kind == "strong_open":
            bold = True
        elif kind == "strong_close":
            bold = False
        elif kind == "link_open":
            href = str(child.attrs.get("href", ""))
        elif kind == "link_close":
            href = None
        elif kind == "image":
            lines[-1].images.append(str(child.attrs.get("src", "")))
        elif kind == "code_inline":
            lines[-1].pieces.append(_Piece(child.content, bold=bold, href=href, code=True))
        elif kind == "text":
            # Literal ** left by CommonMark next to CJK punctuation: a bold switch (module doc).
            parts = child.content.split("**")
            for number, part in enumerate(parts):
                if number > 0:
                    bold = not bold
                if part:
                    lines[-1].pieces.append(_Piece(part, bold=bold, href=href))
        elif kind == "html_inline":
            continue  # inline tags carry no text of their own
        # em_open/em_close and other markers carry no text either.
    return lines


def _merge_lines(lines: list[_Line]) -> _Line:
    merged = _Line()
    for line in lines:
        merged.pieces.extend(line.pieces)
        merged.images.extend(line.images)
    return merged
