"""The jpus-2022 sentence gold set and the two ways the tests score an aligner on it.

* ``per_paragraph``: sentences are aligned inside each gold block pair (what the pipeline
  does after paragraph alignment);
* ``flat``: all sentences of the document in one alignment problem, no paragraph boundaries
  (harder: a mistake can cross paragraphs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtqe.corpus.align.gold_eval import LinkKey, LinkScores, link_scores
from mtqe.corpus.align.link_cost import LinkCostParams
from mtqe.corpus.align.sentences import align_sentences

GOLD_PATH = Path(__file__).resolve().parent / "data" / "jpus2022_sentence_gold.jsonl"


@dataclass(frozen=True)
class GoldBlock:
    block: int
    ja: list[str]
    zh: list[str]
    links: list[LinkKey]


def load_gold() -> list[dict[str, Any]]:
    return [json.loads(line) for line in GOLD_PATH.read_text(encoding="utf-8").splitlines()]


def gold_blocks() -> list[GoldBlock]:
    rows = load_gold()
    blocks: dict[int, GoldBlock] = {}
    for row in rows:
        block = blocks.setdefault(row["block"], GoldBlock(row["block"], [], [], []))
        block.ja.extend(row["ja"])
        block.zh.extend(row["zh"])
        block.links.append((tuple(row["ja_indices"]), tuple(row["zh_indices"])))
    return [blocks[k] for k in sorted(blocks)]


def per_paragraph(embedder: Any = None, params: LinkCostParams | None = None) -> LinkScores:
    predicted: list[Any] = []
    gold: list[Any] = []
    for block in gold_blocks():
        links = align_sentences(block.ja, block.zh, src_lang="ja", tgt_lang="zh", embedder=embedder, params=params)
        predicted += [(block.block, l.src_indices, l.tgt_indices) for l in links]
        gold += [(block.block, *link) for link in block.links]
    return link_scores(predicted, gold)


def flat(embedder: Any = None, params: LinkCostParams | None = None) -> LinkScores:
    ja: list[str] = []
    zh: list[str] = []
    gold: list[LinkKey] = []
    for block in gold_blocks():
        gold += [(tuple(i + len(ja) for i in s), tuple(j + len(zh) for j in t)) for s, t in block.links]
        ja += block.ja
        zh += block.zh
    links = align_sentences(ja, zh, src_lang="ja", tgt_lang="zh", embedder=embedder, params=params)
    return link_scores([(l.src_indices, l.tgt_indices) for l in links], gold)


def perturbations() -> list[tuple[int, list[str], list[str], list[LinkKey]]]:
    """Harder cases made from the gold blocks by editing the zh side (spans of the seed only).

    For every block with at least two zh sentences: each zh sentence deleted in turn (its ja
    partner becomes 1-0, or the 2-1 link loses a side) and each pair of neighbouring zh
    sentences concatenated (their links merge: 1-1 + 1-1 → 2-1).
    """
    cases = []
    for block in gold_blocks():
        if len(block.zh) < 2:
            continue
        for d in range(len(block.zh)):
            zh = block.zh[:d] + block.zh[d + 1 :]
            expected = [(s, tuple(j if j < d else j - 1 for j in t if j != d)) for s, t in block.links]
            cases.append((block.block, block.ja, zh, expected))
        for m in range(len(block.zh) - 1):
            zh = block.zh[:m] + [block.zh[m] + block.zh[m + 1]] + block.zh[m + 2 :]
            merged: list[LinkKey] = []
            for s, t in block.links:
                t2 = tuple(sorted({j if j <= m else j - 1 for j in t}))
                if merged and set(merged[-1][1]) & set(t2):
                    merged[-1] = (merged[-1][0] + s, tuple(sorted(set(merged[-1][1]) | set(t2))))
                else:
                    merged.append((s, t2))
            cases.append((block.block, block.ja, zh, merged))
    return cases


def perturbed(embedder: Any = None, params: LinkCostParams | None = None) -> LinkScores:
    predicted: list[Any] = []
    gold: list[Any] = []
    for number, (_, ja, zh, expected) in enumerate(perturbations()):
        links = align_sentences(ja, zh, src_lang="ja", tgt_lang="zh", embedder=embedder, params=params)
        predicted += [(number, l.src_indices, l.tgt_indices) for l in links]
        gold += [(number, *link) for link in expected]
    return link_scores(predicted, gold)
