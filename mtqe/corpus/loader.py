"""From the manifest to what later stages consume: cleaned texts and aligned documents."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Mapping

from mtqe.corpus.align.scoring_segments import build_segments
from mtqe.corpus.align.sentences import LOW_CONFIDENCE
from mtqe.corpus.align.units import UNITS, align_units
from mtqe.corpus.cleaners import get_cleaner
from mtqe.languages import normalize_lang
from mtqe.corpus.align.units import UnitAlignment
from mtqe.corpus.model import (
    AlignmentNote,
    CleanText,
    DocumentSpec,
    Manifest,
    ParallelDocument,
    TextSpec,
)
from mtqe.corpus.paths import default_references_dir
from mtqe.corpus.reading import DEFAULT_MAX_TEXT_BYTES, read_raw_bytes, read_raw_text
from mtqe.corpus.testsets.line_document import build_line_document
from mtqe.errors import AlignmentError, CorpusError

if TYPE_CHECKING:  # numpy and the model stay unimported until embeddings are used
    from mtqe.corpus.align.embeddings import CachingEmbedder

__all__ = [
    "UNITS",
    "default_references_dir",
    "get_document",
    "load_clean_text",
    "load_parallel_document",
]

# Roles that make a target-language text a counterpart of the source.
TARGET_ROLES = ("reference", "existing")


def load_clean_text(spec: TextSpec, *, max_bytes: int = DEFAULT_MAX_TEXT_BYTES) -> CleanText:
    """Read (with size, hash and encoding checks) and clean one text with its registered cleaner."""
    cleaner = get_cleaner(spec.cleaner)
    if cleaner.extract is None:
        raw = read_raw_text(spec, max_bytes=max_bytes)
    else:  # a binary file (PDF): its text is extracted from the registered bytes
        data = read_raw_bytes(spec, max_bytes=max_bytes)
        try:
            raw = cleaner.extract(data)
        except CorpusError as exc:
            raise CorpusError(f"{spec.qualified_id}: {spec.path}: {exc}") from None
    blocks, removed = cleaner.clean(raw)
    if not blocks:
        raise CorpusError(
            f"{spec.qualified_id}: cleaner {spec.cleaner!r} kept no text from {spec.path} "
            f"({len(removed)} piece(s) removed). Check that the cleaner fits the file's format."
        )
    return CleanText(spec=spec, blocks=tuple(blocks), removed=tuple(removed))


def load_parallel_document(
    manifest: Manifest,
    doc_id: str,
    src_lang: str,
    tgt_lang: str,
    unit: str = "paragraph",
    *,
    embedder: CachingEmbedder | None = None,
    low_confidence: float = LOW_CONFIDENCE,
    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES,
) -> ParallelDocument:
    """Document ``doc_id`` for ``src_lang``→``tgt_lang``, aligned at ``unit`` (paragraph | sentence).

    The source is the document's text in ``src_lang`` with role ``source``; the targets are all
    its texts in ``tgt_lang`` with role ``reference`` or ``existing``. Paragraphs align one to
    one (strict check) when the block structure agrees, n:m otherwise; the sentence unit
    aligns sentences inside aligned paragraphs. A target marked ``coverage: excerpt`` is
    aligned sentence by sentence against the whole source. See :mod:`mtqe.corpus.align.units`
    and :mod:`mtqe.corpus.align.scoring_segments`; ``embedder`` (optional) adds embedding
    similarity to the n:m aligners, ``low_confidence`` is the confidence below which a
    segment gets a ``low_confidence`` note.
    """
    source_spec, targets = _select_texts(manifest, doc_id, src_lang, tgt_lang)
    document = get_document(manifest, doc_id)
    if document.segmentation == "lines":  # a test set: line i is segment i, whatever `unit` says
        return build_line_document(document, source_spec, targets, max_bytes=max_text_bytes)
    if unit not in UNITS:
        raise CorpusError(f"Unknown unit {unit!r}; choose one of {', '.join(UNITS)}.")
    source = load_clean_text(source_spec, max_bytes=max_text_bytes)
    alignments = {
        spec.text_id: align_units(source, load_clean_text(spec, max_bytes=max_text_bytes), unit=unit, coverage=spec.coverage, embedder=embedder)
        for spec in targets
    }
    evaluated = frozenset(s.text_id for s in targets if s.has_role("existing") and not s.has_role("reference"))
    built = build_segments(
        alignments, unit=unit, src_lang=source_spec.lang, tgt_lang=targets[0].lang, low_confidence=low_confidence,
        evaluated=evaluated,
    )
    if not built.segments:
        raise AlignmentError(
            f"Document {doc_id!r} {source_spec.lang}→{targets[0].lang}: no segment is covered by every target "
            f"text ({', '.join(alignments)}). Notes: " + "; ".join(n.describe() for n in built.notes[:5])
        )
    return ParallelDocument(
        document=doc_id,
        src_lang=source_spec.lang,
        tgt_lang=targets[0].lang,
        source=source_spec,
        targets={spec.text_id: spec for spec in targets},
        segments=built.segments,
        unit=unit,
        notes=built.notes + _fallback_notes(alignments),
    )


def _fallback_notes(alignments: Mapping[str, UnitAlignment]) -> tuple[AlignmentNote, ...]:
    """One ``strict_fallback`` note per target whose paragraphs the n:m aligner paired instead."""
    notes = []
    for text_id, alignment in alignments.items():
        fallback = alignment.strict_fallback
        if fallback is None:
            continue
        blocks = ", ".join(f"p{b:03d}" for b in fallback.blocks)
        confidence = min((link.confidence for link in alignment.links), default=1.0)
        notes.append(AlignmentNote("strict_fallback", text_id, blocks, confidence))
    return tuple(notes)


def _select_texts(manifest: Manifest, doc_id: str, src_lang: str, tgt_lang: str) -> tuple[TextSpec, list[TextSpec]]:
    """The source text and the target texts of ``doc_id`` for the pair (clear errors otherwise)."""
    src, tgt = normalize_lang(src_lang), normalize_lang(tgt_lang)
    if src == tgt:
        raise CorpusError(f"Source and target language are both {src!r}; choose two different languages.")
    document = get_document(manifest, doc_id)
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
    return sources[0], targets  # the manifest guarantees at most one source per language


def get_document(manifest: Manifest, doc_id: str) -> DocumentSpec:
    """The document ``doc_id``; an unknown id raises CorpusError with "did you mean"."""
    document = manifest.documents.get(doc_id)
    if document is None:
        close = difflib.get_close_matches(doc_id, list(manifest.documents), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise CorpusError(
            f"Unknown document {doc_id!r} in {manifest.root}.{hint} "
            f"Known documents: {', '.join(sorted(manifest.documents)) or '(none)'}."
        )
    return document


def _inventory(texts: Mapping[str, TextSpec]) -> str:
    return "; ".join(f"{s.text_id} ({s.lang}: {', '.join(sorted(s.roles))})" for s in texts.values())
