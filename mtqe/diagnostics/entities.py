"""Latin-script names, acronyms and other anchors of the source that the output lacks.

From a CJK source every Latin token (``ASEAN``, ``IPEF``, ``Quad``) is an anchor; from a Latin
source only acronyms (two or more capitals) are, since capitalised words are not reliably names.
An acronym is often rendered by its translated name (ASEAN → 东盟), so a missing acronym is
minor; a missing Latin word from a CJK source is major. Tokens with digits are the numbers
check's (``G7``).
"""

from __future__ import annotations

import re

from mtqe.diagnostics.model import Diagnostic, Segment
from mtqe.diagnostics.numbers import normalize
from mtqe.languages import is_cjk as is_cjk_language

_LATIN_TOKEN = re.compile(r"[A-Za-z][A-Za-z.&'-]*[A-Za-z]|[A-Z]")
_ACRONYM = re.compile(r"^[A-Z][A-Z&.-]*[A-Z]$")


def anchors(source: str, src_lang: str) -> list[str]:
    text = normalize(source)
    tokens = [m.group(0) for m in _LATIN_TOKEN.finditer(text) if not _has_digit_neighbour(text, m)]
    if not is_cjk_language(src_lang):
        tokens = [t for t in tokens if _ACRONYM.match(t)]
    return list(dict.fromkeys(t for t in tokens if len(t) > 1))


def _has_digit_neighbour(text: str, match: re.Match) -> bool:
    after = text[match.end(): match.end() + 2]
    return bool(after) and (after[0].isdigit() or (after[0] in "-‐" and after[1:2].isdigit()))


def check_entities(segment: Segment) -> list[Diagnostic]:
    if not segment.hypothesis.strip():
        return []  # an empty output is the omission check's
    hyp = normalize(segment.hypothesis).lower()
    out = []
    for token in anchors(segment.source, segment.src_lang):
        if token.lower() in hyp:
            continue
        acronym = bool(_ACRONYM.match(token))
        out.append(Diagnostic(
            "entity", "minor" if acronym else "major",
            f"{'acronym' if acronym else 'name'} {token!r} of the source is not in the output"
            + (" (it may be rendered by its translated name)" if acronym else ""),
        ))
    return out
