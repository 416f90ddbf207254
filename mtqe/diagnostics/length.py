"""Length-ratio outliers against the pair's calibrated Gale–Church length model.

The statistic is the model's standardised length difference δ (``mtqe.corpus`` length model:
calibrated for ja↔zh, Gale & Church's defaults elsewhere). |δ| above ``MAJOR_DELTA`` is major,
above ``MINOR_DELTA`` minor; segments shorter than ``MIN_CHARS`` are too short to judge.
"""

from __future__ import annotations

import math

from mtqe.diagnostics.model import Diagnostic, Segment

MINOR_DELTA, MAJOR_DELTA, MIN_CHARS = 3.0, 5.0, 8


def _chars(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def length_delta(segment: Segment) -> float | None:
    from mtqe.corpus.align.length_model import length_model

    l1, l2 = _chars(segment.source), _chars(segment.hypothesis)
    if l1 < MIN_CHARS or l2 == 0:
        return None
    model = length_model(segment.src_lang, segment.tgt_lang)
    mean = (l1 + l2 / model.c) / 2.0
    return (l2 - l1 * model.c) / math.sqrt(model.s2 * mean)


def check_length(segment: Segment) -> list[Diagnostic]:
    delta = length_delta(segment)
    if delta is None or abs(delta) < MINOR_DELTA:
        return []
    ratio = _chars(segment.hypothesis) / _chars(segment.source)
    side = "long" if delta > 0 else "short"
    return [Diagnostic("length", "major" if abs(delta) >= MAJOR_DELTA else "minor",
                       f"output {side} for its source: {ratio:.2f} characters per source character (δ = {delta:+.1f})")]
