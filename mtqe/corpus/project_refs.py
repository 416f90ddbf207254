"""A user's ``references/`` on top of the bundled texts: the merge rule and the starter manifest.

Merge rule (``load_manifest()`` without an explicit folder):

* a document id only the user's manifest has is added;
* a document id both have is one document: the user's entry adds texts to the bundled one
  (e.g. the English original of ``jpus-2022``). Its ``title`` must be the bundled title and a
  ``date``, if given, the bundled date — otherwise it is a different document under a taken
  id, which is an error;
* a text id both have in the same document is an error (rename the user's text), as is a
  second ``source`` in one language.

Nothing is silently replaced, so a bundled text can never be shadowed by a user's file.
"""

from __future__ import annotations

from mtqe.corpus.model import DocumentSpec, Manifest
from mtqe.errors import ManifestError

STARTER_MANIFEST = """\
# Your own reference texts. mtqe reads this file on top of its bundled manifest when you run
# it from this folder (the parent of references/). Schema: docs/corpus.md of mtqe.
#
# Add a text with (it copies the file to references/texts/ and records its sha256):
#   mtqe corpus add my-doc --title "My document" --lang en --role source --role reference --file my.txt
# or by hand, e.g.:
#
# documents:
#   my-doc:
#     title: "My document"
#     texts:
#       en-original:
#         lang: en
#         roles: [source, reference]
#         file: texts/my-doc/en-original.txt
#         sha256: "<sha256sum of the file>"
#         cleaner: plain_paragraphs
#         provenance:
#           origin: "where the text comes from"
#
# A document id that mtqe already bundles (mtqe corpus list) adds texts to that document;
# give its title exactly. A text id that is already there is an error.
schema_version: 1

documents: {}
"""


def merge_manifests(bundled: Manifest, project: Manifest) -> Manifest:
    """``bundled`` with ``project``'s documents and texts added (rule: module docstring)."""
    documents = dict(bundled.documents)
    for doc_id, extra in project.documents.items():
        base = documents.get(doc_id)
        documents[doc_id] = extra if base is None else _extend(base, extra, project)
    return Manifest(root=project.root, documents=documents)


def _extend(base: DocumentSpec, extra: DocumentSpec, project: Manifest) -> DocumentSpec:
    where = f"{project.root / 'manifest.yaml'}: documents.{base.doc_id}"
    if extra.title != base.title or (extra.date is not None and extra.date != base.date):
        raise ManifestError(
            f"{where}: {base.doc_id!r} is a bundled document ({base.title!r}, date {base.date}); "
            f"to add texts to it give the same title (and date, or none); for another document choose another id"
        )
    clash = sorted(set(base.texts) & set(extra.texts))
    if clash:
        raise ManifestError(
            f"{where}.texts: {', '.join(clash)} already bundled in {base.doc_id}; give your text another id"
        )
    texts = {**base.texts, **extra.texts}
    sources: dict[str, str] = {}
    for spec in texts.values():
        if spec.has_role("source"):
            if spec.lang in sources:
                raise ManifestError(
                    f"{where}.texts: two texts in {spec.lang} have role 'source' ({sources[spec.lang]}, "
                    f"{spec.text_id}) with the bundled ones; a document has at most one source per language"
                )
            sources[spec.lang] = spec.text_id
    clash = sorted(set(base.judgments) & set(extra.judgments))
    if clash:
        raise ManifestError(f"{where}.judgments: {', '.join(clash)} already bundled in {base.doc_id}; use another name")
    return DocumentSpec(doc_id=base.doc_id, title=base.title, texts=texts, date=base.date,
                        judgments={**base.judgments, **extra.judgments})
