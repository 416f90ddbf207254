"""A SYNTHETIC English text of jpus-2022, built by the tests — NOT the official statement.

The official English text (White House) is not in the repository and must never be invented.
For the English pairs the tests need *an* English text with the document's structure, so this
module builds one from the cleaned Japanese seed: one placeholder English sentence per
Japanese sentence, block kinds kept (Markdown ``#`` title, ``##`` headings), each sentence
about as long as an English translation would be (the en→ja length model's c), carrying the
Japanese sentence's numbers and Latin-script tokens (the aligner's anchors). Every sentence
says it is a placeholder, and every one contains ``U.S.`` (and the first ``Jr.``), which must
not split it. The text is written into a test's tmp project and registered there with
``mtqe corpus add``; it is never written to ``mtqe/references/``.
"""

from __future__ import annotations

import re
from pathlib import Path

from mtqe.corpus.align.length_model import LENGTH_MODELS, char_length
from mtqe.corpus.loader import load_clean_text
from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.paths import BUNDLED_REFERENCES
from mtqe.corpus.segment import split_sentences

MARKER = "SYNTHETIC TEST TEXT"
_FILLER = "placeholder words stand here for the English wording the test does not have".split()
_ANCHOR = re.compile(r"[0-9A-Za-z][0-9A-Za-z+.-]*[0-9A-Za-z]|[0-9]")


def _sentence(ja: str, *, first: bool) -> str:
    target = round(char_length(ja) / LENGTH_MODELS[("en", "ja")].c)
    anchors = " ".join(dict.fromkeys(_ANCHOR.findall(ja)))
    words = ["A placeholder sentence of the synthetic test text:", "the U.S. side"]
    if first:
        words.append("and Joseph R. Biden, Jr. of the U.S.")
    if anchors:
        words.append(f"({anchors})")
    k = 0
    while char_length(" ".join(words)) < target:
        words.append(_FILLER[k % len(_FILLER)])
        k += 1
    return " ".join(words) + "."


def synthetic_english_markdown() -> str:
    """The synthetic text as Markdown: ``#`` title, ``##`` headings, paragraphs of placeholders."""
    manifest = load_manifest(BUNDLED_REFERENCES)
    ja = load_clean_text(manifest.documents["jpus-2022"].texts["ja-mofa"])
    parts = []
    for b, block in enumerate(ja.blocks):
        if block.kind != "paragraph":
            mark = "#" if block.kind == "title" else "##"
            parts.append(f"{mark} A placeholder heading of the {MARKER} (U.S.)")
            continue
        sentences = split_sentences(block.text, "ja")
        parts.append(" ".join(_sentence(s, first=(b, k) == (1, 0))
                              for k, s in enumerate(sentences)))
    return "\n\n".join(parts) + "\n"


def write_synthetic_english(folder: Path) -> Path:
    path = Path(folder) / "synthetic-en.md"
    path.write_text(synthetic_english_markdown(), encoding="utf-8")
    return path
