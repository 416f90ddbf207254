"""Character classes shared by the cleaners and the sentence splitter.

Kept in one place so that "what ends a sentence" and "which lines join without a space"
mean the same thing when a PDF paragraph is rejoined and when it is later split.
"""

from __future__ import annotations

# Sentence-final punctuation. Full-width forms are CJK; the ASCII forms also end CJK
# sentences in practice (``!``/``?``), but ASCII ``.`` does not (``U.S.``, ``3.5``).
CJK_TERMINATORS = frozenset("。．！？!?")
LATIN_TERMINATORS = frozenset(".!?")
ALL_TERMINATORS = CJK_TERMINATORS | LATIN_TERMINATORS | frozenset("…")

# Opening → closing bracket/quote pairs that a sentence must never be split inside.
# ‘’ are left out on purpose: ’ is also the English apostrophe (Leaders’ Statement).
BRACKET_PAIRS: dict[str, str] = {
    "「": "」",
    "『": "』",
    "（": "）",
    "(": ")",
    "“": "”",
    "《": "》",
    "〈": "〉",
    "【": "】",
    "〔": "〕",
    "［": "］",
    "[": "]",
    "｛": "｝",
    "{": "}",
}
CLOSING_BRACKETS = frozenset(BRACKET_PAIRS.values())
# A sentence may end in a terminator followed by closers: 「…した。」, (…)., “…?”
TRAILING_CLOSERS = CLOSING_BRACKETS | frozenset("\"'’")

# Characters after which (or before which) a line break inside a paragraph is dropped rather
# than turned into a space: CJK text is written without spaces.
_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x3000, 0x303F),  # CJK symbols and punctuation (、。「」…)
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0xFF00, 0xFFEF),  # Half-width and full-width forms (，：（）)
    (0x20000, 0x3134F),  # CJK Extensions B–G
)


def is_cjk(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def normalize_space(text: str) -> str:
    """Collapse every run of whitespace (including U+3000 and NBSP) to one space; strip ends."""
    return " ".join(text.split())


def join_lines(lines: list[str]) -> str:
    """Join the physical lines of one paragraph.

    A break between two lines becomes nothing when either neighbour is a CJK character
    (``…不透明な形`` + ``で締結…``) and one space otherwise (``IPEF`` + ``partners``).
    """
    joined = ""
    for line in lines:
        piece = normalize_space(line)
        if not piece:
            continue
        if joined and not (is_cjk(joined[-1]) or is_cjk(piece[0])):
            joined += " "
        joined += piece
    return joined


def ends_with_terminator(text: str) -> bool:
    """Whether ``text`` ends a sentence: a terminator, possibly followed by closing quotes."""
    stripped = text.rstrip()
    while stripped and stripped[-1] in TRAILING_CLOSERS:
        stripped = stripped[:-1].rstrip()
    return bool(stripped) and stripped[-1] in ALL_TERMINATORS
