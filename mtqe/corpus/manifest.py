"""``references/manifest.yaml``: which texts exist, in which language and role, and where from.

The schema is small and closed (unknown keys are errors, so a typo such as ``licence`` →
``license`` cannot silently drop a field). See docs/corpus.md for the full schema. Every
problem raises one :class:`ManifestError` naming the manifest file, the document/text and the
field, and saying what to do.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Any, Mapping

import yaml

from mtqe.corpus.cleaners import CLEANERS
from mtqe.languages import normalize_lang
from mtqe.corpus.model import (
    COVERAGES,
    JUDGMENT_FORMATS,
    JUDGMENT_PROTOCOLS,
    ROLES,
    SEGMENTATIONS,
    DocumentSpec,
    FetchSpec,
    JudgmentsSpec,
    LineInfoSpec,
    Manifest,
    Provenance,
    TextSpec,
)
from mtqe.corpus.paths import (
    BUNDLED_REFERENCES,
    MANIFEST_NAME,
    default_references_dir,
    explicit_references_dir,
    project_references_dir,
)
from mtqe.corpus.project_refs import merge_manifests
from mtqe.errors import ManifestError, UnknownLanguageError

SCHEMA_VERSION = 1

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

_TOP_KEYS = {"schema_version": True, "documents": True}  # key -> required
_DOCUMENT_KEYS = {
    "title": True,
    "date": False,
    "notes": False,
    "texts": True,
    "segmentation": False,  # aligned (default) | lines (a pre-segmented test set)
    "line_info": False,  # {file, sha256}: per-line document ids / domains of a `lines` document
    "judgments": False,  # name -> human judgments of a `lines` document (mtqe corpus add-judgments)
}
_LINE_INFO_KEYS = {"file": True, "sha256": True}
_JUDGMENTS_KEYS = {
    "protocol": True,  # da | esa | mqm | sqm
    "format": True,  # the layout it was read from: csv | wmt-da | wmt-esa | mqm-tsv
    "file": True,  # the normalised JSONL (mtqe.corpus.judgments)
    "sha256": True,
    "source_file": True,  # the file name it was read from, and that file's sha256
    "source_sha256": True,
    "provenance": True,
}
_TEXT_KEYS = {
    "lang": True,
    "roles": True,
    "file": True,
    "sha256": False,  # required unless `fetch:` gives it
    "cleaner": True,
    "provenance": True,
    "coverage": False,  # full (default) | excerpt
    "fetch": False,  # {url, sha256, first_fetched}: the file may be absent until `mtqe corpus fetch`
    "name": False,  # display name as a system (keeps case: "GPT-4"); default: the text id
}
# first_fetched: when the hash was recorded on trust (`mtqe corpus fetch-url`), ISO UTC time.
_FETCH_KEYS = {"url": True, "sha256": True, "first_fetched": False}
_PROVENANCE_KEYS = {
    "origin": True,
    "url": False,
    "source_url": False,
    "publisher": False,
    "translator": False,
    "credits": False,
    "date": False,
    "licence": False,
    "notes": False,
}


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML silently keeps the last one)."""


def _construct_unique_mapping(
    loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}: each document and text id must appear once", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def manifest_file(root: Path | str | None = None) -> Path:
    return default_references_dir(root) / MANIFEST_NAME


def load_manifest(root: Path | str | None = None) -> Manifest:
    """Read and validate ``<root>/manifest.yaml``; without ``root`` (and ``$MTQE_REFERENCES``),
    the bundled manifest with ``./references/manifest.yaml`` merged on top when it exists
    (rule: :mod:`mtqe.corpus.project_refs`).

    Files are not opened here (only their paths are checked): reading and hash checks happen
    when a text is loaded, so listing documents stays cheap.
    """
    explicit = explicit_references_dir(root)
    if explicit is not None:
        return _load_one(explicit)
    bundled = _load_one(BUNDLED_REFERENCES)
    project = project_references_dir()
    if not (project / MANIFEST_NAME).is_file() or project.resolve() == BUNDLED_REFERENCES.resolve():
        return bundled
    return merge_manifests(bundled, _load_one(project))


def manifest_root_of(spec: TextSpec, root: Path | str | None = None) -> Path:
    """The references folder whose manifest lists ``spec`` (the bundled one or the user's)."""
    explicit = explicit_references_dir(root)
    if explicit is not None:
        return explicit
    project = project_references_dir()
    return project if spec.path.resolve().is_relative_to(project.resolve()) else BUNDLED_REFERENCES


def _load_one(root_dir: Path) -> Manifest:
    path = root_dir / MANIFEST_NAME
    if not path.is_file():
        raise ManifestError(
            f"No manifest at {path}. Create it (schema in docs/corpus.md), or point "
            f"$MTQE_REFERENCES / the references path at a folder that has one."
        )
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{path}: not UTF-8 ({exc}). Save the manifest as UTF-8.") from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: invalid YAML: {exc}") from None
    return _Validator(path, root_dir).manifest(data)


class _Validator:
    def __init__(self, path: Path, root: Path) -> None:
        self.path = path
        self.root = root

    def fail(self, where: str, problem: str) -> ManifestError:
        return ManifestError(f"{self.path}: {where}: {problem}")

    # -- structure -------------------------------------------------------------------------

    def mapping(self, value: Any, where: str, keys: dict[str, bool]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping with keys {', '.join(keys)}, got {type(value).__name__}")
        for key in value:
            if key not in keys:
                close = difflib.get_close_matches(str(key), list(keys), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise self.fail(where, f"unknown key {key!r}.{hint} Allowed keys: {', '.join(keys)}.")
        for key, required in keys.items():
            if required and value.get(key) is None:
                raise self.fail(where, f"missing required field {key!r}")
        return value

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected a non-empty string, got {value!r}")
        return value.strip()

    def optional_string(self, value: Any, where: str) -> str | None:
        return None if value is None else self.string(value, where)

    def date(self, value: Any, where: str) -> str | None:
        if value is None:
            return None
        if isinstance(value, dt.date):  # YAML reads an unquoted 2022-05-23 as a date
            return value.isoformat()
        text = str(value).strip()
        if not _DATE.match(text):
            raise self.fail(where, f"expected an ISO date YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
        return text

    def ident(self, value: Any, where: str, what: str) -> str:
        if not isinstance(value, str) or not _ID.match(value):
            raise self.fail(
                where, f"invalid {what} id {value!r}: use lower-case letters, digits, '.', '_' and '-'"
            )
        return value

    # -- levels ----------------------------------------------------------------------------

    def manifest(self, data: Any) -> Manifest:
        if data is None:
            raise self.fail("(top level)", "the manifest is empty; see docs/corpus.md for the schema")
        top = self.mapping(data, "(top level)", _TOP_KEYS)
        if top["schema_version"] != SCHEMA_VERSION:
            raise self.fail(
                "schema_version",
                f"unsupported schema version {top['schema_version']!r}; this mtqe reads version {SCHEMA_VERSION}",
            )
        documents = top["documents"]
        if not isinstance(documents, dict):
            raise self.fail("documents", "expected a mapping of document id → document")
        used_files: dict[Path, str] = {}
        parsed = {
            self.ident(doc_id, f"documents.{doc_id}", "document"): self.document(
                doc_id, body, used_files
            )
            for doc_id, body in documents.items()
        }
        return Manifest(root=self.root, documents=parsed)

    def document(self, doc_id: str, body: Any, used_files: dict[Path, str]) -> DocumentSpec:
        where = f"documents.{doc_id}"
        doc = self.mapping(body, where, _DOCUMENT_KEYS)
        title = self.string(doc["title"], f"{where}.title")
        texts_raw = doc["texts"]
        if not isinstance(texts_raw, dict) or not texts_raw:
            raise self.fail(f"{where}.texts", "expected a non-empty mapping of text id → text")
        texts: dict[str, TextSpec] = {}
        for text_id, text_body in texts_raw.items():
            self.ident(text_id, f"{where}.texts.{text_id}", "text")
            spec = self.text(doc_id, text_id, text_body)
            if spec.path in used_files:
                raise self.fail(
                    f"{where}.texts.{text_id}.file",
                    f"{spec.path} is already the file of {used_files[spec.path]}; each text has its own file",
                )
            used_files[spec.path] = spec.qualified_id
            texts[text_id] = spec
        self.one_source_per_language(where, texts)
        segmentation = self.segmentation(doc.get("segmentation"), f"{where}.segmentation")
        line_info = self.line_info(doc.get("line_info"), f"{where}.line_info")
        if line_info is not None and segmentation != "lines":
            raise self.fail(f"{where}.line_info", "only a document with `segmentation: lines` has per-line ids")
        judgments = self.judgments(doc_id, doc.get("judgments"), f"{where}.judgments")
        if judgments and segmentation != "lines":
            raise self.fail(f"{where}.judgments", "only a document with `segmentation: lines` has human judgments")
        for spec in judgments.values():
            if spec.path in used_files:
                raise self.fail(f"{where}.judgments.{spec.name}.file", f"{spec.path} is already the file of "
                                f"{used_files[spec.path]}; each entry has its own file")
            used_files[spec.path] = f"{doc_id}/judgments/{spec.name}"
        return DocumentSpec(
            doc_id=doc_id, title=title, texts=texts, date=self.date(doc.get("date"), f"{where}.date"),
            segmentation=segmentation, line_info=line_info, judgments=judgments,
        )

    def judgments(self, doc_id: str, value: Any, where: str) -> dict[str, JudgmentsSpec]:
        if value is None:
            return {}
        if not isinstance(value, dict) or not value:
            raise self.fail(where, "expected a non-empty mapping of name → judgments")
        out = {}
        for name, body in value.items():
            at = f"{where}.{name}"
            self.ident(name, at, "judgments")
            entry = self.mapping(body, at, _JUDGMENTS_KEYS)
            for key, allowed in (("protocol", JUDGMENT_PROTOCOLS), ("format", JUDGMENT_FORMATS)):
                if entry[key] not in allowed:
                    raise self.fail(f"{at}.{key}", f"unknown {key} {entry[key]!r}; use one of {', '.join(allowed)}")
            out[name] = JudgmentsSpec(
                document=doc_id, name=name, protocol=entry["protocol"], format=entry["format"],
                path=self.file(entry["file"], f"{at}.file"), sha256=self.sha256(entry["sha256"], f"{at}.sha256"),
                source_file=self.string(entry["source_file"], f"{at}.source_file"),
                source_sha256=self.sha256(entry["source_sha256"], f"{at}.source_sha256"),
                provenance=self.provenance(entry["provenance"], f"{at}.provenance"),
            )
        return out

    def segmentation(self, value: Any, where: str) -> str:
        if value is None:
            return "aligned"
        if value not in SEGMENTATIONS:
            raise self.fail(where, f"unknown segmentation {value!r}; use one of {', '.join(SEGMENTATIONS)}")
        return str(value)

    def line_info(self, value: Any, where: str) -> LineInfoSpec | None:
        if value is None:
            return None
        body = self.mapping(value, where, _LINE_INFO_KEYS)
        return LineInfoSpec(path=self.file(body["file"], f"{where}.file"), sha256=self.sha256(body["sha256"], f"{where}.sha256"))

    def text(self, doc_id: str, text_id: str, body: Any) -> TextSpec:
        where = f"documents.{doc_id}.texts.{text_id}"
        text = self.mapping(body, where, _TEXT_KEYS)
        try:
            lang = normalize_lang(str(text["lang"]))
        except UnknownLanguageError as exc:
            raise self.fail(f"{where}.lang", str(exc)) from None
        fetch = self.fetch(text.get("fetch"), f"{where}.fetch")
        return TextSpec(
            document=doc_id,
            text_id=text_id,
            lang=lang,
            roles=self.roles(text["roles"], f"{where}.roles"),
            path=self.file(text["file"], f"{where}.file"),
            sha256=self.text_sha256(text.get("sha256"), fetch, f"{where}.sha256"),
            cleaner=self.cleaner(text["cleaner"], f"{where}.cleaner"),
            provenance=self.provenance(text["provenance"], f"{where}.provenance"),
            coverage=self.coverage(text.get("coverage"), f"{where}.coverage"),
            fetch=fetch,
            name=self.optional_string(text.get("name"), f"{where}.name"),
        )

    def text_sha256(self, value: Any, fetch: FetchSpec | None, where: str) -> str:
        if value is None:
            if fetch is None:
                raise self.fail(where.rsplit(".", 1)[0], "missing required field 'sha256'")
            return fetch.sha256
        digest = self.sha256(value, where)
        if fetch is not None and digest != fetch.sha256:
            raise self.fail(
                where, f"{digest} differs from fetch.sha256 {fetch.sha256}; a fetched file is stored unchanged, "
                "so the two must be equal (or leave out `sha256:` next to `fetch:`)"
            )
        return digest

    def coverage(self, value: Any, where: str) -> str:
        if value is None:
            return "full"
        if value not in COVERAGES:
            raise self.fail(where, f"unknown coverage {value!r}; use one of {', '.join(COVERAGES)}")
        return str(value)

    def fetch(self, value: Any, where: str) -> FetchSpec | None:
        if value is None:
            return None
        body = self.mapping(value, where, _FETCH_KEYS)
        url = self.string(body["url"], f"{where}.url")
        if not url.startswith(("https://", "http://")):
            raise self.fail(f"{where}.url", f"expected an http(s) URL, got {url!r}")
        return FetchSpec(
            url=url, sha256=self.sha256(body["sha256"], f"{where}.sha256"),
            first_fetched=self.optional_string(body.get("first_fetched"), f"{where}.first_fetched"),
        )

    def roles(self, value: Any, where: str) -> frozenset[str]:
        if not isinstance(value, list) or not value:
            raise self.fail(where, f"expected a non-empty list of roles out of {', '.join(ROLES)}, got {value!r}")
        for role in value:
            if role not in ROLES:
                close = difflib.get_close_matches(str(role), ROLES, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise self.fail(where, f"unknown role {role!r}.{hint} Known roles: {', '.join(ROLES)}.")
        if len(set(value)) != len(value):
            raise self.fail(where, f"a role is listed twice in {value!r}")
        return frozenset(value)

    def file(self, value: Any, where: str) -> Path:
        name = self.string(value, where)
        relative = Path(name)
        if relative.is_absolute():
            raise self.fail(where, f"{name!r} is absolute; give a path relative to {self.root}")
        resolved = (self.root / relative).resolve()
        try:
            resolved.relative_to(self.root.resolve())
        except ValueError:
            raise self.fail(
                where, f"{name!r} points outside {self.root}; copy the file into the references folder"
            ) from None
        return self.root / relative

    def sha256(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not _SHA256.match(value):
            raise self.fail(
                where,
                f"expected 64 lower-case hex digits (the SHA-256 of the raw file, e.g. from "
                f"`sha256sum FILE`), got {value!r}",
            )
        return value

    def cleaner(self, value: Any, where: str) -> str:
        if value not in CLEANERS:
            close = difflib.get_close_matches(str(value), CLEANERS.names(), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise self.fail(where, f"unknown cleaner {value!r}.{hint} Known cleaners: {', '.join(CLEANERS.names())}.")
        return str(value)

    def provenance(self, value: Any, where: str) -> Provenance:
        prov = self.mapping(value, where, _PROVENANCE_KEYS)
        optional = {
            key: self.optional_string(prov.get(key), f"{where}.{key}")
            for key in ("url", "source_url", "publisher", "translator", "licence", "notes")
        }
        return Provenance(
            origin=self.string(prov["origin"], f"{where}.origin"),
            date=self.date(prov.get("date"), f"{where}.date"),
            credits=self.credits(prov.get("credits"), f"{where}.credits"),
            **optional,
        )

    def credits(self, value: Any, where: str) -> tuple[tuple[str, str], ...]:
        if value is None:
            return ()
        if not isinstance(value, dict):
            raise self.fail(where, "expected a mapping of role → name, e.g. {reviewer: 文乐}")
        return tuple(
            (self.string(role, where), self.string(name, f"{where}.{role}"))
            for role, name in value.items()
        )

    def one_source_per_language(self, where: str, texts: Mapping[str, TextSpec]) -> None:
        seen: dict[str, str] = {}
        for spec in texts.values():
            if spec.has_role("source"):
                if spec.lang in seen:
                    raise self.fail(
                        where,
                        f"two texts in {spec.lang} have role 'source' ({seen[spec.lang]}, {spec.text_id}); "
                        "a document has at most one source per language",
                    )
                seen[spec.lang] = spec.text_id
