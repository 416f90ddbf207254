"""CTranslate2 int8 vs transformers float32 / bfloat16 on the CPU, OPUS-MT-size Marian.

Usage (from the repository root, offline)::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/ct2_vs_transformers.py          # waits for load < 1.5
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/ct2_vs_transformers.py --sentences 32 --no-wait

Both sides run through mtqe's translators (``HFSeq2SeqTranslator`` and ``Ct2Translator``), so
the numbers are what a run gets: the same sentences of jpus-2022 (split as ``sentence_split``
does), batches of 8, greedy and beam 4, and a fixed output length on both sides
(transformers ``min_new_tokens = max_new_tokens``, ctranslate2
``min_decoding_length = max_decoding_length``): every configuration generates exactly
``sentences x new_tokens`` tokens. The model is the random-weight OPUS-MT-size Marian of
``_bench.py``. Repetitions of all configurations of one beam size are interleaved; the median
is reported. The conversion to CTranslate2 (once, cached under ``$MTQE_BENCH_DIR/ct2``) and
model loads are timed separately and not part of the tokens/s.

Results: ``benchmarks/results/ct2_vs_transformers-t<threads>.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bench  # after the sys.path line above

BATCH_SIZE = 8
MAX_BATCH_TOKENS = 100_000


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=64, help="first N sentences of jpus-2022")
    parser.add_argument("--new-tokens", type=int, default=24, help="fixed output length per sentence")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--beams", default="1,4", help="comma-separated beam sizes")
    parser.add_argument("--hf-dtypes", default="float32,bfloat16")
    parser.add_argument("--ct2-types", default="int8,float32", help="ctranslate2 compute types (e.g. int8,float32)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads (torch and ctranslate2)")
    _bench.add_quiet_arguments(parser)
    return parser.parse_args(argv)


def hf_side(model_dir: Path, dtype: str, beams: int, n: int) -> tuple[Any, float]:
    from mtqe.systems.configs import BatchingConfig, HFSeq2SeqConfig
    from mtqe.systems.hf_seq2seq import HFSeq2SeqTranslator

    cfg = HFSeq2SeqConfig(
        type="hf_seq2seq",
        name=f"hf-{dtype}",
        model=str(model_dir),
        device="cpu",
        dtype=dtype,
        num_beams=beams,
        max_new_tokens=n,
        batching=BatchingConfig(batch_size=BATCH_SIZE, max_batch_tokens=MAX_BATCH_TOKENS),
    )
    translator = HFSeq2SeqTranslator(cfg=cfg)
    started = time.perf_counter()
    translator.model.generation_config.min_new_tokens = n  # loads the model
    return translator, time.perf_counter() - started


def ct2_side(
    model_dir: Path, compute_type: str, beams: int, n: int, threads: int, parallel_batches: int
) -> tuple[Any, float]:
    from mtqe.systems.configs import BatchingConfig, Ct2Config
    from mtqe.systems.ct2 import Ct2Translator

    cfg = Ct2Config(
        type="ctranslate2",
        name=f"ct2-{compute_type}",
        model=str(model_dir),
        device="cpu",
        compute_type=compute_type,
        beam_size=beams,
        max_decoding_length=n,
        threads=threads,
        parallel_batches=parallel_batches,
        batching=BatchingConfig(batch_size=BATCH_SIZE, max_batch_tokens=MAX_BATCH_TOKENS),
    )
    translator = Ct2Translator(cfg=cfg, cache_dir=_bench.WORK_DIR / "ct2", extra_options={"min_decoding_length": n})
    started = time.perf_counter()
    translator.load()  # converts (first time only) and loads
    return translator, time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    quiet = _bench.quiet_or_none(args)
    if quiet is None:
        return 3
    _bench.set_threads(args.threads)
    model_dir = _bench.build_opus_size_marian()
    sentences = _bench.jpus_sentences()[: args.sentences]
    n = args.new_tokens
    tokens = len(sentences) * n
    rows: list[dict[str, Any]] = []
    for beams in (int(b) for b in args.beams.split(",")):
        translators: dict[str, Any] = {}
        loads: dict[str, dict[str, Any]] = {}
        for dtype in args.hf_dtypes.split(","):
            translators[f"transformers {dtype}"], seconds = hf_side(model_dir, dtype, beams, n)
            loads[f"transformers {dtype}"] = {"load_s": round(seconds, 2)}
        # "1 batch": one batch at a time with all threads (ctranslate2's usual setting);
        # "parallel": mtqe's CPU default, one batch per thread, `threads` batches at once.
        layouts = {"1 batch": (args.threads, 1), "parallel": (1, args.threads)} if args.threads > 1 else {"1 batch": (1, 1)}
        for compute_type, (layout, (threads, parallel)) in (
            (c, item) for c in args.ct2_types.split(",") for item in layouts.items()
        ):
            name = f"ctranslate2 {compute_type}, {layout}"
            translators[name], seconds = ct2_side(model_dir, compute_type, beams, n, threads, parallel)
            facts = translators[name].describe()
            loads[name] = {
                "load_s": round(seconds, 2),
                "convert_s": facts["convert_seconds"],
                "conversion": facts["conversion"],
            }
        sides: dict[str, Callable[[], Any]] = {
            name: (lambda t=t: t.translate(sentences, src_lang="ja", tgt_lang="zh")) for name, t in translators.items()
        }
        for run in sides.values():  # warm-up
            run()
        samples, _ = _bench.interleaved(sides, args.repeats)
        fp32 = samples.get("transformers float32")
        base = _bench.median_seconds(fp32) if fp32 else None
        base_cpu = _bench.median_cpu_seconds(fp32) if fp32 else None
        for name, side_samples in samples.items():
            median, median_cpu = _bench.median_seconds(side_samples), _bench.median_cpu_seconds(side_samples)
            rows.append(
                {
                    "side": name,
                    "beams": beams,
                    **_bench.summary(side_samples),
                    "tokens": tokens,
                    "tokens_per_s": round(tokens / median, 1),
                    "tokens_per_cpu_s": round(tokens / median_cpu, 1),
                    "speedup_vs_fp32": round(base / median, 2) if base else None,
                    "speedup_vs_fp32_cpu": round(base_cpu / median_cpu, 2) if base_cpu else None,
                    **loads[name],
                }
            )
        for translator in translators.values():
            translator.close()

    print(f"{len(sentences)} sentences x {n} tokens (fixed), batch {BATCH_SIZE}, {args.threads} thread(s)")
    print(
        "| backend / precision             | beams | wall s | tokens/s | vs fp32 | CPU s | tokens/CPU-s | vs fp32 (CPU) | max load | min util |"
    )
    print(
        "|---------------------------------|------:|-------:|---------:|--------:|------:|-------------:|--------------:|---------:|---------:|"
    )
    for row in rows:
        print(
            f"| {row['side']:31s} | {row['beams']:5d} | {row['median_s']:6.2f} | {row['tokens_per_s']:8.1f} | "
            f"{row['speedup_vs_fp32']:6.2f}x | {row['median_cpu_s']:5.2f} | {row['tokens_per_cpu_s']:12.1f} | "
            f"{row['speedup_vs_fp32_cpu']:12.2f}x | {row['max_load']:8.2f} | {row['min_cpu_util']:8.2f} |"
        )
    path = _bench.write_results(
        f"ct2_vs_transformers-t{args.threads}",
        {
            "machine": _bench.machine(),
            "quiet": quiet,
            "workload": {
                "model": "opus-size-marian (random weights)",
                "sentences": len(sentences),
                "new_tokens": n,
                "batch_size": BATCH_SIZE,
                "threads": args.threads,
                "repeats": args.repeats,
            },
            "rows": rows,
            "command": "HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/ct2_vs_transformers.py "
            + " ".join(argv or sys.argv[1:]),
        },
    )
    print(f"results: {path.relative_to(_bench.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
