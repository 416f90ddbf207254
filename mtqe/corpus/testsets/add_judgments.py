"""``mtqe corpus add-judgments``: human scores of a test set's systems into references/.

The file is read in its layout (:mod:`.judgment_formats`), checked against the document (every
system must be one of its texts, every segment one of its lines: the unknown ones are listed
in one error), averaged per (system, segment) and written as
``texts/DOC/judgments/NAME.jsonl`` (:mod:`mtqe.corpus.judgments`) with a ``judgments:`` entry
in the document's manifest block (protocol, format, file, sha256, the source file's name and
sha256, provenance). As for ``add-testset``, a failed command changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from mtqe.corpus.judgments import Judgment, average_ratings, judgments_jsonl, load_judgments
from mtqe.corpus.manifest import load_manifest, manifest_file
from mtqe.corpus.manifest_edit import _block_end, _indent, _is_content, document_block
from mtqe.corpus.model import JUDGMENT_FORMATS, JUDGMENT_PROTOCOLS, DocumentSpec
from mtqe.corpus.paths import default_references_dir
from mtqe.corpus.testsets.judgment_formats import Rating, read_ratings, segment_counts_wmt
from mtqe.corpus.testsets.line_document import read_lines
from mtqe.errors import CorpusError, MtqeError
from mtqe.io import atomic_write_bytes, atomic_write_text, sha256_bytes

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
# Layouts that carry one protocol only.
_FORMAT_PROTOCOL = {"wmt-da": "da", "wmt-esa": "esa", "mqm-tsv": "mqm"}
_SHOWN = 10  # unknown names listed in an error


@dataclass(frozen=True)
class JudgmentsFile:
    doc_id: str
    path: Path
    protocol: str
    fmt: str = "csv"
    name: str = "human"
    url: str | None = None
    licence: str | None = None


def add_judgments(new: JudgmentsFile, *, references: Path | str | None = None) -> int:
    """Register the judgments; returns the number of judged (system, segment) items."""
    _check_choices(new)
    root = default_references_dir(references)
    document = load_manifest(root).documents.get(new.doc_id)
    if document is None:
        raise CorpusError(f"unknown document {new.doc_id!r} in {root}; add the test set first (mtqe corpus add-testset)")
    if document.segmentation != "lines":
        raise CorpusError(f"{new.doc_id} is not a line-aligned test set; human judgments are added to one "
                          "(mtqe corpus add-testset), where segment i is line i")
    if new.name in document.judgments:
        raise CorpusError(f"{new.doc_id} has judgments named {new.name!r} already; choose another --name")
    if not new.path.is_file():
        raise CorpusError(f"--file {new.path}: file not found")
    data = new.path.read_bytes()
    ratings = read_ratings(data, new.fmt, origin=new.path.name)
    items = _validated(document, ratings, data, new)
    relative = f"texts/{new.doc_id}/judgments/{new.name}.jsonl"
    stored = judgments_jsonl(items)
    entry = _render_entry(new, relative, sha256_bytes(stored), sha256_bytes(data))
    _write_checked(root, new, relative, stored, entry)
    return len(items)


def _check_choices(new: JudgmentsFile) -> None:
    if new.protocol not in JUDGMENT_PROTOCOLS:
        raise CorpusError(f"--protocol {new.protocol!r}: use one of {', '.join(JUDGMENT_PROTOCOLS)}")
    if new.fmt not in JUDGMENT_FORMATS:
        raise CorpusError(f"--format {new.fmt!r}: use one of {', '.join(JUDGMENT_FORMATS)}")
    expected = _FORMAT_PROTOCOL.get(new.fmt)
    if expected is not None and new.protocol != expected:
        raise CorpusError(f"--format {new.fmt} holds {expected} scores, not {new.protocol}; "
                          f"use --protocol {expected} or --format csv")
    if not _ID.match(new.name):
        raise CorpusError(f"--name {new.name!r}: use lower-case letters, digits, '.', '_' and '-'")


def _systems(document: DocumentSpec) -> dict[str, str]:
    """Every name a judgment may give a system (display name or text id) → its display name."""
    names = {}
    for spec in document.texts.values():
        if spec.has_role("existing"):
            names[spec.text_id] = spec.display_name
            names[spec.display_name] = spec.display_name
    return names


def _validated(
    document: DocumentSpec, ratings: list[Rating], data: bytes, new: JudgmentsFile
) -> dict[tuple[str, str], Judgment]:
    """Ratings checked against the document's systems and lines, averaged per item."""
    source = next(t for t in document.texts.values() if t.has_role("source"))
    n = len(read_lines(source))
    systems = _systems(document)
    unknown_systems = sorted({r.system for r in ratings if r.system not in systems})
    bad_segments = sorted({r.segment for r in ratings if not (r.segment.isdigit() and 1 <= int(r.segment) <= n)},
                          key=lambda s: (len(s), s))
    problems = []
    if unknown_systems:
        problems.append(f"unknown system(s) {', '.join(map(repr, unknown_systems[:_SHOWN]))}"
                        f"{' …' if len(unknown_systems) > _SHOWN else ''} (the test set's systems: "
                        f"{', '.join(sorted(set(systems.values()))) or 'none'})")
    if bad_segments:
        problems.append(f"{len(bad_segments)} unknown segment(s) {', '.join(map(repr, bad_segments[:_SHOWN]))}"
                        f"{' …' if len(bad_segments) > _SHOWN else ''} (segments are line numbers 1-{n})")
    if new.fmt in ("wmt-da", "wmt-esa"):
        short = {s: c for s, c in segment_counts_wmt(data, new.path.name).items() if c != n}
        if short:
            problems.append("a system's block must have one line per segment: " + ", ".join(
                f"{s} has {c}" for s, c in sorted(short.items())) + f", the test set has {n}")
    if problems:
        raise CorpusError(f"{new.path.name} does not fit test set {document.doc_id}: " + "; ".join(problems))
    _check_repeated_raters(ratings)
    if not ratings:
        raise CorpusError(f"{new.path.name}: no scored item in it")
    return average_ratings(
        (systems[r.system], str(int(r.segment)), r.score, r.z, new.fmt not in ("wmt-da", "wmt-esa")) for r in ratings
    )


def _check_repeated_raters(ratings: list[Rating]) -> None:
    seen: dict[tuple[str, str, str], str] = {}
    for r in ratings:
        if r.rater is None:
            continue
        key = (r.system, str(int(r.segment)), r.rater)
        if key in seen:
            raise CorpusError(f"{r.where}: rater {r.rater!r} rated {r.system} segment {r.segment} again "
                              f"(first at {seen[key]}); one rating per rater and item")
        seen[key] = r.where


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _render_entry(new: JudgmentsFile, relative: str, digest: str, source_digest: str) -> list[str]:
    """The entry's lines relative to the ``judgments:`` key (the caller indents them)."""
    return [
        f"{new.name}:",
        f"  protocol: {new.protocol}",
        f"  format: {new.fmt}",
        f"  file: {relative}",
        f"  sha256: {_q(digest)}",
        f"  source_file: {_q(new.path.name)}",
        f"  source_sha256: {_q(source_digest)}",
        "  provenance:",
        f"    origin: {_q(f'added with mtqe corpus add-judgments from {new.path.name} ({new.fmt})')}",
        *[f"    {key}: {_q(value)}" for key, value in (("url", new.url), ("licence", new.licence)) if value],
    ]


def _insert_entry(content: str, doc_id: str, entry: list[str]) -> str:
    """``content`` with ``entry`` at the end of the document's ``judgments:`` block (made if absent)."""
    lines = content.splitlines()
    start, end, docs_indent = document_block(lines, doc_id)
    child = next((_indent(lines[i]) for i in range(start + 1, end) if _is_content(lines[i])), docs_indent + 2)
    while end > start + 1 and not _is_content(lines[end - 1]):
        end -= 1  # trailing blank lines and comments stay after the block
    key = next((i for i in range(start + 1, end) if lines[i].strip() == "judgments:" and _indent(lines[i]) == child), None)
    pad = " " * (child + 2)
    if key is None:
        return "\n".join(lines[:end] + [" " * child + "judgments:"] + [pad + line for line in entry] + lines[end:]) + "\n"
    block_end = _block_end(lines, key, child)
    while block_end > key + 1 and not _is_content(lines[block_end - 1]):
        block_end -= 1
    return "\n".join(lines[:block_end] + [pad + line for line in entry] + lines[block_end:]) + "\n"


def remove_judgments(doc_id: str, name: str, *, references: Path | str | None = None) -> list[Path]:
    """Remove the judgments ``name`` of ``doc_id`` (manifest entry and file); returns the file removed."""
    root = default_references_dir(references)
    document = load_manifest(root).documents.get(doc_id)
    if document is None or name not in document.judgments:
        have = ", ".join(sorted(document.judgments)) if document is not None else "no such document"
        raise CorpusError(f"unknown judgments {doc_id}/judgments/{name} (there are: {have or 'none'})")
    path = manifest_file(root)
    before = path.read_text(encoding="utf-8")
    atomic_write_text(path, _without_entry(before, doc_id, name))
    try:
        load_manifest(root)
    except MtqeError as exc:
        atomic_write_text(path, before)
        raise CorpusError(f"removing {doc_id}/judgments/{name} was undone: {exc}") from None
    file = document.judgments[name].path
    file.unlink(missing_ok=True)
    if file.parent.is_dir() and not any(file.parent.iterdir()):
        file.parent.rmdir()
    return [file]


def _without_entry(content: str, doc_id: str, name: str) -> str:
    """``content`` without the judgments entry ``name`` (and without ``judgments:`` left empty)."""
    lines = content.splitlines()
    start, end, docs_indent = document_block(lines, doc_id)
    child = next((_indent(lines[i]) for i in range(start + 1, end) if _is_content(lines[i])), docs_indent + 2)
    key = next((i for i in range(start + 1, end) if lines[i].strip() == "judgments:" and _indent(lines[i]) == child), None)
    if key is None:
        raise CorpusError(f"documents.{doc_id}.judgments: not found as a block-style entry; edit the manifest by hand")
    key_end = _block_end(lines, key, child)
    found = [i for i in range(key + 1, key_end) if re.match(rf"^\s+{re.escape(name)}\s*:\s*(#.*)?$", lines[i])
             and _indent(lines[i]) == child + 2]
    if len(found) != 1:
        raise CorpusError(f"documents.{doc_id}.judgments.{name}: not found as a block-style entry; edit by hand")
    entry_end = _block_end(lines, found[0], child + 2)
    kept = lines[:found[0]] + lines[entry_end:]
    if not any(_is_content(line) for line in kept[key + 1:key_end - (entry_end - found[0])]):
        kept = kept[:key] + kept[key + 1:]  # the last entry: drop the empty `judgments:` key too
    return "\n".join(kept) + "\n"


def _write_checked(root: Path, new: JudgmentsFile, relative: str, stored: bytes, entry: list[str]) -> None:
    """Write the file and the entry, validate both; undo everything on any failure."""
    path = manifest_file(root)
    before = path.read_text(encoding="utf-8")
    destination = root / relative
    if destination.exists():
        raise CorpusError(f"{destination} exists already; remove it or choose another --name")
    try:
        atomic_write_bytes(destination, stored)
        atomic_write_text(path, _insert_entry(before, new.doc_id, entry))
        load_judgments(load_manifest(root), new.doc_id, new.name)
    except (MtqeError, OSError) as exc:
        atomic_write_text(path, before)
        destination.unlink(missing_ok=True)
        if destination.parent.is_dir() and not any(destination.parent.iterdir()):
            destination.parent.rmdir()
        raise CorpusError(f"adding judgments {new.name!r} to {new.doc_id} was undone: {exc}") from None
