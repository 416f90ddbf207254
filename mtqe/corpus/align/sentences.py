"""Sentence alignment inside one aligned pair of paragraphs (n:m, with confidences).

``align_sentences(src, tgt, src_lang=…, tgt_lang=…)`` returns links covering every sentence
of both sides once, in order: 1-1, 2-1, 1-2, 3-1, 1-3, and 1-0 / 0-1 for a sentence
with no counterpart. The search is :func:`mtqe.corpus.align.dp.align_dp`; the cost of a link
is :class:`mtqe.corpus.align.link_cost.LinkCost` (Gale–Church length calibrated per language
pair, anchors, shared Han characters for ja/zh, optional embeddings). Each link's confidence
is its posterior probability.

Use ``coverage="excerpt"`` when the target covers only parts of the source: uncovered source
sentences then become 1-0 links instead of being forced onto a neighbour.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Sequence

from mtqe.corpus.align.dp import align_dp
from mtqe.corpus.align.link_cost import EXCERPT_PRIORS, FULL_PRIORS, LinkCost, LinkCostParams
from mtqe.corpus.align.links import Link, check_links
from mtqe.corpus.model import COVERAGES
from mtqe.errors import AlignmentError

if TYPE_CHECKING:  # numpy and the model stay unimported until embeddings are used
    from mtqe.corpus.align.embeddings import CachingEmbedder

__all__ = ["LOW_CONFIDENCE", "Link", "align_sentences", "params_for"]

# Below this posterior a link is reported as low-confidence (and excluded from scoring when
# the run config says exclude_low_confidence: true).
LOW_CONFIDENCE = 0.5


def params_for(coverage: str, base: LinkCostParams | None = None) -> LinkCostParams:
    """``base`` (default parameters if None) with the priors of ``coverage`` unless it sets its own:
    ``full`` (the texts translate each other) or ``excerpt`` (the target quotes parts of the source)."""
    if coverage not in COVERAGES:
        raise AlignmentError(f"coverage={coverage!r}: choose one of {', '.join(COVERAGES)}")
    base = base or LinkCostParams()
    if base.priors is not None:
        return base
    return dataclasses.replace(base, priors=dict(FULL_PRIORS if coverage == "full" else EXCERPT_PRIORS))


def align_sentences(
    src: Sequence[str],
    tgt: Sequence[str],
    *,
    src_lang: str,
    tgt_lang: str,
    embedder: CachingEmbedder | None = None,
    coverage: str = "full",
    params: LinkCostParams | None = None,
) -> list[Link]:
    """Align two lists of sentences (typically ``split_sentences`` of two aligned paragraphs)."""
    if isinstance(src, str) or isinstance(tgt, str):
        raise TypeError("align_sentences takes lists of sentences, not strings; use split_sentences first")
    params = params_for(coverage, params)
    cost = LinkCost(src, tgt, src_lang=src_lang, tgt_lang=tgt_lang, embedder=embedder, params=params)
    where = f"sentence alignment ({len(src)} {src_lang} ↔ {len(tgt)} {tgt_lang} sentences)"
    links = align_dp(len(src), len(tgt), params.shapes, cost, temperature=params.temperature, where=where)
    check_links(links, len(src), len(tgt), where=where)
    return links
