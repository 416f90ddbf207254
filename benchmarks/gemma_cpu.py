"""Gemma 3 270M (the embedded Q4_K_M GGUF) on the CPU: load time, batch size x dtype, whole document.

Usage (from the repository root, offline)::

    HF_HUB_OFFLINE=1 python benchmarks/gemma_cpu.py                  # batch table, 24 sentences, 3 rounds
    HF_HUB_OFFLINE=1 python benchmarks/gemma_cpu.py --full           # + the whole document (117 sentences)
    HF_HUB_OFFLINE=1 python benchmarks/gemma_cpu.py --cold --no-table   # load time from the GGUF file itself

Sentences: the Japanese text of jpus-2022 (``mtqe/references/texts/jpus-2022/ja-mofa.txt``, the same
bytes as seed 002) split after each 。 and at line breaks: 117 sentences, 70 characters on
average. Every configuration translates the same sentences ja→zh with
``mtqe/conf/system/gemma-3-270m.yaml`` (3 few-shot examples, greedy, max_new_tokens 160).

The development machine is shared (2 cores; another busy process makes torch several times
slower), so the table is measured in interleaved rounds: the sample is cut into length-sorted
batches of each size, every batch of every configuration is timed once per round, and a
configuration's time is the sum over its batches of the fastest round. The last line gives
the highest 1-minute load average seen while measuring (2.0 = this benchmark alone).
``diff b1`` / ``diff fp32`` count outputs that differ from batch size 1 of the same dtype /
from float32 at batch size 1.

Results on the 2-core AMD EPYC (AVX512-BF16) development machine, torch 2.13.0 CPU (2
threads), transformers 4.57.6, loop stop on (``python benchmarks/gemma_cpu.py``: first 24
sentences, 3 rounds, highest load average 2.8):

    | dtype    | batch | wall s | s/sent | tokens | tok/s | hit max | loops | diff b1 | diff fp32 |
    |----------|------:|-------:|-------:|-------:|------:|--------:|------:|--------:|----------:|
    | float32  |     1 |   59.8 |   2.49 |    743 |  12.4 |       0 |     4 |       0 |         0 |
    | float32  |     4 |   41.8 |   1.74 |    743 |  17.8 |       0 |     4 |       0 |         0 |
    | float32  |     8 |   24.8 |   1.03 |    743 |  29.9 |       0 |     4 |       0 |         0 |
    | float32  |    16 |   21.5 |   0.90 |    743 |  34.6 |       0 |     4 |       0 |         0 |
    | bfloat16 |     1 |   39.8 |   1.66 |    937 |  23.6 |       1 |     1 |       0 |         8 |
    | bfloat16 |     4 |   17.7 |   0.74 |    813 |  46.0 |       0 |     1 |       3 |         6 |
    | bfloat16 |     8 |   12.3 |   0.51 |    792 |  64.6 |       0 |     1 |       6 |         6 |
    | bfloat16 |    16 |   11.4 |   0.47 |    792 |  69.6 |       0 |     1 |       6 |         6 |

What it shows:

* batching pays on 2 cores: decoding is bound by reading the weights (the 262k x 640 embedding
  matrix is 60% of them), so a batch of 16 costs little more per step than one sentence:
  2.8x (float32) and 3.5x (bfloat16) the throughput of batch 1;
* bfloat16 is 1.5-2x faster than float32, but its greedy outputs depend on the batch: 3-6 of
  24 sentences change between batch 1 and batches of 4-16 (padding changes the bf16 rounding
  and near-tied tokens flip). float32 outputs were identical at every batch size, so a
  sentence's translation does not depend on which other sentences were pending with it
  (cache hits change batch composition). Default chosen: **float32, batch_size 32,
  max_batch_tokens 4096** (see the whole-document runs below);
* without the loop stop, 4 of these 24 sentences (14 of 117) run to max_new_tokens=160
  repeating a phrase, and one such row keeps its whole batch decoding.

Whole document (117 sentences, ``--full``: a fresh translator loading the converted copy,
then all sentences in one translate() call). Single runs; on this shared machine only runs
at load average ~2 (this process alone) count, e.g. float32 batch 16 took 127 s quiet and
886 s while a test suite ran beside it:

    float32  batch 32, max_batch_tokens 4096    110 s  (load 3 s + generate 107 s, 39 tok/s)  <- default
    float32  batch 32, max_batch_tokens 8192    124 s
    float32  batch 16, max_batch_tokens 4096    128 s
    float32  batch  8, max_batch_tokens 4096    154 s
    float32  batch 16, loop stop off            188 s  (5630 tokens; 14 rows hit max_new_tokens)
    bfloat16 batch 16, max_batch_tokens 4096     77 s  (outputs depend on the batch, see above)
    float32  batch  1 (from the table)         ~290 s  (2.49 s/sentence)

All float32 runs (batch 8, 16, 32) gave the same 117 outputs; with the loop stop, 12 rows
stop looping and 2 still reach max_new_tokens. The larger token budget is slower, probably
because it puts the longest prompts (which loop most) into full batches of 32.

Loading: 34 s from the GGUF file itself (float32; 40-60 s with other work on the machine:
transformers parses the 262k-token vocabulary twice through gguf's reader and dequantises
236 tensors; mtqe's own metadata reader and tokenizer rebuild add ~5 s), 2-4 s from the
converted copy that the translator saves under the mtqe cache on the first load.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # runnable as a plain script from a checkout
    sys.path.insert(0, str(REPO))

DEFAULT_TEXT = REPO / "mtqe" / "references" / "texts" / "jpus-2022" / "ja-mofa.txt"
SYSTEM_YAML = REPO / "mtqe" / "conf" / "system" / "gemma-3-270m.yaml"
LARGEST_BATCH = 64  # the translators' batch_size: the benchmark sizes batches itself


@dataclass
class Config:
    """One row of the table: a dtype and a batch size, with its measurements so far."""

    dtype: str
    batch_size: int
    batches: list[list[int]]  # sentence indices per batch
    best: list[float] = field(default_factory=list)  # fastest seconds per batch
    outputs: list[str] = field(default_factory=list)
    tokens: int = 0
    hit_max: int = 0
    loops: int = 0

    @property
    def seconds(self) -> float:
        return sum(self.best)


def japanese_sentences(path: Path) -> list[str]:
    """Sentences of a Japanese text: split after each 。 and at line breaks, blanks dropped."""
    sentences = []
    for line in path.read_text(encoding="utf-8").splitlines():
        sentences += [part.strip() + "。" for part in line.split("。") if part.strip()]
    return sentences


def system_config(dtype: str, batch_size: int, max_batch_tokens: int = 1 << 20) -> Any:
    from omegaconf import OmegaConf

    from mtqe.systems.registry import validate_system_config

    node = OmegaConf.load(SYSTEM_YAML)["gemma-3-270m"]
    node.dtype = dtype
    node.device = "cpu"
    node.batching = {"batch_size": batch_size, "max_batch_tokens": max_batch_tokens}
    return validate_system_config("gemma-3-270m", node)


def make_translator(
    dtype: str, batch_size: int, *, loop_stop: bool, convert_cache: bool = True, **batching: int
) -> Any:
    from mtqe.systems.gguf_causal import GGUFCausalTranslator, LoopRule

    return GGUFCausalTranslator(
        cfg=system_config(dtype, batch_size, **batching),
        convert_cache=convert_cache,
        loop_rule=LoopRule() if loop_stop else None,
    )


def length_batches(sentences: Sequence[str], batch_size: int) -> list[list[int]]:
    """Indices in batches of ``batch_size``, longest sentences first (as the translator sorts)."""
    order = sorted(range(len(sentences)), key=lambda i: (-len(sentences[i]), i))
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def measure(translator: Any, config: Config, sentences: Sequence[str], *, first_round: bool) -> None:
    """Translate each batch of ``config`` once, keeping the fastest time per batch."""
    outputs = [""] * len(sentences)
    before = translator.describe()
    for number, batch in enumerate(config.batches):
        texts = [sentences[i] for i in batch]
        started = time.perf_counter()
        results = translator.translate(texts, src_lang="ja", tgt_lang="zh")
        seconds = time.perf_counter() - started
        if first_round:
            config.best.append(seconds)
        else:
            config.best[number] = min(config.best[number], seconds)
        for index, result in zip(batch, results):
            outputs[index] = result
    if first_round:
        after = translator.describe()
        config.outputs = outputs
        config.tokens = after["tokens_generated"] - before["tokens_generated"]
        config.hit_max = after["hit_max_new_tokens"] - before["hit_max_new_tokens"]
        config.loops = after["stopped_repetition"] - before["stopped_repetition"]


def batch_table(
    sentences: Sequence[str], dtypes: list[str], batch_sizes: list[int], *, rounds: int, loop_stop: bool
) -> list[Config]:
    translators = {dtype: make_translator(dtype, LARGEST_BATCH, loop_stop=loop_stop) for dtype in dtypes}
    for translator in translators.values():
        translator.translate([sentences[0]], src_lang="ja", tgt_lang="zh")  # load + warm-up
        facts = translator.describe()
        print(f"{facts['dtype']}: loaded in {facts['load_seconds']:.1f} s from {facts['load_source']}", flush=True)
    configs = [Config(d, b, length_batches(sentences, b)) for d in dtypes for b in batch_sizes]
    busiest = 0.0
    for number in range(rounds):
        for config in configs:
            busiest = max(busiest, os.getloadavg()[0])
            measure(translators[config.dtype], config, sentences, first_round=number == 0)
        print(f"round {number + 1}/{rounds} done, load average {os.getloadavg()[0]:.1f}", flush=True)
    for translator in translators.values():
        translator.close()
    print_table(configs, busiest)
    return configs


def print_table(configs: list[Config], busiest: float) -> None:
    print("| dtype    | batch | wall s | s/sent | tokens | tok/s | hit max | loops | diff b1 | diff fp32 |")
    print("|----------|------:|-------:|-------:|-------:|------:|--------:|------:|--------:|----------:|")
    single = {c.dtype: c.outputs for c in configs if c.batch_size == 1}
    for config in configs:
        reference = single.get(config.dtype)
        fp32 = single.get("float32")
        diff_b1 = "-" if reference is None else str(_differences(config.outputs, reference))
        diff_fp32 = "-" if fp32 is None else str(_differences(config.outputs, fp32))
        print(
            f"| {config.dtype:<8} | {config.batch_size:>5} | {config.seconds:>6.1f} "
            f"| {config.seconds / len(config.outputs):>6.2f} | {config.tokens:>6} "
            f"| {config.tokens / config.seconds:>5.1f} | {config.hit_max:>7} | {config.loops:>5} "
            f"| {diff_b1:>7} | {diff_fp32:>9} |"
        )
    print(f"(highest load average while measuring: {busiest:.1f})")


def _differences(outputs: list[str], reference: list[str]) -> int:
    return sum(1 for a, b in zip(outputs, reference) if a != b)


def cold_load(dtype: str) -> float:
    """Seconds to load from the GGUF file itself (no converted copy read or written)."""
    translator = make_translator(dtype, 1, loop_stop=True, convert_cache=False)
    try:
        translator.tokenizer  # noqa: B018 - loads the model
        return translator.describe()["load_seconds"]
    finally:
        translator.close()


def full_document(
    sentences: Sequence[str],
    dtype: str,
    batch_size: int,
    *,
    max_batch_tokens: int,
    loop_stop: bool,
    save_to: Path | None = None,
) -> None:
    """The whole document as the pipeline runs it: a fresh translator (converted copy) + translate."""
    started = time.perf_counter()
    translator = make_translator(dtype, batch_size, loop_stop=loop_stop, max_batch_tokens=max_batch_tokens)
    outputs = translator.translate(list(sentences), src_lang="ja", tgt_lang="zh")
    total = time.perf_counter() - started
    facts = translator.describe()
    translator.close()
    print(
        f"\nfull document: {len(sentences)} sentences, {dtype}, batch {batch_size} (max {max_batch_tokens} tokens): "
        f"{total:.1f} s in all "
        f"(load {facts['load_seconds']:.1f} s from {facts['load_source']}, generate {facts['generate_seconds']:.1f} s, "
        f"{facts['tokens_generated']} tokens, {facts['tokens_per_second']} tok/s, "
        f"{facts['hit_max_new_tokens']} hit max_new_tokens, {facts['stopped_repetition']} stopped looping, "
        f"{sum(1 for o in outputs if not o)} empty; load average {os.getloadavg()[0]:.1f})"
    )
    for source, output in list(zip(sentences, outputs))[3:6]:
        print(f"  {source}\n    → {output}")
    if save_to is not None:  # for comparing outputs between runs (batch invariance)
        save_to.write_text(json.dumps(outputs, ensure_ascii=False, indent=1), encoding="utf-8")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--text", type=Path, default=DEFAULT_TEXT, help="Japanese text (default: jpus-2022)")
    parser.add_argument("--sample", type=int, default=24, help="sentences in the batch table (0: all)")
    parser.add_argument("--batch-sizes", default="1,4,8,16")
    parser.add_argument("--dtypes", default="float32,bfloat16")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the fastest counts")
    parser.add_argument("--no-table", action="store_true", help="skip the batch table")
    parser.add_argument("--full", action="store_true", help="also translate the whole document")
    parser.add_argument("--full-dtype", default="float32")
    parser.add_argument("--full-batch-size", type=int, default=32)
    parser.add_argument("--full-max-batch-tokens", type=int, default=4096)
    parser.add_argument("--save-outputs", type=Path, help="write the full document's outputs here (JSON)")
    parser.add_argument("--cold", action="store_true", help="also time a load from the GGUF file")
    parser.add_argument("--no-loop-stop", action="store_true", help="decode looping rows to max_new_tokens")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = parse_args(argv)
    import torch
    import transformers

    sentences = japanese_sentences(args.text)
    sample = sentences if args.sample <= 0 else sentences[: args.sample]
    print(
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), transformers {transformers.__version__}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {len(sentences)} sentences in {args.text.name}"
    )
    if args.cold:
        for dtype in args.dtypes.split(","):
            print(f"cold load ({dtype}, from the GGUF file): {cold_load(dtype):.1f} s", flush=True)
    if not args.no_table:
        batch_table(
            sample,
            dtypes=args.dtypes.split(","),
            batch_sizes=[int(size) for size in args.batch_sizes.split(",")],
            rounds=args.rounds,
            loop_stop=not args.no_loop_stop,
        )
    if args.full:
        full_document(
            sentences,
            args.full_dtype,
            args.full_batch_size,
            max_batch_tokens=args.full_max_batch_tokens,
            loop_stop=not args.no_loop_stop,
            save_to=args.save_outputs,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
