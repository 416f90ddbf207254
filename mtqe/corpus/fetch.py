"""Downloading a text the manifest marks fetchable (``fetch: {url, sha256}``).

Some texts cannot be shipped (licence) but can be downloaded by each user. Their manifest
entry is complete — language, roles, cleaner, provenance, ``file:`` where the bytes go — and
carries ``fetch: {url, sha256}``. ``mtqe corpus fetch DOC --lang L`` downloads the URL with
urllib, refuses bytes whose sha256 differs (nothing is written), stores them unchanged at
``file:`` (atomically) and checks that the registered cleaner keeps some text; the entry's
``sha256:`` is the fetch hash, so the text is then registered like any other.
"""

from __future__ import annotations

import urllib.error
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
) -> tuple[TextSpec, str]:
    """Download the fetchable ``lang`` text of ``doc_id``; return its spec and what happened."""
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
    if spec.path.is_file() and sha256_file(spec.path) == source.sha256:
        return spec, f"{spec.qualified_id}: already present at {spec.path} (sha256 matches)"
    data = download(source.url, timeout=timeout)
    actual = sha256_bytes(data)
    if actual != source.sha256:
        raise CorpusError(
            f"{spec.qualified_id}: {source.url} returned {len(data)} bytes with sha256 {actual}, the manifest "
            f"expects {source.sha256}. Nothing was written. The page may have changed: check it, and if the "
            "new bytes are the right text, update fetch.sha256 in the manifest."
        )
    existed = spec.path.exists()
    atomic_write_bytes(spec.path, data)
    try:
        load_clean_text(spec)
    except MtqeError as exc:
        if not existed:
            spec.path.unlink()
        raise CorpusError(f"{spec.qualified_id}: downloaded, but it cannot be used, so it was removed again: {exc}") from None
    return spec, f"{spec.qualified_id}: fetched {len(data)} bytes from {source.url} into {spec.path}"


def download(url: str, *, timeout: float = 60.0) -> bytes:
    """GET ``url`` (http/https only) and return its body, at most :data:`MAX_BYTES`."""
    if not url.startswith(("https://", "http://")):
        raise CorpusError(f"refusing to fetch {url!r}: only http(s) URLs are fetched")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise CorpusError(f"fetching {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CorpusError(f"fetching {url} failed: {reason}. Check the address and your connection.") from None
    if len(data) > MAX_BYTES:
        raise CorpusError(f"fetching {url}: more than {MAX_BYTES} bytes; this is not a reference text")
    return data
