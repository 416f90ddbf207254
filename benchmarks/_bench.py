"""Shared pieces of the speed benchmarks: the OPUS-MT-size Marian, the sentences, noise control.

The model: a MarianMTModel with the OPUS-MT ("transformer-base") shape — d_model 512, 6+6
layers, 8 heads, FFN 2048, 32,000-entry vocabulary — and random weights, because no hub is
reachable here. Speed depends on the shape, not on the weights; what random weights change is
*when* a sequence stops, so every benchmark fixes the output length (transformers
``min_new_tokens == max_new_tokens``, ctranslate2 ``min_decoding_length == max_decoding_length``)
and both sides do the same number of decoder steps. The SentencePiece model is trained on the
seed document's own texts (a few thousand pieces) and the vocabulary is filled up to 32,000 with
unused entries so the embedding and output projection have the real size.

Noise: the development machine has 2 cores shared with other jobs; on it, torch with 2 OpenMP
threads becomes several times slower as soon as another process competes for a core (threads
spin at barriers waiting for a descheduled sibling), so wall-clock numbers taken on a busy
machine are meaningless. Defences:

* ``--threads 1`` (every script) makes CPU time a stable measure: tokens per CPU-second hardly
  depends on other jobs, where wall-clock time does;
* :func:`wait_for_quiet` waits for a low 1-minute load average (held for 90 s) before a
  benchmark loads anything;
* every timed repetition records the load average, its CPU time and CPU utilisation (CPU
  seconds / wall seconds: ~threads when nobody else took CPU time);
* repetitions are interleaved between the compared sides and the median is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # runnable as a plain script from a checkout
    sys.path.insert(0, str(REPO))

RESULTS_DIR = REPO / "benchmarks" / "results"
SOURCE_TEXT = REPO / "mtqe" / "references" / "texts" / "jpus-2022" / "ja-mofa.txt"
TARGET_TEXT = REPO / "mtqe" / "references" / "texts" / "jpus-2022" / "zh-community.txt"
# Built models live outside the repository (hundreds of MB), reused between runs.
WORK_DIR = Path(os.environ.get("MTQE_BENCH_DIR", "/tmp/mtqe-bench"))

OPUS_SHAPE: dict[str, int] = {
    "d_model": 512,
    "encoder_layers": 6,
    "decoder_layers": 6,
    "encoder_attention_heads": 8,
    "decoder_attention_heads": 8,
    "encoder_ffn_dim": 2048,
    "decoder_ffn_dim": 2048,
    "max_position_embeddings": 512,
}
VOCAB_SIZE = 32_000
SEED = 0


def build_opus_size_marian(out_dir: Path = WORK_DIR) -> Path:
    """The OPUS-MT-size Marian under ``out_dir/opus-size-marian`` (built once, then reused).

    Layout as OPUS-MT: ``</s>``=0, ``<unk>``=1, spm pieces, fillers, ``<pad>`` last (also the
    decoder start token). ``forced_eos_token_id`` is unset (OPUS-MT sets it) so that with a fixed
    length transformers' last step is an ordinary decoder step, and mtqe's ctranslate2 backend
    (which decodes one step less for forced-EOS checkpoints) does the same number of steps.
    """
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    directory = Path(out_dir) / "opus-size-marian"
    done = directory / ".complete"
    if done.is_file():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    lines = [
        line.strip()
        for path in (SOURCE_TEXT, TARGET_TEXT)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    spm_path = directory / "source.spm"
    with open(spm_path, "wb") as handle:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines),
            model_writer=handle,
            vocab_size=4000,
            character_coverage=1.0,
            model_type="unigram",
            hard_vocab_limit=False,
            num_threads=1,
            minloglevel=2,
            eos_id=0,
            unk_id=1,
            bos_id=-1,
            pad_id=-1,
        )
    (directory / "target.spm").write_bytes(spm_path.read_bytes())
    sp = spm.SentencePieceProcessor(model_file=str(spm_path))
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    for n in range(VOCAB_SIZE - 1 - len(vocab)):
        vocab[f"<unused{n}>"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    (directory / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = MarianTokenizer(
        str(spm_path), str(directory / "target.spm"), str(directory / "vocab.json"), model_max_length=512
    )
    pad = vocab["<pad>"]
    config = MarianConfig(
        vocab_size=len(vocab),
        pad_token_id=pad,
        eos_token_id=0,
        decoder_start_token_id=pad,
        forced_eos_token_id=None,  # MarianConfig's default is 0 (see the docstring)
        **OPUS_SHAPE,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = MarianMTModel(config)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    done.write_text("ok\n")
    return directory


def jpus_sentences() -> list[str]:
    """The seed document's Japanese sentences, as ``sentence_split: true`` cuts them (unique, in order)."""
    from mtqe.corpus.segment import split_sentences

    paragraphs = [p.strip() for p in SOURCE_TEXT.read_text(encoding="utf-8").splitlines() if p.strip()]
    sentences = [s for p in paragraphs for s in split_sentences(p, "ja") if s.strip()]
    return list(dict.fromkeys(sentences))


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)


def add_quiet_arguments(parser: argparse.ArgumentParser) -> None:
    """``--max-wait``, ``--no-wait``, ``--require-quiet``: how a script treats a busy machine."""
    parser.add_argument("--max-wait", type=float, default=1200, help="seconds to wait for a quiet machine")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for a quiet machine")
    parser.add_argument(
        "--require-quiet", action="store_true", help="exit (status 3) instead of running on a busy machine"
    )


def quiet_or_none(args: argparse.Namespace) -> dict[str, Any] | None:
    """Wait for a quiet machine as the arguments say; what happened, or None when the script
    must not run (``--require-quiet`` on a busy machine, already reported on stderr).

    Called before loading anything: a benchmark that computes while it waits slows the others.
    """
    quiet = {"quiet": None, "skipped": True} if args.no_wait else wait_for_quiet(timeout_s=args.max_wait)
    if args.require_quiet and not quiet["quiet"]:
        print(f"machine busy (load {quiet['load_at_start']}) after {quiet['waited_s']} s; not running", file=sys.stderr)
        return None
    return quiet


def wait_for_quiet(
    max_load: float = 1.5, timeout_s: float = 1200, settle_s: float = 90, poll_s: float = 10
) -> dict[str, Any]:
    """Wait until the 1-minute load average has stayed below ``max_load`` for ``settle_s``
    (at most ``timeout_s`` in all).

    "Stayed" matters: other engineers' benchmarks run one process after another, and the load
    average dips for a moment between two of them. Returns what happened, for the results
    file: a benchmark that had to start on a busy machine says so instead of looking clean.
    """
    started = time.monotonic()
    first = loadavg()
    quiet_since: float | None = None
    while time.monotonic() - started < timeout_s:
        now = time.monotonic()
        if loadavg() < max_load:
            quiet_since = now if quiet_since is None else quiet_since
            if now - quiet_since >= settle_s:
                break
        else:
            quiet_since = None
        time.sleep(poll_s)
    last = loadavg()
    return {
        "max_load": max_load,
        "settle_s": settle_s,
        "load_when_asked": first,
        "load_at_start": last,
        "waited_s": round(time.monotonic() - started, 1),
        "quiet": last < max_load and quiet_since is not None,
    }


@dataclass(frozen=True)
class Sample:
    """One timed repetition."""

    seconds: float  # wall clock
    cpu_seconds: float  # this process's CPU time (user + system, all its threads)
    load: float  # 1-minute load average just before it
    cpu_util: float  # cpu_seconds / seconds


def timed(run: Callable[[], Any]) -> tuple[Sample, Any]:
    load = loadavg()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = run()
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    util = round(cpu / wall, 2) if wall > 0 else 0.0
    return Sample(seconds=round(wall, 4), cpu_seconds=round(cpu, 4), load=load, cpu_util=util), result


def interleaved(sides: dict[str, Callable[[], Any]], repeats: int) -> tuple[dict[str, list[Sample]], dict[str, Any]]:
    """Run every side ``repeats`` times, rotating the order each round (A B C, B C A, ...), so a
    burst of load from another job hits all sides alike. Returns the samples and each side's
    last result."""
    names = list(sides)
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    results: dict[str, Any] = {}
    for round_ in range(repeats):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            sample, results[name] = timed(sides[name])
            samples[name].append(sample)
    return samples, results


def median_seconds(samples: list[Sample]) -> float:
    return statistics.median(s.seconds for s in samples)


def median_cpu_seconds(samples: list[Sample]) -> float:
    return statistics.median(s.cpu_seconds for s in samples)


def set_threads(threads: int) -> None:
    """Threads for torch in this process (ctranslate2 gets its own ``threads`` setting).

    With 1 thread the CPU time of a run hardly depends on other jobs (no OpenMP barrier spinning
    while a sibling thread waits for a core), so tokens per CPU-second stays comparable on a
    shared machine where wall-clock numbers do not.
    """
    import torch

    torch.set_num_threads(threads)


def summary(samples: list[Sample]) -> dict[str, Any]:
    return {
        "median_s": round(median_seconds(samples), 4),
        "median_cpu_s": round(median_cpu_seconds(samples), 4),
        "samples": [asdict(s) for s in samples],
        "max_load": max(s.load for s in samples),
        "min_cpu_util": min(s.cpu_util for s in samples),
    }


def machine() -> dict[str, Any]:
    """CPU model, cores and package versions, for the results file."""
    from importlib.metadata import PackageNotFoundError, version

    model = platform.processor() or "unknown"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    versions = {}
    for package in ("torch", "transformers", "ctranslate2", "sentencepiece"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    )
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "packages": versions,
        "git_commit": commit.stdout.strip() or None,
        "env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "CT2_USE_MKL", "MKL_NUM_THREADS") if k in os.environ},
    }


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """``benchmarks/results/<name>.json`` (written atomically)."""
    from mtqe.io import atomic_write_json

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    atomic_write_json(path, {"benchmark": name, "when": time.strftime("%Y-%m-%d %H:%M:%S"), **payload})
    return path
