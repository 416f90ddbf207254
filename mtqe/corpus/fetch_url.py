"""``mtqe corpus fetch-url``: download a published text and register it, trusting its hash on first use.

For users who are online and want the official text (e.g. the English White House statement)
without saving, cleaning and ``corpus add``-ing it by hand. The download is
:func:`mtqe.corpus.fetch.download` (http(s) only at every redirect, size cap, overall
deadline). The bytes are stored unchanged and registered with :func:`mtqe.corpus.manifest_edit.add_text`
together with ``fetch: {url, sha256, first_fetched}``: no hash is known in advance, so the one
seen now is recorded and printed with the time (trust on first use). ``mtqe corpus fetch DOC
--lang L --verify`` later downloads the address again and reports a changed page without
overwriting anything.

Before anything is written the page is cleaned with the chosen cleaner (by default
``pdf_file`` for a PDF, else the one registered for the publisher's page layout, else
``main_text``) and its language checked; a page the cleaner keeps no paragraph of, or a PDF
given a text cleaner, stops with a line saying what to do.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from mtqe.corpus.cleaners import CLEANERS
from mtqe.corpus.fetch import ALLOWED_SCHEMES, DEFAULT_DEADLINE_S, download
from mtqe.corpus.manifest_edit import NewText, add_text
from mtqe.corpus.model import COVERAGES, ROLES, Block, FetchSpec, Removal, TextSpec
from mtqe.corpus.reading import decode_utf8
from mtqe.errors import CorpusError
from mtqe.io import sha256_bytes
from mtqe.languages import normalize_lang

# Publisher hosts whose page layout has its own cleaner; any other page gets `main_text`.
CLEANER_BY_HOST: tuple[tuple[str, str], ...] = (
    ("bidenwhitehouse.archives.gov", "whitehouse_article"),
    ("whitehouse.gov", "whitehouse_article"),
    ("mofa.go.jp", "mofa_page"),
)
DEFAULT_CLEANER = "main_text"
PDF_CLEANER = "pdf_file"  # any PDF, whoever publishes it
DEFAULT_ROLES = ("source", "reference")


@dataclass(frozen=True)
class FetchUrlRequest:
    """What to download and how to register it; validated before any network access."""

    doc_id: str
    lang: str
    url: str
    roles: tuple[str, ...] = DEFAULT_ROLES
    cleaner: str | None = None  # None: pdf_file for a PDF, else by host (CLEANER_BY_HOST), else main_text
    text_id: str | None = None
    title: str | None = None  # required when the document is new
    publisher: str | None = None
    licence: str | None = None
    date: str | None = None
    coverage: str = "full"
    language_check: bool = True
    timeout: float = 60.0
    deadline: float = DEFAULT_DEADLINE_S
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if urllib.parse.urlsplit(self.url).scheme.lower() not in ALLOWED_SCHEMES:
            raise CorpusError(f"--url {self.url!r}: only http(s) addresses are fetched")
        object.__setattr__(self, "lang", normalize_lang(self.lang))
        for role in self.roles:
            if role not in ROLES:
                raise CorpusError(f"--role {role!r}: roles are {', '.join(ROLES)}")
        if self.cleaner is not None:
            CLEANERS.get(self.cleaner)  # ConfigError with "did you mean"
        if self.coverage not in COVERAGES:
            raise CorpusError(f"--coverage {self.coverage!r}: use one of {', '.join(COVERAGES)}")
        for name in ("timeout", "deadline"):
            if not getattr(self, name) > 0:
                raise CorpusError(f"--{name} must be a positive number of seconds, got {getattr(self, name)}")

    def resolved_cleaner(self, data: bytes) -> str:
        if self.cleaner is not None:
            return self.cleaner
        return PDF_CLEANER if is_pdf(data) else cleaner_for(self.url)


@dataclass(frozen=True)
class FetchedText:
    """A registered download: its spec, the trusted hash with its time, and what cleaning did."""

    spec: TextSpec
    size: int
    first_fetched: str
    blocks: int
    removed: tuple[Removal, ...]
    language: str

    def report(self) -> list[str]:
        spec = self.spec
        reasons: dict[str, int] = {}
        for removal in self.removed:
            reasons[removal.reason] = reasons.get(removal.reason, 0) + 1
        summary = ", ".join(f"{reason} ×{count}" for reason, count in reasons.items()) or "nothing"
        pdfs = [r.text for r in self.removed if r.reason == "pdf link"]
        return [
            f"fetched {self.size} bytes from {spec.fetch.url if spec.fetch else '?'} into {spec.path}",
            f"trust on first use: sha256 {spec.sha256} recorded {self.first_fetched} "
            f"(check it later: mtqe corpus fetch {spec.document} --lang {spec.lang} --text {spec.text_id} --verify)",
            f"registered {spec.qualified_id} ({spec.lang}, {', '.join(sorted(spec.roles))}), cleaner {spec.cleaner}: "
            f"{self.blocks} block(s) kept; removed {len(self.removed)} piece(s): {summary}",
            f"{self.language}; review the removals with: mtqe corpus show {spec.document} --lang {spec.lang} --removed",
        ] + ([f"note: the page links to PDF(s): {'; '.join(pdfs)}; check that the page holds the full text"]
             if pdfs else [])


def cleaner_for(url: str) -> str:
    """The cleaner registered for the page layout of ``url``'s publisher, else ``main_text``."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    for suffix, cleaner in CLEANER_BY_HOST:
        if host == suffix or host.endswith("." + suffix):
            return cleaner
    return DEFAULT_CLEANER


def fetch_url(request: FetchUrlRequest, *, references: Path | str | None = None,
              now: dt.datetime | None = None) -> FetchedText:
    """Download ``request.url``, check that its cleaned text is usable, and register the bytes."""
    data = download(request.url, timeout=request.timeout, deadline=request.deadline)
    first_fetched = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cleaner = request.resolved_cleaner(data)
    blocks, removed = _clean(data, request.url, cleaner)
    language = _check_language(blocks, request)
    digest = sha256_bytes(data)
    new = NewText(
        doc_id=request.doc_id, lang=request.lang, roles=request.roles, text_id=request.text_id, cleaner=cleaner,
        coverage=request.coverage, origin=f"fetched with mtqe corpus fetch-url on {first_fetched}", url=request.url,
        publisher=request.publisher, licence=request.licence, date=request.date, title=request.title,
        extra=dict(request.extra), fetch=FetchSpec(url=request.url, sha256=digest, first_fetched=first_fetched),
    )
    spec = add_text(new, data, source_name=_source_name(data), references=references)
    return FetchedText(spec=spec, size=len(data), first_fetched=first_fetched, blocks=len(blocks),
                       removed=tuple(removed), language=language)


def is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-")


def _clean(data: bytes, url: str, cleaner_name: str) -> tuple[list[Block], list[Removal]]:
    cleaner = CLEANERS.get(cleaner_name)
    if is_pdf(data) and cleaner.extract is None:
        raise CorpusError(
            f"{url} is a PDF ({len(data)} bytes) and cleaner {cleaner_name!r} reads text. Nothing was written. "
            f"Use --cleaner {PDF_CLEANER} (or leave --cleaner out)"
        )
    if cleaner.extract is not None:
        try:
            text = cleaner.extract(data)
        except CorpusError as exc:
            raise CorpusError(f"{url}: {exc}. Nothing was written") from None
    else:
        text = _decode(data, url)
    blocks, removed = cleaner.clean(text)
    if any(b.kind == "paragraph" for b in blocks):  # a title alone is not the text
        return blocks, removed
    pdfs = [r.text for r in removed if r.reason == "pdf link"]
    hint = (f" The page links to PDF(s): {'; '.join(pdfs)}; the text may be there." if pdfs else "")
    other = "main_text" if cleaner != "main_text" else "a cleaner registered for its layout"
    raise CorpusError(
        f"{url}: cleaner {cleaner!r} kept no text paragraph ({len(blocks)} title/heading block(s), "
        f"{len(removed)} piece(s) removed"
        + (f", e.g. {removed[0].reason}: {removed[0].text[:80]!r}" if removed else "")
        + f"). Nothing was written.{hint} Check the address, or try --cleaner {other}"
    )


def _decode(data: bytes, url: str) -> str:
    try:
        text = decode_utf8(data, f"the page at {url}")
    except CorpusError as exc:
        # decode_utf8's remedy (convert the file, re-register it) is for a registered file; here
        # nothing is registered, and a fetched file is kept byte for byte.
        problem = str(exc).split(". Convert", 1)[0]
        raise CorpusError(
            f"{problem}. Nothing was written: fetch-url keeps pages byte for byte and reads them as UTF-8. "
            "Save the page, convert it to UTF-8 and register it with `mtqe corpus add`"
        ) from None
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _check_language(blocks: list[Block], request: FetchUrlRequest) -> str:
    if not request.language_check:
        return "language not checked (--no-language-check)"
    from mtqe.langid import check_declared_language

    text = "\n\n".join(b.text for b in blocks)
    return check_declared_language(text, request.lang, where=f"the text cleaned from {request.url}")


def _source_name(data: bytes) -> str:
    """A file name whose suffix says what the stored bytes are (the URL's path often has none)."""
    if is_pdf(data):
        return "page.pdf"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return "page.html" if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<meta")) else "page.txt"
