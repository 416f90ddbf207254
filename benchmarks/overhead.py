"""Framework overhead: mtqe's translate path vs a bare ``model.generate`` loop, same work.

Usage (from the repository root, offline)::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/overhead.py            # waits for load < 1.5
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/overhead.py --no-wait --repeats 3

Three sides translate the same sentences (the seed document jpus-2022, split into sentences
the way ``sentence_split: true`` does, 117 unique) with the same OPUS-MT-size Marian (random
weights, see ``_bench.py``), the same loaded model object, float32, greedy, batches of 8, and a
fixed output length (``min_new_tokens = max_new_tokens``), so each does identical model work:

* ``bare``: the length-sorted batches precomputed (outside the timing), then per batch
  tokenizer → ``model.generate`` → ``batch_decode``: what a hand-written script does;
* ``translator``: ``HFSeq2SeqTranslator.translate(sentences)`` (length measuring, batching,
  language plan, decoding, bookkeeping);
* ``system``: ``MTSystem.produce(document)`` with the translation cache disabled (adds
  sentence splitting, de-duplication and joining back into paragraphs).

The outputs of ``bare`` and ``translator`` are checked to be identical. Overhead is
``median(side) / median(bare) - 1``; the goal is <= 5 %. Results: ``benchmarks/results/overhead-t<threads>.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bench  # after the sys.path line above

BATCH_SIZE = 8
MAX_BATCH_TOKENS = 100_000  # no token budget: only the batch size shapes the batches


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per side (median reported)")
    parser.add_argument("--new-tokens", type=int, default=24, help="fixed output length per sentence")
    parser.add_argument("--beams", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads")
    _bench.add_quiet_arguments(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    quiet = _bench.quiet_or_none(args)
    if quiet is None:
        return 3
    import torch

    _bench.set_threads(args.threads)

    from mtqe.corpus.loader import load_parallel_document
    from mtqe.corpus.manifest import load_manifest
    from mtqe.corpus.segment import split_sentences
    from mtqe.systems.batching import length_sorted_batches
    from mtqe.systems.configs import BatchingConfig, HFSeq2SeqConfig
    from mtqe.systems.hf_seq2seq import HFSeq2SeqTranslator
    from mtqe.systems.mt_system import MTSystem

    model_dir = _bench.build_opus_size_marian()
    doc = load_parallel_document(load_manifest(_bench.REPO / "mtqe" / "references"), "jpus-2022", "ja", "zh")
    sentences = list(dict.fromkeys(s for p in doc.sources for s in split_sentences(p, "ja") if s.strip()))
    n = args.new_tokens
    cfg = HFSeq2SeqConfig(
        type="hf_seq2seq",
        name="opus-size",
        model=str(model_dir),
        device="cpu",
        dtype="float32",
        num_beams=args.beams,
        max_new_tokens=n,
        sentence_split=True,
        batching=BatchingConfig(batch_size=BATCH_SIZE, max_batch_tokens=MAX_BATCH_TOKENS),
    )
    translator = HFSeq2SeqTranslator(cfg=cfg)
    model, tokenizer = translator.model, translator.tokenizer  # loads once, shared by all sides
    model.generation_config.min_new_tokens = n  # fixed length for the translator's generate() too
    system = MTSystem(cfg=cfg, translator_factory=lambda: translator, cache=None)

    lengths = [len(row) for row in tokenizer(sentences)["input_ids"]]
    batches = [
        [sentences[i] for i in batch.indices]
        for batch in length_sorted_batches(lengths, max_size=BATCH_SIZE, max_tokens=MAX_BATCH_TOKENS)
    ]

    def bare() -> dict[str, str]:
        out: dict[str, str] = {}
        with torch.inference_mode():
            for batch in batches:
                enc = tokenizer(batch, return_tensors="pt", padding=True, truncation=True, max_length=512)
                ids = model.generate(**enc, num_beams=args.beams, max_new_tokens=n, min_new_tokens=n)
                out.update(zip(batch, tokenizer.batch_decode(ids, skip_special_tokens=True)))
        return out

    def via_translator() -> dict[str, str]:
        return dict(zip(sentences, translator.translate(sentences, src_lang="ja", tgt_lang="zh")))

    def via_system() -> tuple[str, ...]:
        return system.produce(doc).hypotheses

    via_translator()  # warm-up (first-call allocations, oneDNN primitive caches)
    sides = {"bare": bare, "translator": via_translator, "system": via_system}
    samples, results = _bench.interleaved(sides, args.repeats)
    same = {k: v.strip() for k, v in results["bare"].items()} == results["translator"]
    base = _bench.median_seconds(samples["bare"])
    base_cpu = _bench.median_cpu_seconds(samples["bare"])
    rows = {
        name: {
            **_bench.summary(s),
            "overhead_pct": round(100 * (_bench.median_seconds(s) / base - 1), 2),
            "overhead_cpu_pct": round(100 * (_bench.median_cpu_seconds(s) / base_cpu - 1), 2),
        }
        for name, s in samples.items()
    }
    tokens = len(sentences) * n
    print(
        f"{len(sentences)} sentences x {n} tokens, beams {args.beams}, batch {BATCH_SIZE}, float32, {args.threads} thread(s)"
    )
    print("| side       | wall s | overhead (wall) | CPU s | overhead (CPU) | tokens/s | max load | min CPU util |")
    print("|------------|-------:|----------------:|------:|---------------:|---------:|---------:|-------------:|")
    for name, row in rows.items():
        print(
            f"| {name:10s} | {row['median_s']:6.2f} | {row['overhead_pct']:+14.1f}% | {row['median_cpu_s']:5.2f} | "
            f"{row['overhead_cpu_pct']:+13.1f}% | {tokens / row['median_s']:8.1f} | {row['max_load']:8.2f} | "
            f"{row['min_cpu_util']:12.2f} |"
        )
    print(f"bare and translator outputs identical: {same}")
    path = _bench.write_results(
        f"overhead-t{args.threads}",
        {
            "machine": _bench.machine(),
            "quiet": quiet,
            "workload": {
                "model": "opus-size-marian (random weights)",
                "sentences": len(sentences),
                "new_tokens": n,
                "beams": args.beams,
                "batch_size": BATCH_SIZE,
                "dtype": "float32",
                "threads": args.threads,
                "repeats": args.repeats,
            },
            "sides": rows,
            "outputs_identical": same,
            "command": "HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/overhead.py " + " ".join(argv or sys.argv[1:]),
        },
    )
    print(f"results: {path.relative_to(_bench.REPO)}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
