"""Untranslated text and text in the wrong language, from the scripts the output is written in.

Script evidence is decisive for the pairs mtqe evaluates first and needs no model:
* a Chinese output with kana is (partly) Japanese: untranslated from a Japanese source,
  wrong language otherwise; a Japanese output with many Han characters and no kana reads as
  Chinese;
* an output that repeats the source is untranslated;
* a CJK output whose letters are mostly Latin (or a Latin output that is mostly CJK) is in the
  wrong language, or untranslated when that is the source's script.
Acronyms and names in Latin letters inside CJK text are normal and not flagged. For a target in
the same script as other languages (English, French, …) the language identifier py3langid
(``mtqe/langid.py``, model in the wheel) decides, and only flags a clear mismatch.
"""

from __future__ import annotations

import functools

from mtqe.diagnostics.model import Diagnostic, Segment
from mtqe.diagnostics.scripts import runs_of, script_counts
from mtqe.languages import is_cjk as is_cjk_language
from mtqe.languages import normalize_lang

# Below this many characters a language guess from character n-grams is unreliable.
MIN_CHARS_FOR_LANGID = 25
# A Japanese sentence this long without any kana is very unlikely.
MIN_HAN_FOR_NO_KANA = 12


def _base(lang: str) -> str:
    """Canonical code, with Simplified and Traditional Chinese both ``zh`` (the kana test is the same)."""
    code = normalize_lang(lang)
    return "zh" if code == "zh-Hant" else code


def check_language(segment: Segment) -> list[Diagnostic]:
    hyp, src = segment.hypothesis.strip(), segment.source.strip()
    if not hyp:
        return []
    if hyp == src and len(src) > 3:
        return [Diagnostic("untranslated", "major", "the output repeats the source", (0, len(segment.hypothesis)))]
    tgt, source_lang = _base(segment.tgt_lang), _base(segment.src_lang)
    counts = script_counts(hyp)
    letters = sum(counts.values()) or 1
    if tgt == "zh":
        return _kana_in_chinese(segment, counts, letters, source_lang)
    if tgt == "ja" and counts["kana"] == 0 and counts["han"] >= MIN_HAN_FOR_NO_KANA:
        check = "untranslated" if source_lang == "zh" else "wrong_language"
        return [Diagnostic(check, "major", "Han characters without any kana: reads as Chinese, not Japanese")]
    if is_cjk_language(tgt) and counts["latin"] / letters > 0.6 and letters > 8:
        check = "untranslated" if not is_cjk_language(source_lang) else "wrong_language"
        return [Diagnostic(check, "major", f"{counts['latin'] / letters:.0%} of the letters are Latin in a {tgt} output")]
    if not is_cjk_language(tgt) and (counts["han"] + counts["kana"] + counts["hangul"]) / letters > 0.3:
        check = "untranslated" if is_cjk_language(source_lang) else "wrong_language"
        return [Diagnostic(check, "major", f"CJK characters in a {tgt} output")]
    if not is_cjk_language(tgt) and len(hyp) >= MIN_CHARS_FOR_LANGID:
        return _identified(hyp, tgt, source_lang)
    return []


def _identified(hyp: str, tgt: str, source_lang: str) -> list[Diagnostic]:
    """Same script, other language (French for English): py3langid decides, only when it is sure."""
    from mtqe.errors import CorpusError
    from mtqe.langid import base_code

    try:
        guess = _identifier().guess(hyp, tgt)
    except CorpusError:  # py3langid missing: script evidence only (docs/diagnostics.md)
        return []
    if guess is None or not guess.clear_mismatch:
        return []
    check = "untranslated" if guess.lang == base_code(source_lang) else "wrong_language"
    return [Diagnostic(check, "major", f"reads as {guess.lang!r} (py3langid {guess.probability:.2f}), not {tgt!r}")]


@functools.cache
def _identifier():
    """One py3langid model per process, loaded on the first Latin-script output (read-only)."""
    from mtqe.langid import LanguageIdentifier

    return LanguageIdentifier()


def _kana_in_chinese(segment: Segment, counts, letters: int, source_lang: str) -> list[Diagnostic]:
    if counts["kana"] == 0:
        return []
    check = "untranslated" if source_lang == "ja" else "wrong_language"
    share = counts["kana"] / letters
    spans = runs_of(segment.hypothesis, "kana")
    if share > 0.15:
        return [Diagnostic(check, "major", f"Japanese kana in the Chinese output ({share:.0%} of the letters)",
                           (spans[0][0], spans[-1][1]))]
    return [Diagnostic(check, "minor", f"kana inside Chinese output: {segment.hypothesis[s:e]!r}", (s, e))
            for s, e in spans]
