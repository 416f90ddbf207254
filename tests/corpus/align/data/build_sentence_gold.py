"""Rebuild ``jpus2022_sentence_gold.jsonl`` from the seed files and the decisions below.

The gold links were decided by reading every ja-mofa / zh-community block pair of jpus-2022
(docs/corpus.md, "Sentence gold set"). The strings are never typed in: they are taken from
the registered seed files through the project's own cleaning and ``split_sentences``, so the
gold set holds spans of the seeds only. Running this script again must reproduce the file
byte for byte (``test_sentence_gold_is_reproducible``); if a cleaner or the sentence splitter
changes the spans, the decisions have to be checked again by a person.

Usage: python tests/corpus/align/data/build_sentence_gold.py [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mtqe.corpus.loader import load_parallel_document
from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.segment import split_sentences

DOC, SRC, TGT, TEXT = "jpus-2022", "ja", "zh", "zh-community"
OUT = Path(__file__).with_name("jpus2022_sentence_gold.jsonl")
REFERENCES = Path(__file__).resolve().parents[4] / "mtqe" / "references"

# Every block pair was read sentence by sentence. In all blocks not listed here the i-th ja
# sentence and the i-th zh sentence say the same thing, and the counts agree: the links are
# 1-1 by position. The n:m cases found:
NM_LINKS: dict[int, list[tuple[list[int], list[int], str]]] = {
    7: [
        ([0], [0], ""), ([1], [1], ""), ([2], [2], ""), ([3], [3], ""),
        ([4, 5], [4], ("2-1: zh sentence 4 has two halves joined by '；'; the half before it "
                       "renders ja sentence 4, the half after it (东盟…AUKUS…) ja sentence 5")),
        ([6], [5], ""),
    ],
    14: [
        ([0], [0], ""), ([1], [1], ""),
        ([2], [2, 3], ("1-2: the ja sentence ends with Biden's support (…バイデン大統領は、これを強く"
                       "支持した); zh makes that a sentence of its own")),
    ],
}


def build() -> list[dict[str, object]]:
    doc = load_parallel_document(load_manifest(REFERENCES), DOC, SRC, TGT)
    rows: list[dict[str, object]] = []
    for block, segment in enumerate(doc.segments):
        ja = split_sentences(segment.source, SRC)
        zh = split_sentences(segment.targets[TEXT], TGT)
        if block in NM_LINKS:
            decisions = NM_LINKS[block]
        else:
            if len(ja) != len(zh):
                raise SystemExit(f"block {block}: {len(ja)} ja vs {len(zh)} zh sentences and no decision recorded")
            decisions = [([i], [i], "") for i in range(len(ja))]
        for number, (ja_idx, zh_idx, note) in enumerate(decisions):
            rows.append({
                "id": f"{segment.seg_id}.l{number:02d}",
                "block": block,
                "kind": segment.kind,
                "ja_indices": ja_idx,
                "zh_indices": zh_idx,
                "shape": f"{len(ja_idx)}-{len(zh_idx)}",
                "ja": [ja[i] for i in ja_idx],
                "zh": [zh[j] for j in zh_idx],
                "note": note,
            })
    return rows


def render(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the stored file")
    args = parser.parse_args()
    text = render(build())
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("up to date" if same else "differs")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({text.count(chr(10))} links)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
