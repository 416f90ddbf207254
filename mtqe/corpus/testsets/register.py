"""``mtqe corpus add-testset | import-wmt | remove``: line-aligned test sets in and out of references/.

Every command copies files into ``references/texts/<doc>/``, records each file's sha256 and
provenance in the manifest, validates the result (manifest schema, line counts) and, when
anything fails, puts back the manifest and removes the files it created: a failed command
changes nothing. The manifest is edited as text (comments and layout kept), as
:mod:`mtqe.corpus.manifest_edit` does for ``corpus add``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from mtqe.languages import normalize_lang
from mtqe.corpus.manifest import load_manifest, manifest_file
from mtqe.corpus.manifest_edit import _block_end, _documents_indent, _indent, document_block
from mtqe.corpus.paths import default_references_dir
from mtqe.corpus.testsets.line_document import build_line_document
from mtqe.corpus.testsets.line_info import LineInfo, parse_line_info, render_line_info
from mtqe.corpus.testsets.lines import split_lines
from mtqe.corpus.testsets.wmt_xml import read_wmt_xml
from mtqe.errors import CorpusError, MtqeError
from mtqe.io import atomic_write_bytes, atomic_write_text, sha256_bytes

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

# Roles of the three kinds of target text a test set brings.
ROLES_BY_KIND = {"ref": ("reference",), "human": ("existing", "reference"), "system": ("existing",)}


@dataclass(frozen=True)
class TestSetText:
    """One file of a test set: ``kind`` is source | ref | human | system; ``name`` as the user gave it."""

    kind: str
    name: str
    data: bytes
    origin: str


@dataclass(frozen=True)
class TestSetInfo:
    doc_id: str
    src_lang: str
    tgt_lang: str
    title: str | None = None
    url: str | None = None
    licence: str | None = None
    line_info: tuple[LineInfo, ...] | None = None
    extra: dict[str, str] = field(default_factory=dict)


def text_id_for(name: str, taken: set[str]) -> str:
    """A manifest-safe id for a display name (``GPT-4`` → ``gpt-4``), unique among ``taken``."""
    base = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-._") or "text"
    if not base[0].isalnum():
        base = "t" + base
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def read_text_arg(kind: str, spec: str) -> TestSetText:
    """``NAME=FILE`` (or a FILE for the source) → its bytes; a missing file is one clear error."""
    name, sep, file = spec.partition("=")
    if kind != "source" and (not sep or not name or not file):
        raise CorpusError(f"--{kind} expects NAME=FILE, got {spec!r}")
    path = Path(file if sep else spec)
    if not path.is_file():
        raise CorpusError(f"--{kind} {spec}: file {path} not found")
    return TestSetText(kind=kind, name=name if sep else "source", data=path.read_bytes(), origin=path.name)


def texts_in_dir(directory: Path) -> list[TestSetText]:
    """Every file of ``directory`` as a system named by its stem (sorted, hidden files skipped)."""
    if not directory.is_dir():
        raise CorpusError(f"--systems-dir {directory}: not a directory")
    files = sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise CorpusError(f"--systems-dir {directory}: no files in it")
    return [TestSetText(kind="system", name=p.stem, data=p.read_bytes(), origin=p.name) for p in files]


def add_testset(info: TestSetInfo, texts: list[TestSetText], *, references: Path | str | None = None) -> list[str]:
    """Register a new line-aligned document; returns the text ids it added."""
    root = default_references_dir(references)
    manifest = load_manifest(root)
    if info.doc_id in manifest.documents:
        raise CorpusError(f"document {info.doc_id!r} exists already; remove it first (`mtqe corpus remove {info.doc_id}`)")
    if not _ID.match(info.doc_id):
        raise CorpusError(f"invalid document id {info.doc_id!r}: use lower-case letters, digits, '.', '_' and '-'")
    src, tgt = normalize_lang(info.src_lang), normalize_lang(info.tgt_lang)
    sources = [t for t in texts if t.kind == "source"]
    if len(sources) != 1 or not [t for t in texts if t.kind != "source"]:
        raise CorpusError("a test set needs one --source and at least one --ref, --human or --system")
    _check_unique_names(texts)
    files = _planned_files(info, texts, src, tgt)
    entry = _render_document(info, files, src, tgt)
    _write_checked(root, info.doc_id, files, entry)
    return [f.text_id for f in files if f.text_id]


def import_wmt(doc_id: str, xml_path: Path, *, references: Path | str | None = None, title: str | None = None) -> list[str]:
    """Register a WMT XML test set: every ``<ref>`` a human translation, every ``<hyp>`` a system."""
    testset = read_wmt_xml(xml_path)
    texts = [TestSetText("source", "source", _lines_bytes(testset.source), xml_path.name)]
    texts += [TestSetText("human", name, _lines_bytes(lines), xml_path.name) for name, lines in testset.references.items()]
    texts += [TestSetText("system", name, _lines_bytes(lines), xml_path.name) for name, lines in testset.systems.items()]
    info = TestSetInfo(
        doc_id=doc_id, src_lang=testset.src_lang, tgt_lang=testset.tgt_lang,
        title=title or f"{xml_path.name} ({testset.src_lang}-{testset.tgt_lang})",
        line_info=testset.line_info if any(i.doc_id for i in testset.line_info) else None,
        extra={"notes": f"imported with mtqe corpus import-wmt from {xml_path.name}"},
    )
    return add_testset(info, texts, references=references)


def remove(target: str, *, references: Path | str | None = None) -> list[Path]:
    """Remove ``DOC`` or ``DOC/TEXT`` (or ``DOC/judgments/NAME``) from the manifest and delete its
    files; returns the files removed."""
    if target.count("/") == 2 and target.split("/")[1] == "judgments":
        from mtqe.corpus.testsets.add_judgments import remove_judgments

        doc, _, name = target.split("/")
        return remove_judgments(doc, name, references=references)
    root = default_references_dir(references)
    manifest = load_manifest(root)
    doc_id, _, text_id = target.partition("/")
    document = manifest.documents.get(doc_id)
    if document is None or (text_id and text_id not in document.texts):
        known = ", ".join(sorted(manifest.documents))
        raise CorpusError(f"unknown {'text' if text_id else 'document'} {target!r} (documents: {known})")
    if text_id and document.texts[text_id].has_role("source") and len(document.texts) > 1:
        raise CorpusError(
            f"{target} is the source of {doc_id!r}; its other texts would have nothing to translate from. "
            f"Remove the whole document (`mtqe corpus remove {doc_id}`)"
        )
    if text_id:
        paths = [document.texts[text_id].path]
    else:
        paths = [t.path for t in document.texts.values()] + ([document.line_info.path] if document.line_info else [])
        paths += [j.path for j in document.judgments.values()]
    path = manifest_file(root)
    before = path.read_text(encoding="utf-8")
    after = _without_block(before, doc_id, text_id or None)
    kept = {p: p.read_bytes() for p in paths if p.is_file()}
    atomic_write_text(path, after)
    try:
        load_manifest(root)  # e.g. removing a document's only source leaves an invalid entry
    except MtqeError as exc:
        atomic_write_text(path, before)
        raise CorpusError(f"removing {target} was undone: {exc}") from None
    for p in kept:
        p.unlink()
    _remove_empty_dir(root / "texts" / doc_id / "judgments")
    _remove_empty_dir(root / "texts" / doc_id)
    return list(kept)


# -- planning and rendering -----------------------------------------------------------------


@dataclass(frozen=True)
class _File:
    text_id: str | None  # None: the per-line document ids
    name: str
    roles: tuple[str, ...]
    lang: str
    relative: str
    data: bytes
    origin: str


def _check_unique_names(texts: list[TestSetText]) -> None:
    seen: set[str] = set()
    for t in texts:
        if t.kind != "source" and t.name in seen:
            raise CorpusError(f"the name {t.name!r} is given twice; every reference and system needs its own name")
        seen.add(t.name)


def _planned_files(info: TestSetInfo, texts: list[TestSetText], src: str, tgt: str) -> list[_File]:
    taken: set[str] = set()
    files = []
    for t in texts:
        if t.kind == "source":
            text_id, lang, roles = text_id_for(f"{src}-source", taken), src, ("source",)
        else:
            text_id, lang, roles = text_id_for(t.name, taken), tgt, ROLES_BY_KIND[t.kind]
        files.append(_File(text_id, t.name, roles, lang, f"texts/{info.doc_id}/{text_id}.txt", t.data, t.origin))
    if info.line_info is not None:
        data = render_line_info(info.line_info).encode("utf-8")
        files.append(_File(None, "line_info", (), "", f"texts/{info.doc_id}/line-info.tsv", data, "line ids"))
    return files


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _render_document(info: TestSetInfo, files: list[_File], src: str, tgt: str) -> list[str]:
    lines = [f"{info.doc_id}:", f"  title: {_q(info.title or info.doc_id)}", "  segmentation: lines"]
    for f in files:
        if f.text_id is None:
            lines += ["  line_info:", f"    file: {f.relative}", f"    sha256: {_q(sha256_bytes(f.data))}"]
    lines.append("  texts:")
    for f in (f for f in files if f.text_id):
        lines += [
            f"    {f.text_id}:",
            f"      lang: {f.lang}",
            f"      roles: [{', '.join(f.roles)}]",
            *([f"      name: {_q(f.name)}"] if f.name != f.text_id and "source" not in f.roles else []),
            f"      file: {f.relative}",
            f"      sha256: {_q(sha256_bytes(f.data))}",
            "      cleaner: lines",
            "      provenance:",
            f"        origin: {_q(f'added with mtqe corpus add-testset from {f.origin}')}",
            *[f"        {key}: {_q(value)}" for key, value in (("url", info.url), ("licence", info.licence)) if value],
            *[f"        {key}: {_q(value)}" for key, value in info.extra.items()],
        ]
    return lines


def _write_checked(root: Path, doc_id: str, files: list[_File], entry: list[str]) -> None:
    """Copy the files, append the entry, validate; undo everything on any failure."""
    path = manifest_file(root)
    before = path.read_text(encoding="utf-8")
    lines = before.splitlines()
    indent = " " * _documents_indent(lines)
    while lines and not lines[-1].strip():
        lines.pop()
    after = "\n".join(lines + [""] + [indent + line for line in entry]) + "\n"
    created: list[Path] = []
    try:
        for f in files:
            destination = root / f.relative
            if destination.exists():
                raise CorpusError(f"{destination} exists already; remove it or choose another document id")
            atomic_write_bytes(destination, f.data)
            created.append(destination)
        atomic_write_text(path, after)
        manifest = load_manifest(root)
        document = manifest.documents[doc_id]
        source = next(t for t in document.texts.values() if t.has_role("source"))
        targets = [t for t in document.texts.values() if not t.has_role("source")]
        build_line_document(document, source, targets)  # encodings, hashes, line counts
    except (MtqeError, OSError) as exc:
        atomic_write_text(path, before)
        for p in created:
            p.unlink(missing_ok=True)
        _remove_empty_dir(root / "texts" / doc_id)
        raise CorpusError(f"adding test set {doc_id!r} was undone: {exc}") from None


def _lines_bytes(lines: tuple[str, ...]) -> bytes:
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def _without_block(content: str, doc_id: str, text_id: str | None) -> str:
    lines = content.splitlines()
    start, end, docs_indent = document_block(lines, doc_id)
    if text_id is not None:
        pattern = re.compile(rf"^\s+{re.escape(text_id)}\s*:\s*(#.*)?$")
        found = [i for i in range(start + 1, end) if pattern.match(lines[i]) and _indent(lines[i]) > docs_indent + 2]
        if len(found) != 1:
            raise CorpusError(f"documents.{doc_id}.texts.{text_id}: not found as a block-style entry; edit by hand")
        start, end = found[0], _block_end(lines, found[0], _indent(lines[found[0]]))
    while start > 0 and not lines[start - 1].strip():
        start -= 1  # the blank line before the block goes with it
    return "\n".join(lines[:start] + lines[end:]) + "\n"


def _remove_empty_dir(directory: Path) -> None:
    if directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()


def split_text_lines(data: bytes) -> tuple[str, ...]:
    """Lines of raw bytes (for line-info files given on the command line)."""
    return split_lines(data.decode("utf-8").replace("\r\n", "\n"))


def read_docs_file(path: Path) -> tuple[LineInfo, ...]:
    if not path.is_file():
        raise CorpusError(f"--docs {path}: file not found")
    return parse_line_info(split_text_lines(path.read_bytes()), where=str(path))
