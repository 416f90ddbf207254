"""Gale–Church length model: how long a translation of ``l`` source characters tends to be.

Gale & Church (1993) model the target length of a translation of ``l1`` source characters as
normal with mean ``c·l1`` and variance ``s2·l1``. The cost of pairing spans of ``l1`` and
``l2`` characters is ``-log P(|δ| ≥ observed)`` with ``δ = (l2 - c·l1) / sqrt(s2·l̄)``, where
``l̄ = (l1 + l2/c) / 2`` (their implementation's symmetric length), i.e. the two-sided tail
probability of the standard normal. Characters are non-whitespace characters.

The parameters are an explicit, calibrated table per language pair. The reverse direction is
derived (``c' = 1/c``, ``s2' = s2/c³``: the variance of ``l1`` given ``l2`` per ``l2``
character). Uncalibrated pairs fall back to Gale & Church's published values (c = 1, s2 = 6.8),
which are loose enough to be safe but weaker: calibrate on real data before relying on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mtqe.languages import normalize_lang


@dataclass(frozen=True)
class LengthModel:
    c: float  # expected target characters per source character
    s2: float  # variance of (l2 - c·l1) per source character
    basis: str  # where the numbers come from (shown by `mtqe corpus align --explain` and docs)

    def inverse(self) -> LengthModel:
        return LengthModel(1.0 / self.c, self.s2 / self.c**3, f"inverse of {self.basis}")

    def cost(self, l1: int, l2: int) -> float:
        """``-log`` two-sided tail probability of the length difference (0 when both empty)."""
        if l1 == 0 and l2 == 0:
            return 0.0
        mean = (l1 + l2 / self.c) / 2.0
        delta = (l2 - l1 * self.c) / math.sqrt(self.s2 * mean)
        tail = math.erfc(abs(delta) / math.sqrt(2.0))
        # erfc underflows to 0 beyond |δ|≈38; the floor keeps costs finite and ordered.
        return -math.log(max(tail, 1e-300))


# Calibrated on the real seeds, jpus-2022: the 32 body-paragraph pairs of MOFA ja ↔ community
# zh (block i ↔ block i, checked by align_one_to_one). c = Σzh/Σja; s2 = population variance
# of (zh - c·ja)/sqrt(ja). A sentence-level cross-check gives a tighter s2, so the paragraph
# value is the looser of the two (figures: docs/corpus.md, "Calibration on the seeds").
# en→ja and en→zh: c measured on the 7 sentences of the White House text of jpus-2022 that a
# public page quotes in full, against their seed counterparts (figures only; the English text is
# not in the repository). Seven sentences say little about the spread, so s2 is not their
# (tighter) estimate but the ja→zh paragraph spread carried over: the same relative standard
# deviation of the length ratio at the same content, s2 = 1.241 · c² / (0.7006² · c_en→ja).
LENGTH_MODELS: dict[tuple[str, str], LengthModel] = {
    ("ja", "zh"): LengthModel(0.7006, 1.241, "ja→zh, 32 paragraph pairs of jpus-2022"),
    ("en", "ja"): LengthModel(0.4432, 1.120, "en→ja, 7 sentences of jpus-2022 (White House ↔ MOFA); s2 from ja→zh"),
    ("en", "zh"): LengthModel(0.3297, 0.620, "en→zh, 7 sentences of jpus-2022 (White House ↔ community); s2 from ja→zh"),
}
GALE_CHURCH_DEFAULT = LengthModel(1.0, 6.8, "Gale & Church (1993) default, uncalibrated pair")


def length_model(src_lang: str, tgt_lang: str) -> LengthModel:
    src, tgt = normalize_lang(src_lang), normalize_lang(tgt_lang)
    if (src, tgt) in LENGTH_MODELS:
        return LENGTH_MODELS[(src, tgt)]
    if (tgt, src) in LENGTH_MODELS:
        return LENGTH_MODELS[(tgt, src)].inverse()
    return GALE_CHURCH_DEFAULT


def char_length(text: str) -> int:
    """Characters that count for length: everything but whitespace."""
    return sum(1 for char in text if not char.isspace())
