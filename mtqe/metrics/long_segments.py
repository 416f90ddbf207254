"""Segments longer than a neural metric's encoder takes: split them into sentences, or say so.

Every neural metric knows its limit (``NeuralMetric.max_input_tokens``: 512 for COMET's
XLM-R, 1536 for MetricX-24) and flags each model input that it cuts. ``long_segments``
(config, in the signature as ``long:``) says what happens to such a segment:

* ``truncate``: the cut input is scored, as the reference implementations do;
* ``split``: the segment is cut into sentences (:func:`mtqe.corpus.segment.split_sentences`),
  the hypothesis sentences are aligned n:m to the source sentences and to the reference
  sentences (:func:`mtqe.corpus.align.sentences.align_sentences`), and cut where all three
  agree; each piece is scored and the segment score is the mean of the piece scores weighted
  by the characters of their hypothesis text. A segment that cannot be split (a language
  without a splitter, a single hypothesis sentence, no boundary the three texts share) is
  scored truncated, and the reason is counted.

Either way the count of over-long segments and how they were handled is in the result's
``details["long_segments"]`` and in the leaderboard notes
(:func:`mtqe.report.leaderboard.long_segment_note`).
Splitting costs one extra scoring of each over-long segment: its cut input is scored first
(that is how the metric learns it is over-long, and what a cached re-run reads back).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from mtqe.errors import MtqeError

__all__ = ["Piece", "split_pieces", "summary"]


@dataclass(frozen=True)
class Piece:
    """Aligned sentences of one over-long segment, scored as one model input."""

    src: str
    mt: str
    ref: str | None
    weight: int  # characters (not whitespace) of the hypothesis piece


def split_pieces(src: str, mt: str, ref: str | None, *, src_lang: str, tgt_lang: str) -> list[Piece] | str:
    """The pieces of one segment, or why it cannot be split (one line)."""
    from mtqe.corpus.align.length_model import char_length
    from mtqe.corpus.segment import join_sentences, split_sentences

    try:
        mt_sents = split_sentences(mt, tgt_lang)
        src_sents = split_sentences(src, src_lang)
        ref_sents = split_sentences(ref, tgt_lang) if ref is not None else None
    except MtqeError:
        return f"no sentence splitter for {src_lang}-{tgt_lang}"
    if len(mt_sents) < 2:
        return "the hypothesis is a single sentence"
    if not src_sents or (ref_sents is not None and not ref_sents):
        return "an empty source or reference"
    try:
        to_src = _cuts(src_sents, mt_sents, src_lang, tgt_lang)
        to_ref = _cuts(ref_sents, mt_sents, tgt_lang, tgt_lang) if ref_sents is not None else None
    except MtqeError as exc:
        return f"sentence alignment failed ({exc})"
    ends = (len(src_sents), len(mt_sents), len(ref_sents or ()))
    bounds = _shared_bounds(to_src, to_ref, ends)
    if len(bounds) < 3:
        return "no sentence boundary shared by source, hypothesis and reference"
    pieces = []
    for (s0, m0, r0), (s1, m1, r1) in zip(bounds, bounds[1:]):
        mt_piece = join_sentences(mt_sents[m0:m1], tgt_lang)
        pieces.append(Piece(
            src=join_sentences(src_sents[s0:s1], src_lang),
            mt=mt_piece,
            ref=join_sentences(ref_sents[r0:r1], tgt_lang) if ref_sents is not None else None,
            weight=char_length(mt_piece),
        ))
    return pieces


def _cuts(other: list[str], mt: list[str], other_lang: str, tgt_lang: str) -> dict[int, int]:
    """Hypothesis sentence boundary -> the boundary of ``other`` it aligns with. A sentence of
    ``other`` left unaligned (1-0) stays with the piece before it."""
    from mtqe.corpus.align.sentences import align_sentences

    cuts: dict[int, int] = {}
    other_end = mt_end = 0
    for link in align_sentences(other, mt, src_lang=other_lang, tgt_lang=tgt_lang):
        other_end = max([other_end, *(i + 1 for i in link.src_indices)])
        mt_end = max([mt_end, *(j + 1 for j in link.tgt_indices)])
        cuts[mt_end] = other_end
    return cuts


def _shared_bounds(
    to_src: dict[int, int], to_ref: dict[int, int] | None, ends: tuple[int, int, int]
) -> list[tuple[int, int, int]]:
    """Piece boundaries (src, mt, ref) from start to end where every piece is non-empty on
    every side; a boundary that would leave a side empty is dropped (pieces merge)."""
    n_src, n_mt, n_ref = ends
    bounds = [(0, 0, 0)]
    for k in range(1, n_mt):
        if k not in to_src or (to_ref is not None and k not in to_ref):
            continue
        cut = (to_src[k], k, to_ref[k] if to_ref is not None else 0)
        if _advances(bounds[-1], cut, to_ref is not None):
            bounds.append(cut)
    end = (n_src, n_mt, n_ref)
    while len(bounds) > 1 and not _advances(bounds[-1], end, to_ref is not None):
        bounds.pop()
    return [*bounds, end]


def _advances(before: tuple[int, int, int], after: tuple[int, int, int], with_ref: bool) -> bool:
    return after[0] > before[0] and after[1] > before[1] and (not with_ref or after[2] > before[2])


# ----------------------------------------------------------------------------- reporting


def summary(
    mode: str, limit: int, segments: int, over_long: int, split: int, still_cut: int, reasons: Counter[str]
) -> dict[str, Any]:
    """``details["long_segments"]`` of one result: counts of its ``segments`` (``not_split``
    counts model inputs, one per segment and reference stream, by reason)."""
    return {
        "mode": mode,
        "max_tokens": int(limit),
        "segments": int(segments),
        "over_long": int(over_long),
        "split": int(split),
        "truncated": int(still_cut),
        "not_split": dict(sorted(reasons.items())),
    }
