"""COMET speed: mtqe's CometMetric vs unbabel-comet's own ``model.predict``, three systems.

Model: a COMET ``RegressionMetric`` (wmt22-comet-da layout) on the **XLM-R large architecture**
(hidden 1024, 24 layers, 16 heads, FFN 4096, 514 positions) with random weights (no hub here).
The vocabulary is a small SentencePiece model trained on the fly on the document's own texts
(``--vocab`` pieces, not XLM-R's 250k): the embedding size barely affects speed, but token
lengths differ somewhat from real XLM-R (mean token lengths are printed and stored).

Data: jpus-2022 ja→zh, sentence unit, zh-community reference; ``--segments N`` picks N
segments evenly spread over the document (0 = all). Systems: (a) the reference itself,
(b) the reference with every 5th character dropped, (c) (b) for the even-indexed half of the
segments and (a) for the rest — so (c) repeats (a)/(b) outputs, as systems on real
leaderboards share outputs.

Compared on the same loaded model (one object), data and batch size:
* ``predict``: ``model.predict(samples, batch_size=B, gpus=0, progress_bar=False)`` once per
  system (3 calls: how a naive script scores a leaderboard; COMET's own length batching is on);
* ``mtqe``: ``CometMetric.score`` for the three systems on one instance (dedup across systems);
* ``mtqe_nodedup`` (attribution): the same but the in-memory score memo is cleared before each
  system, so only the loop/sorting differences remain.
Repetitions are interleaved; the median is reported with the 1-minute load average beside each.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/comet_speed.py --segments 24 --reps 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load_avg() -> float:
    return os.getloadavg()[0]


XLMR_SHAPES = {
    # hidden, layers, heads, FFN of the two XLM-R sizes COMET checkpoints use
    "large": {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096},
    "base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
    # XLM-R XL (XCOMET-XL's encoder; pre-layer-norm, its own model class)
    "xl": {"hidden_size": 2560, "num_hidden_layers": 36, "num_attention_heads": 32, "intermediate_size": 10240},
}
COMET_ENCODER = {"large": "XLM-RoBERTa", "base": "XLM-RoBERTa", "xl": "XLM-RoBERTa-XL"}


def build_checkpoint(out: Path, texts: list[str], vocab: int, shape: str = "large") -> tuple[Path, Path, int]:
    """A wmt22-comet-da-layout checkpoint on an XLM-R ``shape`` encoder with random weights:
    (checkpoint, encoder dir, parameters)."""
    import torch
    from comet.models import RegressionMetric

    enc = build_encoder(out, texts, vocab, shape)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        # load_pretrained_weights=False: encoder built from config.json with random weights
        model = RegressionMetric(
            encoder_model=COMET_ENCODER[shape], pretrained_model=str(enc), load_pretrained_weights=False,
            local_files_only=True, hidden_sizes=[3072, 1024], layer_transformation="sparsemax",
            layer="mix", pool="avg",
        )
    return save_checkpoint(model, out / f"comet-xlmr-{shape}-random"), enc, n_parameters(model)


def n_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())


def save_checkpoint(model, d: Path) -> Path:
    """hparams.yaml + checkpoints/model.ckpt, the layout comet.load_from_checkpoint reads."""
    import pytorch_lightning as pl
    import torch
    import yaml

    (d / "checkpoints").mkdir(parents=True, exist_ok=True)
    hp = dict(model.hparams)
    hp.pop("load_pretrained_weights", None)
    hp.pop("local_files_only", None)
    (d / "hparams.yaml").write_text(yaml.safe_dump(hp), encoding="utf-8")
    ckpt = d / "checkpoints" / "model.ckpt"
    torch.save({"state_dict": model.state_dict(), "hyper_parameters": hp,
                "pytorch-lightning_version": pl.__version__}, ckpt)
    return ckpt


def build_encoder(out: Path, texts: list[str], vocab: int, shape: str) -> Path:
    """An XLM-R ``shape`` config (no weights) with a SentencePiece tokenizer trained on ``texts``."""
    import io

    import sentencepiece as spm
    from transformers import XLMRobertaConfig, XLMRobertaTokenizerFast, XLMRobertaXLConfig

    enc = out / f"xlmr-{shape}-arch"
    enc.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_writer=buf, vocab_size=vocab, character_coverage=1.0,
        model_type="unigram", hard_vocab_limit=False, num_threads=1, minloglevel=2,
    )
    (enc / "sentencepiece.bpe.model").write_bytes(buf.getvalue())
    tok = XLMRobertaTokenizerFast(vocab_file=str(enc / "sentencepiece.bpe.model"), model_max_length=512)
    tok.save_pretrained(enc)
    (XLMRobertaXLConfig if shape == "xl" else XLMRobertaConfig)(
        vocab_size=len(tok), **XLMR_SHAPES[shape], max_position_embeddings=514, pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
    ).save_pretrained(enc)
    return enc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--segments", type=int, default=24, help="segments per system (0 = all)")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--vocab", type=int, default=8000)
    ap.add_argument("--no-attribution", action="store_true", help="skip the mtqe_nodedup variant")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "comet_speed.json"))
    args = ap.parse_args()

    import torch

    from mtqe.corpus.loader import load_parallel_document
    from mtqe.corpus.manifest import load_manifest
    from mtqe.corpus.paths import default_references_dir
    from mtqe.metrics.base import MetricInput
    from mtqe.metrics.comet_metric import CometMetric
    from mtqe.metrics.configs import CometConfig

    t0 = time.perf_counter()
    doc = load_parallel_document(load_manifest(default_references_dir()), "jpus-2022", "ja", "zh", unit="sentence")
    src_all = [s.source for s in doc.segments]
    ref_all = [s.targets["zh-community"] for s in doc.segments]
    total = len(src_all)
    n = total if args.segments <= 0 else min(args.segments, total)
    idx = [round(i * (total - 1) / max(n - 1, 1)) for i in range(n)] if n < total else list(range(total))
    src = [src_all[i] for i in idx]
    ref = [ref_all[i] for i in idx]
    sys_a = list(ref)
    sys_b = ["".join(ch for j, ch in enumerate(r) if j % 5 != 4) for r in ref]
    sys_c = [sys_b[i] if i % 2 == 0 else sys_a[i] for i in range(n)]
    systems = {"a_ref": sys_a, "b_drop5": sys_b, "c_mixed": sys_c}

    tmp = Path(tempfile.mkdtemp(prefix="comet-speed-"))
    ckpt, enc, n_params = build_checkpoint(tmp, src_all + ref_all, args.vocab)
    build_s = time.perf_counter() - t0

    metric = CometMetric(cfg=CometConfig(name="comet", model=str(ckpt), batch_size=args.batch_size,
                                         gpus=0, precision="32", encoder_dir=str(enc)))
    t = time.perf_counter()
    loaded, _ = metric._ensure_loaded()  # load outside the timed region (both sides share it)
    if loaded is None:
        raise SystemExit(f"load failed: {metric._failure}")
    load_s = time.perf_counter() - t
    model = loaded.model
    tokz = model.encoder.tokenizer
    tok_len = {k: statistics.mean(len(x) for x in tokz(v)["input_ids"]) for k, v in
               {"src": src, "ref": ref, "b_drop5": sys_b}.items()}
    print(f"built in {build_s:.0f}s, loaded in {load_s:.0f}s; params={n_params/1e6:.0f}M; "
          f"{n}/{total} segments; mean tokens {tok_len}; torch threads {torch.get_num_threads()}", flush=True)

    def run_predict():
        out = {}
        for name, hyp in systems.items():
            samples = [{"src": s, "mt": m, "ref": r} for s, m, r in zip(src, hyp, ref)]
            out[name] = list(model.predict(samples, batch_size=args.batch_size, gpus=0,
                                           progress_bar=False).scores)
        return out

    def run_mtqe(clear_each: bool):
        metric._memo.clear()
        metric._embeddings.clear()  # encode once: sentence embeddings are memoised too
        out = {}
        for name, hyp in systems.items():
            if clear_each:
                metric._memo.clear()
                metric._embeddings.clear()
            res = metric.score(MetricInput(sources=src, hypotheses=hyp, references=[ref],
                                           reference_ids=["zh-community"], src_lang="ja", tgt_lang="zh"))
            out[name] = [float(x) for x in res.stats[:, 0]]
        return out

    variants = {"predict": run_predict, "mtqe": lambda: run_mtqe(False)}
    if not args.no_attribution:
        variants["mtqe_nodedup"] = lambda: run_mtqe(True)
    runs: dict[str, list[dict]] = {k: [] for k in variants}
    scores: dict[str, dict] = {}
    segs = 3 * n
    for rep in range(args.reps):
        for name, fn in variants.items():
            la0 = load_avg()
            c0, w0 = time.process_time(), time.perf_counter()
            scores[name] = fn()
            wall = time.perf_counter() - w0
            cpu = time.process_time() - c0
            r = {"rep": rep, "wall_s": round(wall, 2), "seg_per_s": round(segs / wall, 3),
                 "cpu_util": round(cpu / wall, 2), "load1_before": round(la0, 2), "load1_after": round(load_avg(), 2)}
            runs[name].append(r)
            print(f"rep {rep} {name:13s} {wall:7.1f}s {segs / wall:6.2f} seg/s cpu {cpu / wall:.2f} "
                  f"load {la0:.2f}->{load_avg():.2f}", flush=True)
        report(args, runs, scores, systems, src, ref, n, total, tok_len, n_params, len(tokz), build_s, load_s,
               reps_done=rep + 1)


def report(args, runs, scores, systems, src, ref, n, total, tok_len, n_params, vocab_len, build_s, load_s,
           reps_done) -> None:
    """Print the table and (re)write the JSON; called after every repetition."""
    import torch

    segs = 3 * n
    med = {k: statistics.median(r["seg_per_s"] for r in v) for k, v in runs.items()}
    diffs = {}
    for name in systems:
        for other in [k for k in scores if k != "predict"]:
            d = max(abs(a - b) for a, b in zip(scores["predict"][name], scores[other][name]))
            diffs[f"{other}:{name}"] = d
    max_diff = max(diffs.values())
    unique_inputs = len({(s, m, r) for hyp in systems.values() for s, m, r in zip(src, hyp, ref)})

    print()
    print(f"{'variant':14s} {'seg/s (median)':>15s} {'vs predict':>11s}  runs (seg/s @ load1)")
    for k, v in runs.items():
        print(f"{k:14s} {med[k]:15.2f} {med[k] / med['predict']:10.2f}x  "
              + ", ".join(f"{r['seg_per_s']}@{r['load1_before']}" for r in v))
    print(f"segments scored per variant: {segs} (3 systems x {n}); unique (src, mt, ref): {unique_inputs}")
    print(f"max |score diff| vs predict: {max_diff:.2e}")

    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    cpu_model = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name")), "?")
    result = {
        "command": " ".join(["HF_HUB_OFFLINE=1", ".venv/bin/python", "benchmarks/comet_speed.py", *sys.argv[1:]]),
        "machine": {"cpu": cpu_model, "nproc": os.cpu_count(), "python": platform.python_version(),
                    "torch_threads": torch.get_num_threads()},
        "versions": {p: metadata.version(p) for p in ("unbabel-comet", "torch", "transformers", "pytorch-lightning")},
        "model": {"arch": "XLM-R large (1024 hidden, 24 layers, 16 heads, ffn 4096) + COMET RegressionMetric "
                          "(hidden_sizes [3072, 1024], layer mix, avg pool), random weights, fp32",
                  "params_M": round(n_params / 1e6, 1), "vocab": vocab_len,
                  "vocab_note": "small spm trained on the document's texts, not XLM-R's 250k",
                  "mean_tokens": tok_len},
        "data": {"document": "jpus-2022 ja->zh sentence, ref zh-community", "segments_total": total,
                 "segments_used": n, "systems": list(systems), "unique_inputs": unique_inputs},
        "reps_done": reps_done, "batch_size": args.batch_size, "build_s": round(build_s, 1), "load_s": round(load_s, 1),
        "runs": runs, "median_seg_per_s": med,
        "ratio_mtqe_vs_predict": med["mtqe"] / med["predict"],
        "ratio_mtqe_nodedup_vs_predict": (med["mtqe_nodedup"] / med["predict"]) if "mtqe_nodedup" in med else None,
        "max_abs_score_diff": max_diff, "score_diffs": diffs,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
