"""Text from a run (system names, notes, errors, hypotheses) made safe for the file it goes in.

* CSV (:func:`csv_cell`): a spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return as a formula, so such a text cell gets a leading ``'``
  (OWASP's advice; spreadsheets hide it). A cell that is a plain number (``-1.5``,
  ``2.3e-05``) is left alone, so scores stay numbers.
* Markdown (:func:`md_text`): ``|`` would split a table cell, ``<`` start raw HTML, backticks,
  ``*``, ``_``, ``[``, ``~`` change the rendering; each is escaped, newlines become spaces.
"""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# Punctuation that changes rendering inside a line (code, emphasis, links, table cells,
# strikethrough). Text never starts a line here, so ``#``, ``-``, ``>`` stay as they are.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def csv_cell(text: str) -> str:
    """``text`` as a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def md_text(text: str) -> str:
    """``text`` shown literally in a Markdown paragraph, list item or table cell."""
    text = " ".join(text.splitlines())
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _MD_SPECIAL.sub(r"\\\1", text)
