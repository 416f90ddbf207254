"""The cost of one candidate link: length, anchors, shared Han characters, embeddings.

Every term is (roughly) a log-likelihood ratio in nats, so they add up and the dynamic
programme's posteriors mean something:

* **prior** of the link shape (``-log P(shape)``): Gale & Church's 1-1 0.89, 2-1/1-2 0.089,
  1-0/0-1 0.0099 for texts that translate each other in full (:data:`FULL_PRIORS`); an
  excerpt makes 1-0 (source not covered) common instead (:data:`EXCERPT_PRIORS`);
* **length** (:mod:`mtqe.corpus.align.length_model`): Gale–Church cost with the pair's calibration;
* **anchors** (:mod:`mtqe.corpus.align.anchors`): ``-bonus`` per shared number/Latin token,
  ``+penalty`` per unshared one (small: translators drop and expand acronyms);
* **shared Han characters**, only when both languages are written with Han characters
  (ja, zh, zh-Hant): the Dice coefficient of the two spans' sets of CJK ideographs, turned
  into a log-likelihood ratio between translations and unrelated pairs (calibrated below).
  Japanese and Chinese share many ideographs (岸田, 台湾, 核, 新疆), so this is the cheap
  lexical signal of this pair;
* **embeddings** (optional): cosine of the spans' vectors, turned into a log-likelihood ratio
  with the embedder's calibration.

Skips (1-0, 0-1) cost only their prior: a skipped unit has nothing to compare with.
The content terms are linear in the similarity (pooled-variance Gaussian LLR) and clipped to
±:attr:`LinkCostParams.max_llr`, so one extreme value cannot outvote everything else.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

from mtqe.corpus.align.anchors import anchor_agreement, anchors
from mtqe.corpus.align.length_model import LengthModel, char_length, length_model
from mtqe.languages import get_language, normalize_lang

if TYPE_CHECKING:  # numpy and the model stay unimported until embeddings are used
    from mtqe.corpus.align.embeddings import CachingEmbedder, EmbedderCalibration

Shape = tuple[int, int]

# Gale & Church (1993), table 5, without 2-2 and with 3-1/1-3 added at a small prior for a
# long sentence a translator splits in three. 2-2 is left out on purpose: on jpus-2022 it
# never occurs, and allowing it made the aligner swallow a weakly supported pair into its
# strong neighbour on the gold set (docs/corpus.md, "No 2-2 links"); two sentences rendered
# as two sentences in the same order are two 1-1 links anyway. Relative weights.
FULL_PRIORS: Mapping[Shape, float] = {
    (1, 1): 0.89,
    (1, 0): 0.0099 / 2,
    (0, 1): 0.0099 / 2,
    (2, 1): 0.089 / 2,
    (1, 2): 0.089 / 2,
    (3, 1): 0.002,
    (1, 3): 0.002,
}
# An excerpt (a text quoting parts of its source) leaves most source units uncovered, but
# adds little of its own: 1-0 is as likely as 1-1, 0-1 stays rare.
EXCERPT_PRIORS: Mapping[Shape, float] = {
    (1, 1): 0.45,
    (1, 0): 0.45,
    (0, 1): 0.0099 / 2,
    (2, 1): 0.02,
    (1, 2): 0.02,
}

_HAN_LANGS = frozenset({"ja", "zh", "zh-Hant"})


@dataclass(frozen=True)
class SimilarityCalibration:
    """Mean and sd of a similarity for translations ("match") and unrelated pairs ("random")."""

    match_mean: float
    match_sd: float
    random_mean: float
    random_sd: float
    basis: str

    def llr(self, value: float, cap: float, floor: float) -> float:
        """Pooled-variance Gaussian log-likelihood ratio match/random: linear, monotone, clipped
        to [-floor, cap]."""
        variance = (self.match_sd**2 + self.random_sd**2) / 2.0
        midpoint = (self.match_mean + self.random_mean) / 2.0
        ratio = (self.match_mean - self.random_mean) / variance * (value - midpoint)
        return max(-floor, min(cap, ratio))


# Dice coefficient of the sets of CJK ideographs, jpus-2022 ja-mofa ↔ zh-community: "match" =
# the 93 sentence pairs at the same position in paragraphs whose sentence counts agree,
# "random" = pairs of sentences from different blocks. The measured values and sample sizes
# are in docs/corpus.md, "Calibration on the seeds".
HAN_DICE_JA_ZH = SimilarityCalibration(0.283, 0.084, 0.067, 0.048, "ja↔zh sentences of jpus-2022")


def _from_embedder(cal: EmbedderCalibration) -> SimilarityCalibration:
    return SimilarityCalibration(cal.match_mean, cal.match_sd, cal.random_mean, cal.random_sd, cal.basis)


@dataclass(frozen=True)
class LinkCostParams:
    # Link shapes and their prior probabilities; None: chosen by the coverage (full / excerpt).
    priors: Mapping[Shape, float] | None = None
    anchor_bonus: float = 2.0  # nats per anchor found on both sides
    anchor_penalty: float = 0.5  # nats per anchor found on one side only
    han_weight: float = 1.0  # 0 switches the shared-Han-character term off
    embedding_weight: float = 1.0
    max_llr: float = 6.0  # cap of a content term's bonus (nats)
    # Cap of the shared-Han-character penalty. Lower than the bonus on purpose: few shared
    # ideographs is weak evidence (Japanese 協議 vs simplified 协议, katakana loanwords vs
    # Chinese transliterations), and a strong penalty makes merging two true pairs into a
    # 2-2 link look cheaper than keeping them apart.
    max_han_penalty: float = 2.0
    temperature: float = 1.0  # for posteriors (confidences) only

    @property
    def shapes(self) -> list[Shape]:
        return list(self.priors or FULL_PRIORS)


class LinkCost:
    """Cost of linking ``src[i:i+di]`` with ``tgt[j:j+dj]``; span features are cached."""

    def __init__(
        self,
        src: Sequence[str],
        tgt: Sequence[str],
        *,
        src_lang: str,
        tgt_lang: str,
        embedder: CachingEmbedder | None = None,
        params: LinkCostParams | None = None,
        lengths: LengthModel | None = None,
    ) -> None:
        self.params = params or LinkCostParams()
        self.lengths = lengths or length_model(src_lang, tgt_lang)
        self._src_len = _prefix([char_length(t) for t in src])
        self._tgt_len = _prefix([char_length(t) for t in tgt])
        latin = any("Latn" in get_language(lang).scripts for lang in (src_lang, tgt_lang))
        self._src_anchors = [anchors(t, latin_words=latin) for t in src]
        self._tgt_anchors = [anchors(t, latin_words=latin) for t in tgt]
        han_pair = {normalize_lang(src_lang), normalize_lang(tgt_lang)} <= _HAN_LANGS
        self._han = HAN_DICE_JA_ZH if han_pair and self.params.han_weight > 0 else None
        self._src_han = [_han_set(t) for t in src] if self._han else []
        self._tgt_han = [_han_set(t) for t in tgt] if self._han else []
        self._embed_cal = None
        if embedder is not None and self.params.embedding_weight > 0 and src and tgt:
            self._embed_cal = _from_embedder(embedder.calibration)
            self._src_vec = embedder.embed(list(src))
            self._tgt_vec = embedder.embed(list(tgt))
        priors = self.params.priors or FULL_PRIORS
        self._prior_cost = {shape: -math.log(p) for shape, p in priors.items()}

    def __call__(self, i: int, j: int, di: int, dj: int) -> float:
        cost = self._prior_cost[(di, dj)]
        if di == 0 or dj == 0:
            return cost
        return cost + self.content_cost(i, j, di, dj)

    def content_cost(self, i: int, j: int, di: int, dj: int) -> float:
        """Everything but the prior, for a link with both sides non-empty."""
        p = self.params
        l1 = self._src_len[i + di] - self._src_len[i]
        l2 = self._tgt_len[j + dj] - self._tgt_len[j]
        cost = self.lengths.cost(l1, l2)
        shared, unshared = anchor_agreement(_sum(self._src_anchors, i, di), _sum(self._tgt_anchors, j, dj))
        cost += -p.anchor_bonus * shared + p.anchor_penalty * unshared
        if self._han is not None:
            a, b = _union(self._src_han, i, di), _union(self._tgt_han, j, dj)
            if a or b:
                dice = 2.0 * len(a & b) / (len(a) + len(b))
                cost -= p.han_weight * self._han.llr(dice, p.max_llr, p.max_han_penalty)
        if self._embed_cal is not None:
            u = self._src_vec[i : i + di].sum(axis=0)
            v = self._tgt_vec[j : j + dj].sum(axis=0)
            cosine = float(u @ v) / max(float((u @ u) ** 0.5 * (v @ v) ** 0.5), 1e-12)
            cost -= p.embedding_weight * self._embed_cal.llr(cosine, p.max_llr, p.max_llr)
        return cost


def _prefix(values: list[int]) -> list[int]:
    sums = [0]
    for value in values:
        sums.append(sums[-1] + value)
    return sums


def _sum(counters: list[Counter[str]], start: int, count: int) -> Counter[str]:
    if count == 1:
        return counters[start]
    total: Counter[str] = Counter()
    for counter in counters[start : start + count]:
        total.update(counter)
    return total


def _union(sets: list[frozenset[str]], start: int, count: int) -> frozenset[str]:
    if count == 1:
        return sets[start]
    return frozenset().union(*sets[start : start + count])


def _han_set(text: str) -> frozenset[str]:
    # CJK Unified Ideographs and Extension A: the characters ja and zh share.
    return frozenset(c for c in text if 0x4E00 <= ord(c) <= 0x9FFF or 0x3400 <= ord(c) <= 0x4DBF)
