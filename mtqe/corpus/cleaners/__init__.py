"""Cleaners: raw text → (blocks, removals), one module per input format.

Every cleaner is a pure, deterministic function ``clean(raw: str) -> (list[Block],
list[Removal])``: the same raw text always gives the same blocks, and every piece of the
raw text it drops is reported as a :class:`~mtqe.corpus.model.Removal` with a reason, so
``mtqe corpus show --removed`` can prove that only furniture was dropped.

The registry below is the only list of cleaners; the manifest's ``cleaner:`` field must name
one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from mtqe.corpus.cleaners import (
    lines,
    main_text,
    markdown_repost,
    mofa_page,
    pdf_file,
    pdf_text,
    plain_paragraphs,
    rss_html,
    web_page_text,
    whitehouse_article,
)
from mtqe.corpus.model import Block, Removal
from mtqe.registry import Registry, build_registry

CleanFn = Callable[[str], "tuple[list[Block], list[Removal]]"]
ExtractFn = Callable[[bytes], str]


@dataclass(frozen=True)
class Cleaner:
    name: str
    clean: CleanFn
    summary: str
    # For binary files (PDF): stored bytes -> the raw text `clean` reads; None: the file is UTF-8 text.
    extract: ExtractFn | None = None


CLEANERS: Registry[Cleaner] = build_registry(
    "cleaner",
    [
        (c.name, c)
        for c in (
            Cleaner(
                "plain_paragraphs",
                plain_paragraphs.clean,
                "blank-line separated paragraphs, whitespace normalised; removes nothing",
            ),
            Cleaner(
                "lines",
                lines.clean,
                "one segment per line (test sets); empty lines reported as removed",
            ),
            Cleaner(
                "pdf_text",
                pdf_text.clean,
                "text extracted from a PDF: title block, short unterminated lines as headings, "
                "paragraphs cut at page breaks rejoined",
            ),
            Cleaner(
                "pdf_file",
                pdf_file.clean,
                "a PDF file as downloaded: text extracted with pypdf (layout mode), then the pdf_text rules",
                extract=pdf_file.extract,
            ),
            Cleaner(
                "markdown_repost",
                markdown_repost.clean,
                "Markdown news repost: title, bold-only section headings and body kept; banner, "
                "credits, images, links, rules and disclaimer removed",
            ),
            Cleaner(
                "rss_html",
                rss_html.clean,
                "RSS item (timestamp comment, Markdown title link, HTML body): paragraphs and bold "
                "headings kept; date line, byline, share buttons and RSS footer removed",
            ),
            Cleaner(
                "web_page_text",
                web_page_text.clean,
                "visible text of a web page: JavaScript notice, page title, breadcrumb and "
                "duplicate title removed",
            ),
            Cleaner(
                "main_text",
                main_text.clean,
                "main text of any HTML page found by trafilatura; every other text block of the page "
                "reported as removed",
            ),
            Cleaner(
                "whitehouse_article",
                whitehouse_article.clean,
                "White House briefing-room article (HTML): title and body kept; date, category, share/print "
                "links, archive notice, navigation, footer and ### removed",
            ),
            Cleaner(
                "mofa_page",
                mofa_page.clean,
                "English page of Japan's foreign ministry (HTML, #maincontents): title and text kept; date, "
                "breadcrumb, menus, PDF links and notice, back links, footer removed",
            ),
        )
    ],
)


def get_cleaner(name: str) -> Cleaner:
    """The cleaner called ``name``; an unknown name raises ConfigError with the closest names."""
    return CLEANERS.get(name)
