"""Which writing systems a text uses: the evidence of the language checks (no model needed)."""

from __future__ import annotations

import unicodedata
from collections import Counter


def script_of(char: str) -> str | None:
    """han | kana | hangul | latin | cyrillic | other letters; None for digits, punctuation, space."""
    code = ord(char)
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D:
        return "kana" if char not in "ー・" else None
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
        return "hangul"
    if not unicodedata.category(char).startswith("L"):
        return None
    name = unicodedata.name(char, "")
    if name.startswith("LATIN") or ("A" <= char <= "z"):
        return "latin"
    if name.startswith("CYRILLIC"):
        return "cyrillic"
    return "other"


def script_counts(text: str) -> Counter:
    return Counter(s for s in map(script_of, text) if s)


def runs_of(text: str, script: str, min_length: int = 1) -> list[tuple[int, int]]:
    """Spans of consecutive characters in ``script`` (at least ``min_length`` long)."""
    spans, start = [], None
    for i, ch in enumerate(text + "\0"):
        if script_of(ch) == script:
            start = i if start is None else start
        elif start is not None:
            if i - start >= min_length:
                spans.append((start, i))
            start = None
    return spans
