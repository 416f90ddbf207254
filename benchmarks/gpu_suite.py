"""GPU checks and throughput, run once on a lent CUDA machine (no hub: random-weight models of real shape).

Sections (each one's failure is recorded with its error and the rest still run):

* ``seq2seq`` — NLLB-200-distilled-600M architecture (M2M-100: d_model 1024, 12+12 layers,
  16 heads, FFN 4096; small spm vocabulary trained on the document, not NLLB's 256k) through
  mtqe's ``HFSeq2SeqTranslator`` on ``cuda``: float32 vs bfloat16, greedy and beam 4, batches
  of 64, a fixed output length (``min_new_tokens = max_new_tokens``) so every configuration
  generates the same number of tokens.
* ``oom_halving`` — the same translator with the CUDA caching allocator capped
  (``torch.cuda.set_per_process_memory_fraction``) so a batch of 256 at beam 4 cannot fit:
  mtqe's split-on-OOM must halve, finish, count the retries, and give the outputs of the
  uncapped run.
* ``comet`` — COMET ``RegressionMetric`` on the XLM-R large architecture (as
  ``benchmarks/comet_speed.py``), four systems sharing source and reference: unbabel-comet
  ``predict(gpus=1)`` once per system vs mtqe's ``CometMetric`` (gpus=1) at precision 32, bf16
  and 16; segment-score parity against ``predict``.
* ``ct2`` — CTranslate2 on ``cuda`` with the GPU compute types, if the wheel's CUDA runtime loads.

Run (device machine, after installing the carried wheels)::

    python3 benchmarks/gpu_suite.py --out $OUT/gpu_suite.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

DEVICE = "cuda"  # --smoke: cpu, tiny shapes (checks the script itself before device time is spent)
NLLB_600M_SHAPE = dict(
    d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
    decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096,
    max_position_embeddings=1024, scale_embedding=True,
)


def build_nllb_600m_arch(out: Path, texts: list[str]) -> tuple[Path, int]:
    import io

    import sentencepiece as spm
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizerFast

    directory = out / "nllb-600m-arch"
    directory.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_writer=buf, vocab_size=8000, character_coverage=1.0,
        model_type="unigram", hard_vocab_limit=False, num_threads=4, minloglevel=2,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
    )
    (directory / "sentencepiece.bpe.model").write_bytes(buf.getvalue())
    tokenizer = NllbTokenizerFast(vocab_file=str(directory / "sentencepiece.bpe.model"), src_lang="jpn_Jpan",
                                  model_max_length=1024)
    config = M2M100Config(
        vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.eos_token_id, **NLLB_600M_SHAPE,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = M2M100ForConditionalGeneration(config)
    n_params = sum(p.numel() for p in model.parameters())
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory, n_params


def seq2seq_translator(model_dir: Path, dtype: str, beams: int, new_tokens: int, batch: int):
    from mtqe.systems.configs import BatchingConfig, HFSeq2SeqConfig
    from mtqe.systems.hf_seq2seq import HFSeq2SeqTranslator

    cfg = HFSeq2SeqConfig(
        type="hf_seq2seq", name=f"nllb-arch-{dtype}-b{beams}", model=str(model_dir), family="nllb",
        device=DEVICE, dtype=dtype, num_beams=beams, max_new_tokens=new_tokens,
        batching=BatchingConfig(batch_size=batch, max_batch_tokens=1_000_000),
    )
    translator = HFSeq2SeqTranslator(cfg=cfg)
    translator.model.generation_config.min_new_tokens = new_tokens  # loads; fixed-length outputs
    return translator


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    import torch

    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    sync()
    started = time.perf_counter()
    result = fn()
    sync()
    return time.perf_counter() - started, result


def section_seq2seq(ctx: dict[str, Any], args) -> dict[str, Any]:
    sentences = ctx["sentences"]
    n_tokens = len(sentences) * args.new_tokens
    rows = []
    for beams in (1, 4):
        for dtype in ("float32", "bfloat16"):
            tr = seq2seq_translator(ctx["nllb"], dtype, beams, args.new_tokens, 64)
            run = lambda: tr.translate(sentences, src_lang="ja", tgt_lang="zh")  # noqa: E731
            run()  # warm-up (kernels, allocator)
            times = [timed(run)[0] for _ in range(args.repeats)]
            median = statistics.median(times)
            rows.append({"dtype": dtype, "beams": beams, "batch": 64, "sentences": len(sentences),
                         "new_tokens": args.new_tokens, "median_s": round(median, 3),
                         "tokens_per_s": round(n_tokens / median, 1), "sentences_per_s": round(len(sentences) / median, 1),
                         "max_memory_GiB": round(_torch().cuda.max_memory_allocated() / 2**30, 2) if DEVICE == "cuda" else None,
                         "describe": {k: v for k, v in tr.describe().items() if isinstance(v, (int, float, str))}})
            print(f"seq2seq {dtype:8s} beams {beams}: {median:.2f}s {n_tokens / median:,.0f} tok/s", flush=True)
            tr.close()
            if DEVICE == "cuda":
                _torch().cuda.reset_peak_memory_stats()
    return {"model": "NLLB-600M architecture, random weights", "params_M": round(ctx["nllb_params"] / 1e6, 1),
            "rows": rows}


def section_oom_halving(ctx: dict[str, Any], args) -> dict[str, Any]:
    import torch

    sentences = ctx["sentences"][:256]
    free_tr = seq2seq_translator(ctx["nllb"], "float32", 4, args.new_tokens, 256)
    reference = free_tr.translate(sentences, src_lang="ja", tgt_lang="zh")
    peak_free = torch.cuda.max_memory_allocated()
    free_tr.close()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    tr = seq2seq_translator(ctx["nllb"], "float32", 4, args.new_tokens, 256)
    total = torch.cuda.get_device_properties(0).total_memory
    model_bytes = torch.cuda.memory_allocated()
    cap = model_bytes + (peak_free - model_bytes) // 3  # a third of what the batch of 256 needed
    torch.cuda.set_per_process_memory_fraction(cap / total)
    try:
        seconds, capped = timed(lambda: tr.translate(sentences, src_lang="ja", tgt_lang="zh"))
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
    facts = tr.describe()
    same = sum(a == b for a, b in zip(reference, capped))
    tr.close()
    print(f"oom: retries {facts.get('oom_retries')}, {same}/{len(sentences)} outputs equal", flush=True)
    return {"sentences": len(sentences), "beams": 4, "dtype": "float32", "batch_size": 256,
            "uncapped_peak_GiB": round(peak_free / 2**30, 2), "cap_GiB": round(cap / 2**30, 2),
            "oom_retries": facts.get("oom_retries"), "capped_seconds": round(seconds, 2),
            "outputs_equal": same, "outputs_total": len(sentences)}


def section_comet(ctx: dict[str, Any], args) -> dict[str, Any]:
    import comet_speed
    import torch

    from mtqe.metrics.base import MetricInput
    from mtqe.metrics.comet_metric import CometMetric
    from mtqe.metrics.configs import CometConfig

    src, ref = ctx["src"], ctx["ref"]
    systems = {
        "a_ref": list(ref),
        "b_drop5": ["".join(ch for j, ch in enumerate(r) if j % 5 != 4) for r in ref],
        "c_drop3": ["".join(ch for j, ch in enumerate(r) if j % 3 != 2) for r in ref],
        "d_reversed_halves": [r[len(r) // 2:] + r[: len(r) // 2] for r in ref],
    }
    ckpt, enc, n_params = comet_speed.build_checkpoint(ctx["tmp"], src + ref, 8000 if DEVICE == "cuda" else 400)
    batch = args.comet_batch
    metrics = {p: CometMetric(cfg=CometConfig(name="comet", model=str(ckpt), batch_size=batch, gpus=int(DEVICE == "cuda"),
                                              precision=p, encoder_dir=str(enc))) for p in ("32", "bf16", "16")}
    loaded, _ = metrics["32"]._ensure_loaded()
    if loaded is None:
        raise RuntimeError(f"COMET load failed: {metrics['32']._failure}")
    model = loaded.model
    segs = len(src) * len(systems)

    def run_predict():
        return {name: list(model.predict([{"src": s, "mt": m, "ref": r} for s, m, r in zip(src, hyp, ref)],
                                         batch_size=batch, gpus=int(DEVICE == "cuda"), progress_bar=False).scores)
                for name, hyp in systems.items()}

    def run_mtqe(metric):
        metric._memo.clear()
        metric._embeddings.clear()  # encode once: sentence embeddings are memoised too
        return {name: [float(x) for x in metric.score(MetricInput(
            sources=src, hypotheses=hyp, references=[ref], reference_ids=["zh-community"],
            src_lang="ja", tgt_lang="zh")).stats[:, 0]] for name, hyp in systems.items()}

    rows, scores = [], {}
    # predict last: Lightning's teardown moves the shared model back to the CPU after predict(gpus=1)
    sides = {**{f"mtqe {p}": (lambda m=m: run_mtqe(m)) for p, m in metrics.items()}, "predict fp32": run_predict}
    for name, fn in sides.items():
        fn()  # warm-up (and loads the bf16/16 instances)
        times = []
        for _ in range(args.repeats):
            seconds, scores[name] = timed(fn)
            times.append(seconds)
        median = statistics.median(times)
        rows.append({"side": name, "median_s": round(median, 3), "segments_per_s": round(segs / median, 1)})
        print(f"comet {name:12s} {median:.2f}s {segs / median:,.0f} seg/s", flush=True)
    base = next(row["segments_per_s"] for row in rows if row["side"] == "predict fp32")
    for row in rows:
        row["vs_predict"] = round(row["segments_per_s"] / base, 2)
    diffs = {name: max(abs(a - b) for sys_name in systems for a, b in zip(scores["predict fp32"][sys_name],
                                                                         scores[name][sys_name]))
             for name in scores if name != "predict fp32"}
    return {"model": "COMET RegressionMetric on XLM-R large architecture, random weights",
            "params_M": round(n_params / 1e6, 1), "systems": len(systems), "segments_per_system": len(src),
            "unique_inputs": len({(s, m, r) for hyp in systems.values() for s, m, r in zip(src, hyp, ref)}),
            "batch_size": batch, "rows": rows, "max_abs_diff_vs_predict": diffs,
            "device": DEVICE}


def section_comet_oom(ctx: dict[str, Any], args) -> dict[str, Any]:
    """The neural-metric base's CUDA-OOM halving on a real GPU: one batch of every input, memory capped."""
    import comet_speed
    import torch

    from mtqe.metrics.base import MetricInput
    from mtqe.metrics.comet_metric import CometMetric
    from mtqe.metrics.configs import CometConfig

    src, ref = ctx["src"], ctx["ref"]
    hyp = ["".join(ch for j, ch in enumerate(r) if j % 5 != 4) for r in ref]
    ckpt, enc, _ = comet_speed.build_checkpoint(ctx["tmp"] / "oom", src + ref, 8000)
    data = MetricInput(sources=src, hypotheses=hyp, references=[ref], reference_ids=["zh-community"],
                       src_lang="ja", tgt_lang="zh")

    def metric():
        return CometMetric(cfg=CometConfig(name="comet", model=str(ckpt), batch_size=len(src), gpus=1,
                                           precision="32", encoder_dir=str(enc)))

    free = metric()
    torch.cuda.reset_peak_memory_stats()
    reference = free.score(data)
    peak = torch.cuda.max_memory_allocated()
    free.close()
    torch.cuda.empty_cache()
    capped = metric()
    capped._ensure_loaded()
    model_bytes = torch.cuda.memory_allocated()
    cap = model_bytes + (peak - model_bytes) // 3
    torch.cuda.set_per_process_memory_fraction(cap / torch.cuda.get_device_properties(0).total_memory)
    try:
        result = capped.score(data)
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
    diff = max(abs(a - b) for a, b in zip(reference.segment_scores, result.segment_scores))
    print(f"comet oom: details {dict(result.details)}; max diff {diff:.2e}", flush=True)
    return {"segments": len(src), "batch_size": len(src), "uncapped_peak_GiB": round(peak / 2**30, 2),
            "cap_GiB": round(cap / 2**30, 2), "details": {k: v for k, v in result.details.items()
                                                          if isinstance(v, (int, float, str, bool))},
            "max_abs_diff_vs_uncapped": diff, "unavailable": result.unavailable}


def section_ct2(ctx: dict[str, Any], args) -> dict[str, Any]:
    import ctranslate2

    from mtqe.systems.configs import BatchingConfig, Ct2Config
    from mtqe.systems.ct2 import Ct2Translator

    out: dict[str, Any] = {"cuda_devices": ctranslate2.get_cuda_device_count()}
    try:
        out["supported_compute_types"] = sorted(ctranslate2.get_supported_compute_types("cuda"))
    except Exception as exc:  # noqa: BLE001 — the fact is the error
        out["supported_compute_types_error"] = f"{type(exc).__name__}: {exc}"
        return out
    sentences = ctx["sentences"]
    n_tokens = len(sentences) * args.new_tokens
    rows = []
    for compute_type in ("float16", "bfloat16", "int8_float16", "int8_bfloat16"):
        cfg = Ct2Config(type="ctranslate2", name=f"ct2-{compute_type}", model=str(ctx["nllb"]), device="cuda",
                        compute_type=compute_type, beam_size=4, max_decoding_length=args.new_tokens,
                        batching=BatchingConfig(batch_size=64, max_batch_tokens=1_000_000))
        try:
            tr = Ct2Translator(cfg=cfg, cache_dir=ctx["tmp"] / "ct2",
                               extra_options={"min_decoding_length": args.new_tokens})
            tr.load()
            tr.translate(sentences, src_lang="ja", tgt_lang="zh")
            seconds = statistics.median(
                [timed(lambda: tr.translate(sentences, src_lang="ja", tgt_lang="zh"))[0] for _ in range(args.repeats)])
            rows.append({"compute_type": compute_type, "beams": 4, "median_s": round(seconds, 3),
                         "tokens_per_s": round(n_tokens / seconds, 1)})
            tr.close()
            print(f"ct2 {compute_type}: {n_tokens / seconds:,.0f} tok/s", flush=True)
        except Exception as exc:  # noqa: BLE001 — recorded per compute type
            rows.append({"compute_type": compute_type, "error": f"{type(exc).__name__}: {exc}"[:400]})
    out["rows"] = rows
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gpu_suite.json"))
    ap.add_argument("--new-tokens", type=int, default=48)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--comet-batch", type=int, default=64)
    ap.add_argument("--sections", default="seq2seq,oom_halving,comet,ct2")
    ap.add_argument("--smoke", action="store_true", help="CPU, tiny shapes, few sentences: test the script")
    args = ap.parse_args()
    if args.smoke:
        global DEVICE
        DEVICE = "cpu"
        NLLB_600M_SHAPE.update(d_model=64, encoder_layers=1, decoder_layers=1, encoder_ffn_dim=64,
                               decoder_ffn_dim=64, encoder_attention_heads=2, decoder_attention_heads=2)

    import _bench
    import torch

    from mtqe.corpus.loader import load_parallel_document
    from mtqe.corpus.manifest import load_manifest
    from mtqe.corpus.paths import default_references_dir

    doc = load_parallel_document(load_manifest(default_references_dir()), "jpus-2022", "ja", "zh", unit="sentence")
    ctx: dict[str, Any] = {"tmp": Path(tempfile.mkdtemp(prefix="gpu-suite-"))}
    ctx["src"] = [s.source for s in doc.segments]
    ctx["ref"] = [s.targets["zh-community"] for s in doc.segments]
    ja = _bench.jpus_sentences()
    ctx["sentences"] = (ja * (512 // len(ja) + 1))[: 16 if args.smoke else 512]
    if args.smoke:
        ctx["src"], ctx["ref"] = ctx["src"][:8], ctx["ref"][:8]
    started = time.perf_counter()
    ctx["nllb"], ctx["nllb_params"] = build_nllb_600m_arch(ctx["tmp"], ctx["src"] + ctx["ref"])
    result: dict[str, Any] = {
        "command": "python3 benchmarks/gpu_suite.py " + " ".join(sys.argv[1:]),
        "machine": {"gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, "python": platform.python_version(),
                    "cpus": os.cpu_count()},
        "versions": {p: _version(p) for p in ("torch", "transformers", "unbabel-comet", "ctranslate2", "sentencepiece")},
        "build_s": round(time.perf_counter() - started, 1),
        "sections": {},
    }
    sections = {"seq2seq": section_seq2seq, "oom_halving": section_oom_halving, "comet": section_comet,
                "comet_oom": section_comet_oom, "ct2": section_ct2}
    for name in args.sections.split(","):
        t = time.perf_counter()
        try:
            result["sections"][name] = sections[name](ctx, args)
        except Exception as exc:  # noqa: BLE001 — one section's failure must not lose the others
            result["sections"][name] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-3000:]}
            print(f"section {name} failed: {type(exc).__name__}: {exc}", flush=True)
        result["sections"][name]["section_s"] = round(time.perf_counter() - t, 1)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def _torch():
    import torch

    return torch


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
