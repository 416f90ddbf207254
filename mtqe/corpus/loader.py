"""From the manifest to what later stages consume: cleaned texts and aligned documents."""

from __future__ import annotations

import difflib
from typing import Mapping

from mtqe.corpus.align import align_one_to_one
from mtqe.corpus.cleaners import get_cleaner
from mtqe.corpus.languages import normalize_lang
from mtqe.corpus.model import AlignedSegment, CleanText, Manifest, ParallelDocument, TextSpec
from mtqe.corpus.paths import default_references_dir
from mtqe.corpus.reading import read_raw_text
from mtqe.errors import CorpusError

__all__ = ["default_references_dir", "load_clean_text", "load_parallel_document", "segment_id"]

# Roles that make a target-language text a counterpart of the source.
TARGET_ROLES = ("reference", "existing")


def segment_id(index: int) -> str:
    """``p000``, ``p001``, …: one id per aligned block, stable while the cleaning is."""
    return f"p{index:03d}"


def load_clean_text(spec: TextSpec) -> CleanText:
    """Read (with hash and encoding checks) and clean one text with its registered cleaner."""
    raw = read_raw_text(spec)
    blocks, removed = get_cleaner(spec.cleaner).clean(raw)
    if not blocks:
        raise CorpusError(
            f"{spec.qualified_id}: cleaner {spec.cleaner!r} kept no text from {spec.path} "
            f"({len(removed)} piece(s) removed). Check that the cleaner fits the file's format."
        )
    return CleanText(spec=spec, blocks=tuple(blocks), removed=tuple(removed))


def load_parallel_document(manifest: Manifest, doc_id: str, src_lang: str, tgt_lang: str) -> ParallelDocument:
    """Document ``doc_id`` for ``src_lang``→``tgt_lang``, aligned block by block.

    The source is the document's text in ``src_lang`` with role ``source``; the targets are all
    its texts in ``tgt_lang`` with role ``reference`` or ``existing``. Every target must align
    one to one with the source (see :mod:`mtqe.corpus.align`).
    """
    src, tgt = normalize_lang(src_lang), normalize_lang(tgt_lang)
    if src == tgt:
        raise CorpusError(f"Source and target language are both {src!r}; choose two different languages.")
    document = manifest.documents.get(doc_id)
    if document is None:
        close = difflib.get_close_matches(doc_id, list(manifest.documents), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise CorpusError(
            f"Unknown document {doc_id!r} in {manifest.root}.{hint} "
            f"Known documents: {', '.join(sorted(manifest.documents)) or '(none)'}."
        )
    sources = [t for t in document.texts_in(src) if t.has_role("source")]
    targets = [t for t in document.texts_in(tgt) if any(t.has_role(r) for r in TARGET_ROLES)]
    if not sources:
        raise CorpusError(
            f"Document {doc_id!r} has no text in {src!r} with role 'source'. It has: {_inventory(document.texts)}."
        )
    if not targets:
        raise CorpusError(
            f"Document {doc_id!r} has no text in {tgt!r} with role 'reference' or 'existing'. "
            f"It has: {_inventory(document.texts)}."
        )
    source_spec = sources[0]  # the manifest guarantees at most one source per language
    source = load_clean_text(source_spec)
    aligned = {spec.text_id: align_one_to_one(source, load_clean_text(spec)) for spec in targets}
    segments = tuple(
        AlignedSegment(
            seg_id=segment_id(index),
            kind=block.kind,
            source=block.text,
            targets={text_id: pairs[index][1].text for text_id, pairs in aligned.items()},
        )
        for index, block in enumerate(source.blocks)
    )
    return ParallelDocument(
        document=doc_id,
        src_lang=src,
        tgt_lang=tgt,
        source=source_spec,
        targets={spec.text_id: spec for spec in targets},
        segments=segments,
    )


def _inventory(texts: Mapping[str, TextSpec]) -> str:
    return "; ".join(f"{s.text_id} ({s.lang}: {', '.join(sorted(s.roles))})" for s in texts.values())
