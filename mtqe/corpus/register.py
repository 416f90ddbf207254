"""Re-register a text's sha256 after an intended change of its raw file.

``python -m mtqe.corpus.register DOC/TEXT [--references DIR]`` rewrites the one ``sha256:``
value of that text in ``manifest.yaml`` in place (a textual replacement, so comments and
layout of the manifest are kept) and prints the old and new hashes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mtqe.corpus.manifest import load_manifest, manifest_file, manifest_root_of
from mtqe.errors import CorpusError, MtqeError
from mtqe.io import atomic_write_text, sha256_file


def rehash_text(qualified_id: str, references: Path | str | None = None) -> tuple[str, str]:
    """Store the current sha256 of ``DOC/TEXT``'s file in the manifest; return (old, new)."""
    manifest = load_manifest(references)
    doc_id, _, text_id = qualified_id.partition("/")
    document = manifest.documents.get(doc_id)
    if document is None or text_id not in document.texts:
        known = ", ".join(f"{d}/{t}" for d, doc in manifest.documents.items() for t in doc.texts)
        raise CorpusError(f"Unknown text {qualified_id!r}. Known texts: {known}.")
    spec = document.texts[text_id]
    if not spec.path.is_file():
        raise CorpusError(f"{qualified_id}: file {spec.path} not found; nothing to register.")
    new = sha256_file(spec.path)
    if new == spec.sha256:
        return spec.sha256, new
    path = manifest_file(manifest_root_of(spec, references))
    content = path.read_text(encoding="utf-8")
    if content.count(spec.sha256) != 1:
        raise CorpusError(
            f"{path}: the hash {spec.sha256} of {qualified_id} appears "
            f"{content.count(spec.sha256)} times; edit its `sha256:` by hand to {new}."
        )
    atomic_write_text(path, content.replace(spec.sha256, new))
    load_manifest(references)  # the edited manifest must still be valid
    return spec.sha256, new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mtqe.corpus.register",
        description="Re-register the sha256 of a text whose raw file was changed on purpose.",
        epilog="example: python -m mtqe.corpus.register jpus-2022/zh-community",
    )
    parser.add_argument("text", help="DOC/TEXT, e.g. jpus-2022/ja-mofa")
    parser.add_argument("--references", type=Path, default=None, help="references folder (default: the bundled one and ./references/)")
    args = parser.parse_args(argv)
    try:
        old, new = rehash_text(args.text, args.references)
    except MtqeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.text}: unchanged ({new})" if old == new else f"{args.text}: {old} -> {new}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
