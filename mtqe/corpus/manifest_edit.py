"""Adding a text to ``references/manifest.yaml`` without losing its comments or layout.

PyYAML cannot round-trip comments, so the manifest is edited as text: the new entry is
rendered on its own (every string as a JSON string, which is valid YAML and escapes whatever
a title or a licence note contains) and inserted at the end of the document's ``texts:``
block, or a new document is appended at the end of the file. The result is written
atomically and validated with :func:`load_manifest`; if validation fails the old manifest is
put back and the copied file removed, so a failed ``mtqe corpus add`` changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from mtqe.corpus.cleaners import CLEANERS
from mtqe.languages import normalize_lang
from mtqe.corpus.manifest import load_manifest, manifest_file
from mtqe.corpus.model import COVERAGES, ROLES, FetchSpec, TextSpec
from mtqe.corpus.paths import explicit_references_dir, writable_references_dir
from mtqe.corpus.project_refs import STARTER_MANIFEST
from mtqe.errors import CorpusError, ManifestError, MtqeError
from mtqe.io import atomic_write_bytes, atomic_write_text, sha256_bytes

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class NewText:
    """What ``mtqe corpus add`` records for a text (provenance fields are optional)."""

    doc_id: str
    lang: str
    roles: tuple[str, ...]
    text_id: str | None = None  # default: "<lang>-<first role>"
    cleaner: str = "plain_paragraphs"
    coverage: str = "full"
    origin: str | None = None  # default: "added with mtqe corpus add from <file name>"
    url: str | None = None
    publisher: str | None = None
    translator: str | None = None
    licence: str | None = None
    date: str | None = None
    title: str | None = None  # required when the document is new
    extra: dict[str, str] = field(default_factory=dict)  # more provenance (e.g. notes)
    fetch: FetchSpec | None = None  # where the bytes were downloaded (`mtqe corpus fetch-url`)


def add_text(new: NewText, data: bytes, *, source_name: str, references: Path | str | None = None) -> TextSpec:
    """Copy ``data`` into ``texts/<doc>/`` and register it in the manifest; return its spec."""
    root = writable_references_dir(references)  # never the installed package's folder
    fresh = explicit_references_dir(references) is None and not manifest_file(root).exists()
    if fresh:
        atomic_write_text(manifest_file(root), STARTER_MANIFEST)
    manifest = load_manifest(references)  # refuse to edit a manifest that is already broken
    lang = normalize_lang(new.lang)
    _check_choices(new)
    text_id = new.text_id or f"{lang.lower()}-{new.roles[0]}"
    if not _ID.match(text_id):
        raise CorpusError(f"invalid text id {text_id!r}: use lower-case letters, digits, '.', '_' and '-' (--text-id)")
    document = manifest.documents.get(new.doc_id)
    if document is not None and text_id in document.texts:
        raise CorpusError(
            f"{new.doc_id}/{text_id} already exists; choose another --text-id, or re-register a changed file "
            f"with `python -m mtqe.corpus.register {new.doc_id}/{text_id}`"
        )
    if document is None and not new.title:
        raise CorpusError(f"document {new.doc_id!r} is new: give its title with --title")
    if document is not None and new.doc_id not in load_manifest(root).documents:
        new = replace(new, title=document.title)  # a bundled document: the user's entry repeats its title
    if not _ID.match(new.doc_id):
        raise CorpusError(f"invalid document id {new.doc_id!r}: use lower-case letters, digits, '.', '_' and '-'")
    suffix = Path(source_name).suffix or ".txt"
    relative = f"texts/{new.doc_id}/{text_id}{suffix}"
    destination = root / relative
    created = not destination.exists()
    if not created and destination.read_bytes() != data:
        raise CorpusError(f"{destination} exists with other content; remove it or choose another --text-id")
    digest = sha256_bytes(data)
    path = manifest_file(root)
    before = path.read_text(encoding="utf-8")
    entry = _render_text(new, text_id, lang, relative, digest, source_name)
    after = _insert(before, new, entry)
    if created:
        atomic_write_bytes(destination, data)
    atomic_write_text(path, after)
    try:
        spec = load_manifest(references).documents[new.doc_id].texts[text_id]
        from mtqe.corpus.loader import (
            load_clean_text,  # the cleaner must keep some text
        )

        load_clean_text(spec)
    except MtqeError as exc:
        atomic_write_text(path, before)
        if created:
            destination.unlink()
        if fresh:
            path.unlink()
        raise CorpusError(f"adding {new.doc_id}/{text_id} was undone: {exc}") from None
    return spec


def _check_choices(new: NewText) -> None:
    if not new.roles:
        raise CorpusError(f"give at least one role ({', '.join(ROLES)})")
    for role in new.roles:
        if role not in ROLES:
            raise CorpusError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if len(set(new.roles)) != len(new.roles):
        raise CorpusError(f"a role is given twice: {', '.join(new.roles)}")
    CLEANERS.get(new.cleaner)  # ConfigError with "did you mean"
    if new.coverage not in COVERAGES:
        raise CorpusError(f"unknown coverage {new.coverage!r}; use one of {', '.join(COVERAGES)}")


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _render_text(new: NewText, text_id: str, lang: str, relative: str, digest: str, source_name: str) -> list[str]:
    """The entry's lines, indented relative to the text id (0) — the caller adds the indent."""
    lines = [
        f"{text_id}:",
        f"  lang: {lang}",
        f"  roles: [{', '.join(new.roles)}]",
        f"  file: {relative}",
        f"  sha256: {_q(digest)}",
        f"  cleaner: {new.cleaner}",
    ]
    if new.fetch is not None:
        first = f", first_fetched: {_q(new.fetch.first_fetched)}" if new.fetch.first_fetched else ""
        lines.append(f"  fetch: {{url: {_q(new.fetch.url)}, sha256: {_q(new.fetch.sha256)}{first}}}")
    if new.coverage != "full":
        lines.append(f"  coverage: {new.coverage}")
    lines += ["  provenance:", f"    origin: {_q(new.origin or f'added with mtqe corpus add from {Path(source_name).name}')}"]
    for key in ("url", "publisher", "translator", "date", "licence"):
        value = getattr(new, key)
        if value:
            lines.append(f"    {key}: {_q(value)}")
    lines += [f"    {key}: {_q(value)}" for key, value in new.extra.items()]
    return lines


def _insert(content: str, new: NewText, entry: list[str]) -> str:
    # The starter manifest's empty `documents: {}` becomes a block mapping to insert into.
    lines = ["documents:" if line.rstrip() == "documents: {}" else line for line in content.splitlines()]
    docs_indent = _documents_indent(lines)
    doc_line = _find_document(lines, new.doc_id, docs_indent)
    if doc_line is None:
        pad = " " * docs_indent
        step = " " * max(docs_indent, 2)
        block = [
            "",
            f"{pad}{new.doc_id}:",
            f"{pad}{step}title: {_q(new.title or '')}",
            f"{pad}{step}texts:",
            *[f"{pad}{step}{step}{line}" for line in entry],
        ]
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines + block) + "\n"
    texts_line = next(
        (i for i in range(doc_line + 1, _block_end(lines, doc_line, docs_indent))
         if lines[i].strip() == "texts:" and _indent(lines[i]) > docs_indent),
        None,
    )
    if texts_line is None:
        raise ManifestError(f"documents.{new.doc_id}: no block-style `texts:` found; add the text by hand")
    texts_indent = _indent(lines[texts_line])
    end = _block_end(lines, texts_line, texts_indent)
    first = next((lines[i] for i in range(texts_line + 1, end) if _is_content(lines[i])), None)
    item_indent = _indent(first) if first is not None else texts_indent + 2
    # Blank lines and comments at document level just before the next document belong to it.
    while end > texts_line + 1 and (not lines[end - 1].strip() or (
        lines[end - 1].lstrip().startswith("#") and _indent(lines[end - 1]) <= docs_indent
    )):
        end -= 1
    pad = " " * item_indent
    inserted = ([""] if first is not None else []) + [pad + line for line in entry]
    return "\n".join(lines[:end] + inserted + lines[end:]) + "\n"


def _documents_indent(lines: list[str]) -> int:
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "documents:"), None)
    if start is None:
        raise ManifestError("the manifest has no block-style `documents:` mapping; add the text by hand")
    first = next((line for line in lines[start + 1 :] if _is_content(line)), None)
    return _indent(first) if first is not None and _indent(first) > 0 else 2


def document_block(lines: list[str], doc_id: str) -> tuple[int, int, int]:
    """``(start, end, docs_indent)`` of document ``doc_id``'s block in the manifest ``lines``
    (``end`` exclusive); one clear error when it is not a block-style entry."""
    docs_indent = _documents_indent(lines)
    start = _find_document(lines, doc_id, docs_indent)
    if start is None:
        raise CorpusError(f"documents.{doc_id}: not found as a block-style entry; edit the manifest by hand")
    return start, _block_end(lines, start, docs_indent), docs_indent


def _find_document(lines: list[str], doc_id: str, docs_indent: int) -> int | None:
    start = next(i for i, line in enumerate(lines) if line.rstrip() == "documents:")
    pattern = re.compile(rf"^ {{{docs_indent}}}{re.escape(doc_id)}\s*:\s*(#.*)?$")
    for number in range(start + 1, _block_end(lines, start, 0)):
        if pattern.match(lines[number]):
            return number
    return None


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """Index of the first content line after ``start`` indented at most ``indent``."""
    for number in range(start + 1, len(lines)):
        if _is_content(lines[number]) and _indent(lines[number]) <= indent:
            return number
    return len(lines)


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))
