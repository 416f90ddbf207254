"""``mofa_page``: an English page of Japan's Ministry of Foreign Affairs (www.mofa.go.jp), as HTML.

The ministry's template puts the article in ``<div id="maincontents">`` (inside ``#main`` of
``#contents``): the title ``<h1 class="title1">``, the date right-aligned below it
(``<p class="rightalign">May 23, 2022</p>``), the text, then links to the full text as PDF,
the "Adobe Reader" notice, "Back to Top" and "Back to …" links and related links. Around it:
the site header with the language switch, the global navigation, the breadcrumb, the side menu
(``#sub``) and the footer.

Rules (walk: :mod:`mtqe.corpus.cleaners.html_page`): the ``<h1>`` → ``title``; paragraphs,
list items and headings of ``#maincontents`` → ``paragraph``/``heading``; the date, links that
make up a whole paragraph or list item ("link", "pdf link"), the PDF notice and all other page
furniture removed with their reasons. Joint statements are often published as a PDF that the
page only links to: the "pdf link" removals name it (fetch the PDF itself; it gets the
``pdf_file`` cleaner). Written from how these pages are built, not checked against a live page.
"""

from __future__ import annotations

from mtqe.corpus.cleaners.html_page import PageLayout, clean_page, has_class
from mtqe.corpus.cleaners.whitehouse_article import MONTH_DATE
from mtqe.corpus.model import Block, Removal

LAYOUT = PageLayout(
    name="MOFA English page",
    title=(f"//h1[{has_class('title1')}]", "//*[@id='maincontents']//h1", "//*[@id='main']//h1"),
    body=("//*[@id='maincontents']", "//*[@id='main']", "//main"),
    chrome=(
        (f"//*[{has_class('rightalign')}]", "dateline"),
        ("//*[contains(@id, 'breadcrumb') or contains(@class, 'breadcrumb') or @id='topicpath']", "breadcrumb"),
        ("//*[@id='header'] | //header", "site header"),
        ("//*[@id='global-navi' or @id='gnavi'] | //nav", "navigation"),
        ("//*[@id='sub' or @id='side' or @id='sidebar']", "side menu"),
        ("//*[@id='footer'] | //footer", "site footer"),
        (f"//*[@id='pagetop' or {has_class('pagetop')}]", "back to top"),
        (f"//*[{has_class('plugin')}]", "pdf viewer notice"),
        ("//*[@id='skip' or contains(@class, 'skip')]", "skip link"),
    ),
    chrome_text=(
        (r"(In order to view PDF files|To view PDF files|PDF files require).*", "pdf viewer notice"),
        (r"Back to .*", "back link"),
        (r"Related Links?", "related links heading"),
        (r"(Japanese|日本語)", "language switch"),
        (MONTH_DATE, "dateline"),
    ),
    link_only_is_chrome=True,
)


def clean(raw: str) -> tuple[list[Block], list[Removal]]:
    return clean_page(raw, LAYOUT)
