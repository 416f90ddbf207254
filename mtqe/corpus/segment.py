"""Sentence splitting for ja / zh (unspaced scripts) and en (and other spaced scripts).

Rules (documented in docs/corpus.md):

* Never split inside a matched pair of brackets or quotes: 「」『』（）()“”《》〈〉【】〔〕［］[]{}
  and ASCII ``"``. Pairs are matched with a stack first; an opener that is never closed (or a
  stray closer) does not protect anything, so one typo cannot glue a whole paragraph together.
  ‘’ are not treated as quotes because ’ is also the English apostrophe.
* Unspaced scripts (ja, zh, zh-Hant): a sentence ends after a run of 。．！？!? (and …) that is
  outside every bracket pair; unmatched closers and whitespace that follow it stay with it.
  ASCII ``.`` does not end a CJK sentence (``U.S.``, ``3.5``). A terminator directly before a
  closing quote (``“……。”拜登说``) is inside the pair and does not split.
  Contract: ``"".join(split_sentences(t, lang)) == t`` — nothing is added, lost or reordered.
* Spaced scripts (en, ko, fr, de, es, ru): whitespace is normalised first (runs collapse to one
  space, ends stripped). A sentence ends after ``.``/``!``/``?``/``…`` (and closing quotes or
  brackets) that is outside every pair, followed by a space and then an upper-case letter, a
  digit or an opening quote/bracket — unless the word before the period is a known
  abbreviation (``Mr.``, ``Jr.``, ``No.``, ``e.g.``), a single-letter initial (``Joseph R.
  Biden``) or an initialism of single letters and periods (``U.S.``, ``U.N.``, ``D.C.``,
  ``H.E.``). ``a.m.``/``p.m.`` are the exception among initialisms: they often end a
  sentence, so they end one unless a time-zone code follows (``10 a.m. EST``). A decimal
  point has no space after it and never ends a sentence (``3.5``). The price of the rule: a
  sentence that really ends in ``U.S.`` is joined to the next one (the n:m aligner links
  the pair 2-1).
  Contract: ``" ".join(split_sentences(t, lang)) == " ".join(t.split())``.

The signature is meant to outlive this implementation (a later change may delegate to pysbd).
"""

from __future__ import annotations

import re
from typing import Sequence

from mtqe.corpus.chars import BRACKET_PAIRS, CJK_TERMINATORS, LATIN_TERMINATORS, TRAILING_CLOSERS
from mtqe.languages import get_language

_CJK_RUN = CJK_TERMINATORS | frozenset("…")
_LATIN_RUN = LATIN_TERMINATORS | frozenset("…")
_ASCII_QUOTE = '"'
# Lower-case, without the final period. Only words that commonly take a period mid-sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt vs etc e.g i.e cf al fig no nos vol pp inc ltd co corp
    dept gov gen col lt sgt capt adm sen rep amb pres u.s u.k u.n e.u jan feb mar apr jun jul
    aug sep sept oct nov dec approx est art arts para paras sec hon rt maj cmdr messrs""".split()
)
# a.m./p.m. end a sentence ("They met at 10 a.m. The talks…") unless a time-zone code follows.
_TIME_OF_DAY = frozenset({"a.m", "p.m"})
_TIME_ZONE = re.compile(r"[A-Z]{2,4}\b")
# U.S., U.N., e.g., D.C., H.E. (without the final period): single letters joined by periods.
_INITIALISM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")


def split_sentences(text: str, lang: str) -> list[str]:
    """Split one paragraph into sentences (see the module docstring for the rules)."""
    language = get_language(lang)
    if language.spaced:
        return _split_spaced(text)
    return _split_unspaced(text)


def join_sentences(sentences: Sequence[str], lang: str) -> str:
    """Inverse of :func:`split_sentences`: concatenation for CJK, one space otherwise."""
    language = get_language(lang)
    return " ".join(sentences) if language.spaced else "".join(sentences)


def _protected(text: str) -> list[bool]:
    """``blocked[b]`` is True when cutting before ``text[b]`` would separate a matched pair."""
    blocked = [False] * (len(text) + 1)
    stack: list[tuple[str, int]] = []  # (expected closer, position of opener)
    for index, char in enumerate(text):
        if char == _ASCII_QUOTE:
            if stack and stack[-1][0] == _ASCII_QUOTE:
                _close(stack, len(stack) - 1, index, blocked)
            else:
                stack.append((_ASCII_QUOTE, index))
        elif char in BRACKET_PAIRS:
            stack.append((BRACKET_PAIRS[char], index))
        elif char in _CLOSERS:
            # Find the nearest opener this closes; openers above it were never closed.
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == char:
                    _close(stack, depth, index, blocked)
                    break
    return blocked


_CLOSERS = frozenset(BRACKET_PAIRS.values())


def _close(stack: list[tuple[str, int]], depth: int, end: int, blocked: list[bool]) -> None:
    start = stack[depth][1]
    del stack[depth:]
    for cut in range(start + 1, end + 1):
        blocked[cut] = True


def _split_unspaced(text: str) -> list[str]:
    blocked = _protected(text)
    sentences: list[str] = []
    start = 0
    index = 0
    while index < len(text):
        if text[index] not in _CJK_RUN:
            index += 1
            continue
        end = index
        while end < len(text) and text[end] in _CJK_RUN:
            end += 1
        if blocked[end]:
            index = end
            continue
        while end < len(text) and (text[end] in TRAILING_CLOSERS or text[end].isspace()) and not blocked[end + 1]:
            end += 1
        if end < len(text):
            sentences.append(text[start:end])
            start = end
        index = end
    if start < len(text):
        sentences.append(text[start:])
    return sentences


def _split_spaced(text: str) -> list[str]:
    normalized = " ".join(text.split())
    blocked = _protected(normalized)
    sentences: list[str] = []
    start = 0
    for cut in range(1, len(normalized) - 1):
        # A candidate cut is a space; the sentence is normalized[start:cut].
        if normalized[cut] != " " or blocked[cut] or blocked[cut + 1]:
            continue
        if _ends_spaced_sentence(normalized[start:cut], normalized[cut + 1 :]) and _starts_sentence(normalized[cut + 1]):
            sentences.append(normalized[start:cut])
            start = cut + 1
    if start < len(normalized):
        sentences.append(normalized[start:])
    return sentences


def _ends_spaced_sentence(candidate: str, following: str) -> bool:
    stripped = candidate
    while stripped and stripped[-1] in TRAILING_CLOSERS:
        stripped = stripped[:-1]
    if not stripped or stripped[-1] not in _LATIN_RUN:
        return False
    if stripped[-1] != ".":
        return True
    word = stripped.rsplit(" ", 1)[-1].lstrip("".join(BRACKET_PAIRS) + "\"'‘’")[:-1]
    if len(word) == 1 and word.isupper():
        return False  # an initial: Joseph R. Biden
    if word.lower() in _TIME_OF_DAY:
        return not _TIME_ZONE.match(following)
    if _INITIALISM.fullmatch(word):
        return False
    return word.lower() not in _ABBREVIATIONS


def _starts_sentence(char: str) -> bool:
    return char.isupper() or char.isdigit() or char in BRACKET_PAIRS or char in "\"'‘“"
