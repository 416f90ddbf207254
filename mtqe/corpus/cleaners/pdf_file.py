"""``pdf_file``: a PDF stored as downloaded (e.g. a joint statement on www.mofa.go.jp/files/…pdf).

The stored bytes are the PDF itself (so their sha256 is the publisher's file); the text is
extracted when the text is loaded, with pypdf (a maintained pure-Python library) in its layout
mode, which puts a blank line where the vertical gap between lines is larger than a line:
paragraph breaks. Each line is stripped and its runs of spaces (layout padding) collapsed,
runs of blank lines become one, pages are separated by a blank line. The result is then
cleaned by the :mod:`~mtqe.corpus.cleaners.pdf_text` rules (page numbers removed, title block,
headings, paragraphs cut at page breaks rejoined), the same rules as the Japanese MOFA text.

Layout extraction depends on how the PDF was produced; ``mtqe corpus show DOC --lang L
--removed`` shows the result. A PDF whose text is only images (a scan) extracts to nothing and
is reported as such.
"""

from __future__ import annotations

import io
import re

from mtqe.corpus.cleaners import pdf_text
from mtqe.corpus.model import Block, Removal
from mtqe.errors import CorpusError

_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_RUN = re.compile(r"\n{3,}")


def extract(data: bytes) -> str:
    """The PDF's text, paragraphs separated by blank lines (see the module docstring)."""
    from pypdf import PdfReader  # lazy: only when a PDF is loaded
    from pypdf.errors import PyPdfError

    if not data.startswith(b"%PDF-"):
        raise CorpusError("the file is not a PDF (it does not start with %PDF-); choose the cleaner for its format")
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text(extraction_mode="layout") for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise CorpusError(f"the PDF cannot be read by pypdf ({type(exc).__name__}: {exc})") from None
    text = "\n\n".join("\n".join(_SPACES.sub(" ", line).strip() for line in page.split("\n")) for page in pages)
    return _BLANK_RUN.sub("\n\n", text).strip("\n") + "\n"


def clean(raw: str) -> tuple[list[Block], list[Removal]]:
    return pdf_text.clean(raw)
