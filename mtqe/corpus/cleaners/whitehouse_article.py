"""``whitehouse_article``: a White House briefing-room article saved as HTML (the page itself).

The Biden-era statements and releases now live under ``bidenwhitehouse.archives.gov`` with
the paths they had on ``www.whitehouse.gov``. Their template (WordPress) puts the article body
in the main content container (``<section class="body-content">``, ``.entry-content`` in older
pages) and around it: the title (``<h1 class="page-title">``), the date (``<time>``,
``.posted-on``), the category link ("Statements and Releases"), share and print links, the
site header and navigation, the archive notice ("This is historical material …"), the footer.

Rules (walk: :mod:`mtqe.corpus.cleaners.html_page`): the ``<h1>`` → ``title``; the body's
paragraphs, list items and headings → ``paragraph``/``heading``; the end mark ``###`` and
everything else on the page removed, each with its reason. The layout was written from how
these pages are built, not checked against a live page here; a page it does not fit keeps no
text ("no article body"), and ``main_text`` is the generic alternative.
"""

from __future__ import annotations

from mtqe.corpus.cleaners.html_page import PageLayout, clean_page, has_class
from mtqe.corpus.model import Block, Removal

MONTH_DATE = r"(January|February|March|April|May|June|July|August|September|October|November|December) \d{1,2}, \d{4}"

LAYOUT = PageLayout(
    name="White House briefing-room article",
    title=(f"//h1[{has_class('page-title')}]", "//main//h1", "//article//h1"),
    body=(f"//section[{has_class('body-content')}]", f"//*[{has_class('body-content')}]",
          f"//*[{has_class('entry-content')}]"),
    chrome=(
        ("//time", "dateline"),
        (f"//*[{has_class('posted-on')} or {has_class('entry-date')}]", "dateline"),
        (f"//*[{has_class('cat-links')} or {has_class('term-links')} or {has_class('tag-links')}]", "category links"),
        ("//*[contains(@class, 'share')]", "share buttons"),
        ("//*[contains(@class, 'print')]", "print link"),
        (f"//*[{has_class('skip-link')}]", "skip link"),
        ("//nav", "navigation"),
        ("//footer", "site footer"),
        ("//header", "site header"),
    ),
    chrome_text=(
        (r"This is historical material.*", "archive notice"),
        (r"Share( this)?:?", "share buttons"),
        (r"Print( this)?", "print link"),
        (r"Briefing Room", "section label"),
        (r"Statements and Releases", "category links"),
        (MONTH_DATE, "dateline"),
    ),
)


def clean(raw: str) -> tuple[list[Block], list[Removal]]:
    return clean_page(raw, LAYOUT)
