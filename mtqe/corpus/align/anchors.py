"""Anchors: tokens a translation keeps verbatim, so they pin sentences to each other.

Numbers (years, counts: ``2022``, ``21``, ``2+2``) and Latin-script tokens (acronyms and
names written in Latin letters in ja/zh text: ``IPEF``, ``AUKUS``, ``COVAX``, ``G7``, ``G20``,
``UNCLOS``, and bracketed ones such as ``（ICBM）``) survive translation between ja and zh far
more often than any other surface form. Text is NFKC-normalised first, so full-width ``２０２２``
and ``ＩＰＥＦ`` match their ASCII forms; Latin tokens are compared in upper case.

When either side is written in Latin script (English), every word is a Latin token, so only
tokens that a translation into ja/zh keeps verbatim count: numbers, acronyms (two or more
capitals: ``IPEF``, ``ASEAN``, ``CoRe``) and codes with digits (``G7``) — ``Biden`` would be
written in kana or Han characters. ``anchors(text, latin_words=True)`` applies that filter,
to both sides of such a pair, so they are compared alike.

They are evidence, not constraints: translators drop or expand acronyms (MOFA writes
``G7 及び``, the community translation ``七国集团``), so a missing anchor costs little and a
shared one is worth a lot (see the weights in :mod:`mtqe.corpus.align.sentences`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

# A Latin token (letters, then letters/digits: G7, G20, CoRe) or a number (3.5 counts as one).
_ANCHOR = re.compile(r"[A-Za-z][A-Za-z0-9]*|\d+(?:\.\d+)?")


def anchors(text: str, *, latin_words: bool = False) -> Counter[str]:
    """The multiset of anchors of ``text`` (upper-cased Latin tokens and numbers).

    ``latin_words``: the pair has a Latin-script side, so plain words are not anchors (only
    numbers, acronyms and codes with digits; see the module docstring).
    """
    normalized = unicodedata.normalize("NFKC", text)
    tokens = (match.group(0) for match in _ANCHOR.finditer(normalized))
    if latin_words:
        tokens = (t for t in tokens if _kept_verbatim(t))
    return Counter(t.upper() for t in tokens)


def _kept_verbatim(token: str) -> bool:
    return any(c.isdigit() for c in token) or sum(c.isupper() for c in token) >= 2


def anchor_agreement(src: Counter[str], tgt: Counter[str]) -> tuple[int, int]:
    """(shared, unshared): anchors present on both sides (with multiplicity), and the rest."""
    shared = sum((src & tgt).values())
    unshared = sum(src.values()) + sum(tgt.values()) - 2 * shared
    return shared, unshared
