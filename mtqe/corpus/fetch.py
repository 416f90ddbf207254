"""Downloading a text the manifest marks fetchable (``fetch: {url, sha256}``).

Some texts cannot be shipped (licence) but can be downloaded by each user. Their manifest
entry is complete — language, roles, cleaner, provenance, ``file:`` where the bytes go — and
carries ``fetch: {url, sha256}``. ``mtqe corpus fetch DOC --lang L`` downloads the URL with
urllib, refuses bytes whose sha256 differs (nothing is written), stores them unchanged at
``file:`` (atomically) and checks that the registered cleaner keeps some text; the entry's
``sha256:`` is the fetch hash, so the text is then registered like any other.

``--verify`` downloads again even when the file is present and compares the new bytes with the
recorded hash — the check of a hash recorded on trust by ``mtqe corpus fetch-url``
(:mod:`mtqe.corpus.fetch_url`): a changed page is reported and nothing is overwritten.

Only http(s) is fetched, at every redirect too (urllib would follow one to ``ftp://``; a
``file:`` URL would read a local file), and the whole download has a deadline besides the
per-read timeout: a server that trickles one byte every few seconds never trips the latter.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from mtqe.languages import normalize_lang
from mtqe.corpus.loader import get_document, load_clean_text
from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.model import FetchSpec, TextSpec
from mtqe.errors import CorpusError, MtqeError
from mtqe.io import atomic_write_bytes, sha256_bytes, sha256_file

# A reference text is a few hundred kilobytes at most; anything larger is a wrong URL.
MAX_BYTES = 20 * 1024 * 1024
USER_AGENT = "mtqe-corpus-fetch/1"
ALLOWED_SCHEMES = ("http", "https")
# The whole download, redirects included; a reference text takes seconds.
DEFAULT_DEADLINE_S = 300.0
_CHUNK = 64 * 1024


def fetchable_texts(references: Path | str | None, doc_id: str, lang: str) -> list[TextSpec]:
    document = get_document(load_manifest(references), doc_id)
    code = normalize_lang(lang)
    return [t for t in document.texts_in(code) if t.fetch is not None]


def fetch_text(
    doc_id: str,
    lang: str,
    *,
    references: Path | str | None = None,
    text_id: str | None = None,
    timeout: float = 60.0,
    deadline: float = DEFAULT_DEADLINE_S,
    verify: bool = False,
) -> tuple[TextSpec, str]:
    """Download the fetchable ``lang`` text of ``doc_id``; return its spec and what happened.

    ``verify``: download even when the file is present with the right hash, to check that the
    address still serves the same bytes (never overwrites anything)."""
    candidates = fetchable_texts(references, doc_id, lang)
    if text_id is not None:
        candidates = [t for t in candidates if t.text_id == text_id]
    if not candidates:
        document = get_document(load_manifest(references), doc_id)
        fetchable = [f"{t.text_id} ({t.lang})" for t in document.texts.values() if t.fetch is not None]
        raise CorpusError(
            f"{doc_id} has no fetchable text in {lang!r}"
            + (f" with id {text_id!r}" if text_id else "")
            + f". Fetchable texts: {', '.join(fetchable) or 'none'}. A text is fetchable when its manifest "
            "entry has `fetch: {url, sha256}`; otherwise add a local copy with `mtqe corpus add`."
        )
    if len(candidates) > 1:
        raise CorpusError(
            f"{doc_id} has several fetchable {lang} texts ({', '.join(t.text_id for t in candidates)}); choose one with --text"
        )
    spec = candidates[0]
    source: FetchSpec = spec.fetch  # type: ignore[assignment]  # candidates all have one
    present = spec.path.is_file() and sha256_file(spec.path) == source.sha256
    if present and not verify:
        return spec, f"{spec.qualified_id}: already present at {spec.path} (sha256 matches; --verify downloads it again to compare)"
    data = download(source.url, timeout=timeout, deadline=deadline)
    actual = sha256_bytes(data)
    since = f" (recorded on first fetch, {source.first_fetched})" if source.first_fetched else ""
    if actual != source.sha256:
        raise CorpusError(
            f"{spec.qualified_id}: {source.url} returned {len(data)} bytes with sha256 {actual}, the manifest "
            f"expects {source.sha256}{since}. Nothing was written. The page may have changed: check it, and if the "
            "new bytes are the right text, register them as a new text (`mtqe corpus fetch-url` with another "
            "--text-id) or update fetch.sha256 in the manifest."
        )
    if present:
        return spec, f"{spec.qualified_id}: verified: {source.url} still serves the same {len(data)} bytes, sha256 {actual}{since}"
    existed = spec.path.exists()
    atomic_write_bytes(spec.path, data)
    try:
        load_clean_text(spec)
    except MtqeError as exc:
        if not existed:
            spec.path.unlink()
        raise CorpusError(f"{spec.qualified_id}: downloaded, but it cannot be used, so it was removed again: {exc}") from None
    return spec, f"{spec.qualified_id}: fetched {len(data)} bytes from {source.url} into {spec.path}"


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) URLs only (urllib alone would follow one to ftp://)."""

    def http_error_302(self, req, fp, code, msg, headers):  # type: ignore[no-untyped-def]
        location = headers.get("location") or headers.get("uri")
        if location:
            target = urllib.parse.urljoin(req.full_url, location)
            if urllib.parse.urlsplit(target).scheme.lower() not in ALLOWED_SCHEMES:
                raise CorpusError(
                    f"fetching {req.full_url}: the server redirects to {target!r}; only http(s) is fetched. "
                    "Check the URL in the manifest"
                )
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def download(url: str, *, timeout: float = 60.0, deadline: float = DEFAULT_DEADLINE_S) -> bytes:
    """GET ``url`` (http/https only, at every redirect) and return its body, at most
    :data:`MAX_BYTES`, within ``deadline`` seconds overall (``timeout``: per connect/read)."""
    if urllib.parse.urlsplit(url).scheme.lower() not in ALLOWED_SCHEMES:
        raise CorpusError(f"refusing to fetch {url!r}: only http(s) URLs are fetched")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    # No FTP/file handlers may answer: build_opener adds them by default.
    opener.handlers = [h for h in opener.handlers
                       if not isinstance(h, (urllib.request.FTPHandler, urllib.request.FileHandler))]
    end = time.monotonic() + deadline
    try:
        with opener.open(request, timeout=min(timeout, deadline)) as response:
            return _read_until(response, url, end, deadline)
    except urllib.error.HTTPError as exc:
        raise CorpusError(f"fetching {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CorpusError(f"fetching {url} failed: {reason}. Check the address and your connection.") from None


def _read_until(response, url: str, end: float, deadline: float) -> bytes:  # type: ignore[no-untyped-def]
    """The body in chunks (``read1`` returns what has arrived), checking size and deadline."""
    parts: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > end:
            raise CorpusError(
                f"fetching {url}: not finished after {deadline:.0f} s ({size} bytes so far); the server is too "
                "slow or stalled. Try again later, or give more time with --deadline"
            )
        chunk = response.read1(_CHUNK)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        size += len(chunk)
        if size > MAX_BYTES:
            raise CorpusError(f"fetching {url}: more than {MAX_BYTES} bytes; this is not a reference text")
