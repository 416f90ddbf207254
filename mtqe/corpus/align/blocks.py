"""Block (paragraph) alignment of two cleaned texts: strict 1:1 when it fits, n:m otherwise.

* Same number and kinds of blocks → :func:`mtqe.corpus.align.strict_blocks.align_one_to_one`, the strict
  check (length ratio of every pair inside the calibrated band). Its links get confidence 1.0:
  structure and lengths were verified, nothing was guessed. When some ratio is out of band (a
  split plus a merge that keep the count, or a pair whose band is only roughly known, such as
  one with English), the n:m aligner below decides instead and :func:`align_blocks_explained`
  says so: the run reports it as a ``strict_fallback`` note rather than failing.
* Different block structure (a paragraph split or merged by one publisher, a missing or
  extra paragraph, furniture a cleaner kept) → dynamic programming over blocks with the
  sentence aligner's cost (:class:`mtqe.corpus.align.link_cost.LinkCost`: Gale–Church length,
  anchors, shared Han characters, optional embeddings) plus a **kind** term: a heading or
  title matched with a heading or title is free, with a paragraph costs
  :data:`KIND_MISMATCH_COST`, and a heading merged into a multi-block link costs the same.
  Headings therefore act as anchors — they pin the sections to each other — without being
  hard constraints, so a heading a cleaner mistook for a paragraph still aligns.
* A full-coverage alignment that leaves more than :data:`MAX_UNCOVERED_SHARE` of either
  text's characters unlinked raises ``AlignmentError``: the texts are probably not
  translations of each other (or one is an excerpt; say so with ``coverage="excerpt"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mtqe.corpus.align.dp import align_dp
from mtqe.corpus.align.length_model import char_length
from mtqe.corpus.align.link_cost import LinkCost, LinkCostParams
from mtqe.corpus.align.links import Link, check_links
from mtqe.corpus.align.sentences import params_for
from mtqe.corpus.align.strict_blocks import RatioOutOfBandError, align_one_to_one
from mtqe.corpus.model import Block, CleanText
from mtqe.errors import AlignmentError

if TYPE_CHECKING:  # numpy and the model stay unimported until embeddings are used
    from mtqe.corpus.align.embeddings import CachingEmbedder

KIND_MISMATCH_COST = 4.0  # nats: about a 1-0 + 0-1 pair's worth, so a clear match still wins
MAX_UNCOVERED_SHARE = 0.25


def same_structure(src: CleanText, tgt: CleanText) -> bool:
    """Whether the strict 1:1 check applies (same block count and kind sequence)."""
    return [b.kind for b in src.blocks] == [b.kind for b in tgt.blocks]


@dataclass(frozen=True)
class StrictFallback:
    """The block structures agreed but the strict check refused some length ratios: n:m decided."""

    blocks: tuple[int, ...]  # indices of the block pairs whose ratio was out of band
    reason: str  # the strict check's first line (band and its basis)


def align_blocks(
    src: CleanText,
    tgt: CleanText,
    *,
    embedder: CachingEmbedder | None = None,
    params: LinkCostParams | None = None,
) -> list[Link]:
    """Links between ``src.blocks`` and ``tgt.blocks`` (full coverage; see the module docstring)."""
    return align_blocks_explained(src, tgt, embedder=embedder, params=params)[0]


def align_blocks_explained(
    src: CleanText,
    tgt: CleanText,
    *,
    embedder: CachingEmbedder | None = None,
    params: LinkCostParams | None = None,
) -> tuple[list[Link], StrictFallback | None]:
    """:func:`align_blocks`, and whether the strict 1:1 check was replaced by the n:m aligner."""
    fallback = None
    if same_structure(src, tgt):
        try:
            return [Link((i,), (i,), 1.0) for i, _ in enumerate(align_one_to_one(src, tgt))], None
        except RatioOutOfBandError as exc:
            fallback = StrictFallback(exc.blocks, str(exc).split("\n", 1)[0])
    where = f"block alignment {src.spec.qualified_id} ↔ {tgt.spec.qualified_id}"
    links = align_block_lists(
        src.blocks, tgt.blocks, src_lang=src.spec.lang, tgt_lang=tgt.spec.lang, embedder=embedder, params=params, where=where
    )
    _check_coverage(links, src.blocks, tgt.blocks, where)
    return links, fallback


def align_block_lists(
    src: tuple[Block, ...] | list[Block],
    tgt: tuple[Block, ...] | list[Block],
    *,
    src_lang: str,
    tgt_lang: str,
    embedder: CachingEmbedder | None = None,
    params: LinkCostParams | None = None,
    where: str = "block alignment",
) -> list[Link]:
    """n:m alignment of two block lists by dynamic programming (no strict shortcut)."""
    params = params_for("full", params)
    content = LinkCost(
        [b.text for b in src], [b.text for b in tgt], src_lang=src_lang, tgt_lang=tgt_lang, embedder=embedder, params=params
    )

    def cost(i: int, j: int, di: int, dj: int) -> float:
        return content(i, j, di, dj) + _kind_cost(src[i : i + di], tgt[j : j + dj])

    links = align_dp(len(src), len(tgt), params.shapes, cost, temperature=params.temperature, where=where)
    check_links(links, len(src), len(tgt), where=where)
    return links


def _kind_cost(src: tuple[Block, ...] | list[Block], tgt: tuple[Block, ...] | list[Block]) -> float:
    if not src or not tgt:
        return 0.0
    if len(src) == 1 and len(tgt) == 1:
        return 0.0 if _is_heading(src[0]) == _is_heading(tgt[0]) else KIND_MISMATCH_COST
    # A merge of several blocks is a paragraph split or joined; a heading inside it is suspect.
    return KIND_MISMATCH_COST * sum(1 for b in (*src, *tgt) if _is_heading(b))


def _is_heading(block: Block) -> bool:
    return block.kind in ("title", "heading")


def _check_coverage(links: list[Link], src: tuple[Block, ...], tgt: tuple[Block, ...], where: str) -> None:
    for side, blocks, uncovered in (
        ("source", src, [i for link in links if not link.tgt_indices for i in link.src_indices]),
        ("target", tgt, [j for link in links if not link.src_indices for j in link.tgt_indices]),
    ):
        total = sum(char_length(b.text) for b in blocks) or 1
        share = sum(char_length(blocks[i].text) for i in uncovered) / total
        if share > MAX_UNCOVERED_SHARE:
            raise AlignmentError(
                f"{where}: {share:.0%} of the {side} text has no counterpart (blocks "
                f"{', '.join(map(str, uncovered[:10]))}{', …' if len(uncovered) > 10 else ''}); the texts "
                "do not look like translations of each other. If one only quotes parts of the "
                "other, mark it `coverage: excerpt` in the manifest; otherwise check the cleaners' output."
            )
