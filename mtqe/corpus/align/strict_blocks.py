"""One-to-one block alignment with a hard sanity check (the walking skeleton's aligner).

Two cleaned texts of the same document align when they have the same number of blocks, the
same sequence of kinds (title / heading / paragraph), and every pair's length ratio lies in
the band calibrated for the language pair. Anything else raises :class:`AlignmentError`
naming the offending blocks: a silent shift of one paragraph would pair every later source
with the wrong reference and still produce plausible-looking scores.

Length is counted in non-whitespace characters; the ratio is ``len(target) / len(source)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from mtqe.corpus.align.length_model import char_length
from mtqe.languages import normalize_lang
from mtqe.corpus.model import Block, CleanText
from mtqe.errors import AlignmentError


@dataclass(frozen=True)
class RatioBand:
    low: float
    high: float
    # Where the numbers come from, printed in error messages so a reader can judge them.
    basis: str

    def contains(self, ratio: float) -> bool:
        return self.low <= ratio <= self.high

    def inverse(self) -> RatioBand:
        return RatioBand(1.0 / self.high, 1.0 / self.low, f"inverse of {self.basis}")


# Calibrated on the real seeds (jpus-2022, 40 block pairs, MOFA ja vs. community zh; the
# observed ratios are in docs/corpus.md, "Alignment check"). The band is generous — well below
# the lowest and above the highest observation — so it catches a shifted or missing paragraph
# next to one of very different length, not a translator's style.
# en→ja / en→zh: observed on 7 sentences of the White House text against the seeds (the
# length models' data, docs/corpus.md), widened by the same factors as ja→zh (×0.65, ×1.63).
RATIO_BANDS: dict[tuple[str, str], RatioBand] = {
    ("ja", "zh"): RatioBand(0.35, 1.5, "ja→zh, observed 0.54–0.92 on jpus-2022"),
    ("en", "ja"): RatioBand(0.27, 0.78, "en→ja, observed 0.41–0.48 on 7 sentences of jpus-2022"),
    ("en", "zh"): RatioBand(0.16, 0.64, "en→zh, observed 0.25–0.39 on 7 sentences of jpus-2022"),
}
# Pairs nobody has calibrated yet only get a check for gross mismatches.
UNCALIBRATED_BAND = RatioBand(0.1, 10.0, "uncalibrated pair: catches gross mismatches only")
# Below this many characters on both sides a ratio says nothing (a 3-character heading).
MIN_CHARS_FOR_RATIO = 8
SNIPPET_CHARS = 40


class RatioOutOfBandError(AlignmentError):
    """Same block structure, but some pairs' length ratios lie outside the calibrated band."""

    def __init__(self, message: str, blocks: tuple[int, ...]) -> None:
        super().__init__(message)
        self.blocks = blocks  # the offending block indices


def ratio_band(src_lang: str, tgt_lang: str) -> RatioBand:
    src, tgt = normalize_lang(src_lang), normalize_lang(tgt_lang)
    if (src, tgt) in RATIO_BANDS:
        return RATIO_BANDS[(src, tgt)]
    if (tgt, src) in RATIO_BANDS:
        return RATIO_BANDS[(tgt, src)].inverse()
    return UNCALIBRATED_BAND


def align_one_to_one(src: CleanText, tgt: CleanText) -> list[tuple[Block, Block]]:
    """Pair ``src.blocks[i]`` with ``tgt.blocks[i]`` after checking that this is safe."""
    where = f"{src.spec.qualified_id} ({src.spec.lang}) ↔ {tgt.spec.qualified_id} ({tgt.spec.lang})"
    _check_kinds(src, tgt, where)
    band = ratio_band(src.spec.lang, tgt.spec.lang)
    bad = [
        index
        for index, (s, t) in enumerate(zip(src.blocks, tgt.blocks))
        if max(char_length(s.text), char_length(t.text)) >= MIN_CHARS_FOR_RATIO
        and not band.contains(_ratio(s, t))
    ]
    if bad:
        lines = [
            f"  block {i} ({src.blocks[i].kind}, ratio {_ratio(src.blocks[i], tgt.blocks[i]):.2f}): "
            f"{_snippet(src.blocks[i])} ↔ {_snippet(tgt.blocks[i])}"
            for i in bad
        ]
        raise RatioOutOfBandError(
            f"Cannot align {where}: {len(bad)} block pair(s) have a length ratio outside "
            f"{band.low:.2f}–{band.high:.2f} ({band.basis}):\n" + "\n".join(lines) + "\n"
            "A paragraph is probably missing, split or merged on one side: check the cleaner's "
            "output (blocks and removals) for these texts.",
            tuple(bad),
        )
    return list(zip(src.blocks, tgt.blocks))


def _check_kinds(src: CleanText, tgt: CleanText, where: str) -> None:
    src_kinds = [b.kind for b in src.blocks]
    tgt_kinds = [b.kind for b in tgt.blocks]
    if src_kinds == tgt_kinds:
        return
    mismatched = [
        i for i in range(max(len(src_kinds), len(tgt_kinds)))
        if i >= len(src_kinds) or i >= len(tgt_kinds) or src_kinds[i] != tgt_kinds[i]
    ]
    shown = mismatched[:5]
    lines = [f"  block {i}: {_describe(src.blocks, i)} ↔ {_describe(tgt.blocks, i)}" for i in shown]
    more = f"\n  … and {len(mismatched) - len(shown)} more" if len(mismatched) > len(shown) else ""
    raise AlignmentError(
        f"Cannot align {where} one to one: {len(src_kinds)} blocks vs {len(tgt_kinds)} blocks; "
        f"the block kinds first differ at block {mismatched[0]}:\n" + "\n".join(lines) + more + "\n"
        "Check the cleaner's output for both texts (a heading taken for a paragraph, furniture "
        "left in, or a paragraph split in two)."
    )


def _ratio(src: Block, tgt: Block) -> float:
    return char_length(tgt.text) / max(char_length(src.text), 1)


def _snippet(block: Block) -> str:
    text = block.text
    return repr(text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS] + "…")


def _describe(blocks: tuple[Block, ...], index: int) -> str:
    if index >= len(blocks):
        return "(none)"
    return f"{blocks[index].kind} {_snippet(blocks[index])}"
