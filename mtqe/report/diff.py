"""Character-level differences between a system's output and a reference, as escaped HTML.

Characters, not words: Chinese and Japanese have no spaces, so a word diff would mark whole
sentences as changed.
"""

from __future__ import annotations

import html
from difflib import SequenceMatcher

# SequenceMatcher is quadratic in the worst case; beyond this many character pairs a
# segment is shown without highlighting rather than stalling the report on one long paragraph.
MAX_DIFF_CELLS = 4_000_000


def char_diff_html(hypothesis: str, reference: str) -> str | None:
    """The hypothesis as HTML with ``<ins>`` (in the output, not in the reference) and
    ``<del>`` (in the reference, missing from the output); every text piece is escaped.

    Returns None when the pair is too long to diff (see :data:`MAX_DIFF_CELLS`).
    """
    if len(hypothesis) * len(reference) > MAX_DIFF_CELLS:
        return None
    # autojunk=False: its heuristic treats characters that fill >1% of a text longer than
    # 200 characters as junk — in Chinese that is 的, 和, ， … and ruins the alignment.
    matcher = SequenceMatcher(None, reference, hypothesis, autojunk=False)
    parts: list[str] = []
    for op, r1, r2, h1, h2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(html.escape(hypothesis[h1:h2]))
            continue
        if op in ("delete", "replace"):
            parts.append(f"<del>{html.escape(reference[r1:r2])}</del>")
        if op in ("insert", "replace"):
            parts.append(f"<ins>{html.escape(hypothesis[h1:h2])}</ins>")
    return "".join(parts)
