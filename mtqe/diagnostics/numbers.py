"""Numbers, years, dates, percentages and quantities: the source's must be the output's.

Values are compared, not strings, after normalising across scripts: full-width digits (NFKC),
grouped digits (``1,000``), kanji numerals (``二〇二二``, ``二十`` = 20, ``三百五十``, ``第五条`` = 5),
multipliers (``5万`` = 50000, ``1.5 billion``), percentages (``50％``, ``百分之五十``) and English
month names next to a day or year (``May 23`` = 5, 23). Kanji numerals count only in a numeric
context (after 第, before a counter such as 年/月/日/条/回/か国, or written digit by digit with 〇),
so words such as 一致 or 統一 are not numbers. A number inside a name (``COVID-19``, ``G7``) is
checked as the name: it is fine when the output has the name or a known rendering of it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from mtqe.diagnostics.model import Diagnostic, Segment

KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "両": 2, "三": 3, "四": 4, "五": 5,
                "六": 6, "七": 7, "八": 8, "九": 9}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8, "兆": 10**12}
WORD_MULTIPLIERS = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"), start=1)}
# After a kanji run, these make it a number (dates, articles, counts, shares, times).
COUNTERS = "年月日条條項项章節节回次度人名国國か国カ国ヶ国个個倍％%周歳岁号號期位件"

# Names whose digits are part of the name, and how outputs commonly render them.
NAME_RENDERINGS = {
    "g7": ("g7", "七国集团", "七國集團", "主要7か国", "主要7カ国", "主要七か国", "group of seven"),
    "g20": ("g20", "二十国集团", "二十國集團", "20か国", "20カ国", "group of twenty"),
    "covid-19": ("covid-19", "covid", "新冠", "新型冠状", "新型冠狀", "新型コロナ", "コロナ"),
}

# A kanji numeral before these is part of a word ("bilateral", "trilateral"), not a count.
NOT_COUNTS_AFTER = ("国間", "国间", "國間", "か国間", "カ国間", "国伙伴", "国伙伴", "方伙伴", "边", "邊")
LONE_NON_NUMBERS = frozenset({"一", "两", "兩", "両", "零"})
_RENDERED_NAMES = re.compile("|".join(
    re.escape(r) for names in NAME_RENDERINGS.values() for r in sorted(names, key=len, reverse=True)
    if any(ch.isdigit() or ch in "七二十" for ch in r)
), re.IGNORECASE)
_ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"
_NAME = re.compile(r"[A-Za-z]+[-‐]?\d+[A-Za-z]*")
_ARABIC_RE = re.compile(rf"({_ARABIC})(?:\s*([万萬亿億兆])|\s+(thousand|million|billion|trillion)\b)?", re.IGNORECASE)
_KANJI_RE = re.compile(r"(第)?([〇零一二两兩両三四五六七八九十百千万萬亿億兆]+)(?=([" + COUNTERS + r"]))?")
_PERCENT_ZH = re.compile(r"百分之([〇零一二两兩三四五六七八九十百千]+|\d+(?:\.\d+)?)")
_MONTH_RE = re.compile(r"\b(" + "|".join(MONTHS) + r")\b(?=\s+\d)|(?<=\d\s)(" + "|".join(MONTHS) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    value: float
    text: str
    span: tuple[int, int]


def kanji_value(run: str) -> int:
    """``二〇二二`` → 2022 (digit by digit), ``三百五十`` → 350, ``一万二千`` → 12000."""
    if len(run) > 1 and all(ch in KANJI_DIGITS for ch in run):
        return int("".join(str(KANJI_DIGITS[ch]) for ch in run))
    total = section = current = 0
    for ch in run:
        if ch in KANJI_DIGITS:
            current = KANJI_DIGITS[ch]
        elif ch in SMALL_UNITS:
            section += (current or 1) * SMALL_UNITS[ch]
            current = 0
        elif ch in BIG_UNITS:
            total += (section + current or 1) * BIG_UNITS[ch]
            section = current = 0
    return total + section + current


def normalize(text: str) -> str:
    """NFKC (full-width digits and ％ become ASCII); the length can change, so spans refer to this text."""
    return unicodedata.normalize("NFKC", text)


def names_in(text: str) -> list[str]:
    """Tokens whose digits belong to a name (``COVID-19``, ``G7``), lower-cased."""
    return [m.group(0).lower().replace("‐", "-") for m in _NAME.finditer(normalize(text))]


def numbers_in(text: str) -> list[Mention]:
    """Every numeric value in ``text`` (names' digits excluded), with its span in the NFKC text."""
    norm = normalize(text)
    masked = _NAME.sub(lambda m: " " * len(m.group(0)), norm)
    masked = _RENDERED_NAMES.sub(lambda m: " " * len(m.group(0)), masked)  # 七国集团 is G7, not 7
    found: list[Mention] = []
    taken = [False] * len(masked)

    def add(value: float, start: int, end: int) -> None:
        if not any(taken[start:end]):
            found.append(Mention(value, norm[start:end], (start, end)))
            taken[start:end] = [True] * (end - start)

    for m in _PERCENT_ZH.finditer(masked):
        body = m.group(1)
        add(float(body) if body[0].isdigit() else float(kanji_value(body)), m.start(), m.end())
    for m in _ARABIC_RE.finditer(masked):
        value = float(m.group(1).replace(",", ""))
        unit = (m.group(2) or m.group(3) or "").lower()
        value *= BIG_UNITS.get(unit, WORD_MULTIPLIERS.get(unit, 1))
        add(value, m.start(), m.end())
    for m in _KANJI_RE.finditer(masked):
        run = m.group(2)
        numeric = m.group(1) or m.group(3) or (len(run) > 1 and ("〇" in run or "零" in run))
        # A lone 一 / 两 / 零 is an article, "both" or "zero-" far more often than a number
        # (一个, 两国 = 両国, 零排放), unless after 第.
        if run in LONE_NON_NUMBERS and not m.group(1):
            continue
        if masked.startswith(NOT_COUNTS_AFTER, m.end(2)):  # 二国間 = bilateral, 三国伙伴关系 = trilateral
            continue
        if numeric and any(ch in KANJI_DIGITS or ch in SMALL_UNITS for ch in run):
            add(float(kanji_value(run)), m.start(2), m.end(2))
    for m in _MONTH_RE.finditer(masked):
        name = (m.group(1) or m.group(2)).lower()
        add(float(MONTHS[name]), m.start(), m.end())
    return sorted(found, key=lambda mention: mention.span)


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def check_numbers(segment: Segment) -> list[Diagnostic]:
    src = Counter(m.value for m in numbers_in(segment.source))
    hyp_mentions = numbers_in(segment.hypothesis)
    hyp = Counter(m.value for m in hyp_mentions)
    out: list[Diagnostic] = []
    missing = src - hyp
    if missing:
        out.append(Diagnostic("number", "major", "source number(s) missing from the output: "
                              + ", ".join(_fmt(v) for v in sorted(missing.elements()))))
    extra = hyp - src
    for value in sorted(extra):
        mention = next(m for m in hyp_mentions if m.value == value)
        out.append(Diagnostic("number", "major" if not missing else "minor",
                              f"number {mention.text!r} ({_fmt(value)}) is not in the source", mention.span))
    out += _name_numbers(segment)
    return out


def _letters(name: str) -> str:
    return re.sub(r"[-‐]?\d+[a-z]*$", "", name)


def _name_numbers(segment: Segment) -> list[Diagnostic]:
    hyp = normalize(segment.hypothesis).lower()
    source_names = set(names_in(segment.source))
    prefixes = {_letters(name) for name in source_names}
    # A name the source has with other digits (G7 → G8); a name the output merely spells out
    # where the source used words (新型コロナ → COVID-19) is not a number error.
    out = [
        Diagnostic("number", "major", f"name with a number {name!r} differs from the source's")
        for name in dict.fromkeys(names_in(segment.hypothesis))
        if name not in source_names and _letters(name) in prefixes
    ]
    for name in dict.fromkeys(names_in(segment.source)):
        renderings = NAME_RENDERINGS.get(name, (name,))
        letters = _letters(name)
        if not any(r in hyp for r in renderings) and not (name not in NAME_RENDERINGS and letters and letters in hyp):
            out.append(Diagnostic("number", "minor", f"name with a number {name!r} not found in the output"))
    return out
