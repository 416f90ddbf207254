"""A labelled diagnostics set built from the seed texts: the community translation with recorded errors.

Every error is injected into a copy of the raw community Chinese text (seed 000), and recorded
so that precision and recall can be measured per check:

* ``omission``: a sentence deleted;
* ``addition``: a sentence inserted — taken verbatim from other seed texts (the RFI articles
  jpus-2024-rfi and jpuk-2023-rfi), never invented;
* ``number``: a digit changed in a sentence that has one (2022 → 2023);
* ``entity``: a Latin-script acronym of the source dropped from the sentence;
* ``untranslated``: a sentence replaced by its Japanese source segment.

Sites are chosen with a seeded RNG among segments whose sentence occurs verbatim in the raw
file, at least two segments apart, so each error is attributable to one segment.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from mtqe.corpus.loader import load_clean_text, load_parallel_document
from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.model import ParallelDocument
from mtqe.corpus.segment import split_sentences

KINDS = ("omission", "addition", "number", "entity", "untranslated")
_ACRONYM = re.compile(r"[A-Z]{2,}")


@dataclass(frozen=True)
class Injected:
    kind: str
    original: str  # the community sentence at the site (what locates its segment)
    detail: str


def _eligible(doc: ParallelDocument, raw: str) -> list[tuple[int, str, str]]:
    """(segment index, zh sentence, ja source) for single-sentence segments found verbatim in the raw text."""
    out = []
    for i, seg in enumerate(doc.segments):
        zh = seg.targets["zh-community"]
        if "\n" not in zh and len(zh) >= 20 and raw.count(zh) == 1 and split_sentences(zh, "zh") == [zh]:
            out.append((i, zh, seg.source))
    return out


FOREIGN_TEXTS = ("jpus-2024-rfi", "jpuk-2023-rfi")  # the RFI Chinese articles among the seeds


def foreign_sentences(references: Path) -> list[str]:
    """Complete Chinese sentences of other seed texts (the RFI articles), verbatim."""
    documents = load_manifest(references).documents
    out = []
    for doc_id in FOREIGN_TEXTS:
        for spec in documents[doc_id].texts.values():
            text = load_clean_text(spec)
            out += [s for b in text.blocks if b.kind == "paragraph" for s in split_sentences(b.text, "zh")
                    if 25 <= len(s) <= 80 and s.endswith(("。", "！", "？"))]
    return out


def build_injected(
    references: Path, kinds: tuple[str, ...] = KINDS, per_kind: int = 6, seed: int = 7
) -> tuple[bytes, list[Injected]]:
    """A copy of the raw community text with ``per_kind`` errors of each of ``kinds``, and their record."""
    manifest = load_manifest(references)
    spec = manifest.documents["jpus-2022"].texts["zh-community"]
    raw = spec.path.read_text(encoding="utf-8")
    doc = load_parallel_document(manifest, "jpus-2022", "ja", "zh", unit="sentence")
    rng = random.Random(seed)
    sites = _eligible(doc, raw)
    rng.shuffle(sites)
    used: set[int] = set()
    foreign = foreign_sentences(references)
    rng.shuffle(foreign)
    records: list[Injected] = []
    edits: list[tuple[str, str]] = []
    for kind in kinds:
        count = 0
        for index, zh, ja in sites:
            if count == per_kind or any(abs(index - u) < 3 for u in used):
                continue
            new = _edit(kind, zh, ja, foreign)
            if new is None:
                continue
            used.add(index)
            edits.append((zh, new))
            records.append(Injected(kind, zh, new if kind != "omission" else ""))
            count += 1
    for old, new in edits:
        raw = raw.replace(old, new, 1)
    return raw.encode("utf-8"), records


def _edit(kind: str, zh: str, ja: str, foreign: list[str]) -> str | None:
    if kind == "omission":
        return ""
    if kind == "addition":
        return zh + foreign.pop() if foreign else None
    if kind == "number":
        match = re.search(r"\d", zh)
        if not match or not re.search(r"\d", ja):
            return None
        digit = str((int(match.group(0)) + 1) % 10)
        return zh[: match.start()] + digit + zh[match.end():]
    if kind == "entity":
        acronyms = [a for a in _ACRONYM.findall(zh) if a in ja]
        return zh.replace(acronyms[0], "", 1) if acronyms else None
    if kind == "untranslated":
        return ja if len(ja) >= 20 else None
    raise ValueError(kind)
