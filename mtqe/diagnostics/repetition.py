"""Repetition loops and duplicated n-grams (the failure mode of small and over-long generation)."""

from __future__ import annotations

import re
from collections import Counter

from mtqe.diagnostics.model import Diagnostic, Segment
from mtqe.languages import is_cjk as is_cjk_language

_LOOP = re.compile(r"(.{2,40}?)\1{2,}", re.DOTALL)  # a piece repeated three or more times in a row
CJK_NGRAM, WORD_NGRAM = 8, 4
MIN_DUPLICATES = 3  # a term used twice is ordinary; three times more than the source is not


def _units(text: str, lang: str) -> list[str]:
    return [ch for ch in text if not ch.isspace()] if is_cjk_language(lang) else text.lower().split()


def _repeated(units: list[str], n: int) -> Counter:
    grams = Counter(tuple(units[i: i + n]) for i in range(len(units) - n + 1))
    return Counter({g: c for g, c in grams.items() if c > 1})


def check_repetition(segment: Segment) -> list[Diagnostic]:
    hyp = segment.hypothesis
    for m in _LOOP.finditer(hyp):
        piece = m.group(1)
        if len(piece.strip()) >= 2 and not piece.strip().isdigit() and piece not in segment.source * 3:
            return [Diagnostic("repetition", "major",
                               f"{piece!r} repeated {len(m.group(0)) // len(piece)} times in a row", m.span())]
    n = CJK_NGRAM if is_cjk_language(segment.tgt_lang) else WORD_NGRAM
    extra = _repeated(_units(hyp, segment.tgt_lang), n) - _repeated(_units(segment.source, segment.src_lang), n)
    if extra and extra.most_common(1)[0][1] >= MIN_DUPLICATES:
        gram, count = extra.most_common(1)[0]
        joiner = "" if is_cjk_language(segment.tgt_lang) else " "
        return [Diagnostic("repetition", "minor", f"{joiner.join(gram)!r} appears {count} times")]
    return []
