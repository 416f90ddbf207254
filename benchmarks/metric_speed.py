r"""Neural-metric speed: mtqe vs the reference implementation's own predict, per metric, one run.

For each metric in :data:`METRICS` (metric name -> builder) a model of the real architecture is
built at run time with random weights (no hub here; speed depends on the shape, not the
weights), and both sides score the same systems with the same loaded model and batch size,
repetitions interleaved (``_bench.interleaved``), medians reported with CPU time and load.

Data: jpus-2022 ja→zh (``--unit sentence|paragraph``), zh-community reference, ``--segments N``
spread evenly over the document (0 = all). Four systems share source and reference; each is
the reference with a different character-level edit, so no two systems (and no system and the
reference) share an output on segments of 8+ characters: every gain measured is per input,
none comes from duplicate inputs (the unique counts are printed and stored).

COMET (``comet``): wmt22-comet-da layout (``RegressionMetric``, hidden_sizes [3072, 1024],
layer mix, avg pool) on XLM-R ``--shape large`` (COMET-22: 1024 hidden, 24 layers) or ``base``.
Sides:

* ``predict``: unbabel-comet ``model.predict(samples, batch_size=B, gpus=0)`` once per system;
* ``mtqe``: one ``CometMetric`` scoring the 4 systems (encode once: source and reference
  embeddings computed once; memo and embeddings cleared before each repetition);
* ``mtqe_per_input`` (attribution): encode once off and the score memo cleared per system,
  i.e. what mtqe did per input before encode once;
* ``mtqe_bf16`` (``--bf16``): ``precision: bf16`` (CPU autocast), scores compared with fp32;
* ``mtqe_cached_src_ref`` (``--cached-embeddings``): a later run on the same documents whose
  source and reference embeddings are in the cache (``embeddings.sqlite``), scores not cached.

XCOMET (``xcomet``): ``XCOMETMetric`` (XCOMET-XL head layout) on XLM-R ``--shape`` (``xl`` is
XCOMET-XL's XLM-R XL: 3.5B parameters, ~14 GB fp32 per copy), reference-based. Sides:
``predict`` (unbabel-comet, once per system) and ``mtqe`` (``type: xcomet``); scores and error
spans compared (``spans_equal_reference``). Joint encoding: nothing to reuse across systems.

MetricX (``metricx``): MetricX-24 on an mT5 ``--shape`` (base | large | xl), reference-based.
Sides: ``reference_style`` (written here after google-research/metricx's published predict loop,
which is not a package: per-input tokenization, batch size 1), ``mtqe`` (``type: metricx``,
batched) and ``mtqe_bs1`` (mtqe at batch size 1). See :func:`metricx_bench`.

``--copies N`` adds N systems repeating the outputs of others (the de-duplication case: the
reference sides score them again, mtqe scores each distinct input once). ``--warmup`` runs every
side once untimed first (with ``--reps 1`` the side that runs first otherwise pays the process's
one-off costs).

Adding a metric: a builder ``(args, data, tmp) -> MetricBench`` in METRICS.

Small check run (minutes):
  HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/metric_speed.py --shape base --segments 8 --reps 1 \
      --no-wait --bf16 --cached-embeddings --threads 1
Full run (COMET-22 shape, whole document, quiet machine):
  HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/metric_speed.py --shape large --segments 0 --reps 3 \
      --bf16 --cached-embeddings
XCOMET and MetricX, small (1-2 minutes each at base shape, 1 thread):
  HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/metric_speed.py --metrics metricx --shape base --segments 8 \
      --reps 1 --warmup --no-wait --threads 1
(full-size commands: docs/benchmarks.md)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import _bench  # noqa: E402 -- after the environment it reads

Scores = dict[str, list[float]]  # system -> segment scores


@dataclass(frozen=True)
class Data:
    unit: str
    src: list[str]
    ref: list[str]
    systems: dict[str, list[str]]
    total: int  # segments in the document
    corpus: list[str]  # every source and reference text of the document (tokenizer training)


@dataclass
class MetricBench:
    """What a builder hands the timing loop."""

    model: dict[str, Any]  # description for the results file
    reference: str  # the side every ratio is against
    sides: dict[str, Callable[[], Scores]]
    same_scores: tuple[str, ...]  # sides whose scores must equal the reference's (fp32)
    compared: dict[str, str] = field(default_factory=dict)  # side -> side its scores are compared with
    work: dict[str, Any] = field(default_factory=dict)  # filled by the sides: texts encoded etc.
    spans: dict[str, dict[str, list]] = field(default_factory=dict)  # side -> system -> per segment spans


# ----------------------------------------------------------------------------- data


def load_data(unit: str, segments: int, copies: int = 0) -> Data:
    from mtqe.corpus.loader import load_parallel_document
    from mtqe.corpus.manifest import load_manifest
    from mtqe.corpus.paths import default_references_dir

    doc = load_parallel_document(load_manifest(default_references_dir()), "jpus-2022", "ja", "zh", unit=unit)
    src_all = [s.source for s in doc.segments]
    ref_all = [s.targets["zh-community"] for s in doc.segments]
    total = len(src_all)
    n = total if segments <= 0 else min(segments, total)
    idx = [round(i * (total - 1) / max(n - 1, 1)) for i in range(n)] if n < total else list(range(total))
    ref = [ref_all[i] for i in idx]
    edits = {
        "drop5": lambda r: "".join(ch for j, ch in enumerate(r) if j % 5 != 4),
        "drop7": lambda r: "".join(ch for j, ch in enumerate(r) if j % 7 != 6),
        "double6": lambda r: "".join(ch * (2 if j % 6 == 5 else 1) for j, ch in enumerate(r)),
        "rotate3": lambda r: r[3:] + r[:3],
    }
    systems = {name: [edit(r) for r in ref] for name, edit in edits.items()}
    # --copies N: N more systems repeating the outputs of the first N (the de-duplication case:
    # systems that agree on a segment, or one system scored twice)
    for name in list(systems)[:copies]:
        systems[f"{name}_copy"] = list(systems[name])
    return Data(unit=unit, src=[src_all[i] for i in idx], ref=ref, systems=systems, total=total,
                corpus=src_all + ref_all)


# ----------------------------------------------------------------------------- COMET


def comet_bench(args: argparse.Namespace, data: Data, tmp: Path) -> MetricBench:
    import comet_speed

    from mtqe.metrics.base import MetricInput
    from mtqe.metrics.comet_metric import CometMetric
    from mtqe.metrics.configs import CometConfig

    ckpt, enc, n_params = comet_speed.build_checkpoint(tmp, data.corpus, args.vocab, shape=args.shape)

    def metric(precision: str) -> CometMetric:
        m = CometMetric(cfg=CometConfig(name="comet", model=str(ckpt), batch_size=args.batch_size, gpus=0,
                                        precision=precision, encoder_dir=str(enc)))
        loaded, _ = m._ensure_loaded()  # loading is not timed (both sides use one loaded model)
        if loaded is None:
            raise SystemExit(f"load failed: {m._failure}")
        return m

    fp32 = metric("32")
    model = fp32._loaded.model
    bench = MetricBench(
        model={"metric": "comet", "class": "RegressionMetric (wmt22-comet-da layout)", "encoder": f"XLM-R {args.shape}",
               **comet_speed.XLMR_SHAPES[args.shape], "params_M": round(n_params / 1e6, 1),
               "vocab": len(model.encoder.tokenizer), "weights": "random", "batch_size": args.batch_size},
        reference="predict", sides={}, same_scores=("mtqe", "mtqe_per_input"),
    )

    def predict() -> Scores:
        out = {}
        for name, hyp in data.systems.items():
            samples = [{"src": s, "mt": m, "ref": r} for s, m, r in zip(data.src, hyp, data.ref)]
            out[name] = list(model.predict(samples, batch_size=args.batch_size, gpus=0, progress_bar=False).scores)
        return out

    def mtqe(m: CometMetric, *, encode_once: bool, clear_each: bool, label: str) -> Callable[[], Scores]:
        def run() -> Scores:
            m.encode_once = encode_once
            m._memo.clear()
            m._embeddings.clear()
            encoded0, stored0 = m._embeddings.encoded, m._embeddings.from_store
            out = {}
            for name, hyp in data.systems.items():
                if clear_each:
                    m._memo.clear()
                result = m.score(MetricInput(sources=data.src, hypotheses=hyp, references=[data.ref],
                                             reference_ids=["zh-community"], src_lang="ja", tgt_lang="zh"))
                out[name] = list(result.segment_scores)
            bench.work[label] = {"texts_encoded": m._embeddings.encoded - encoded0 if encode_once else None,
                                 "embeddings_from_cache": m._embeddings.from_store - stored0}
            return out

        return run

    bench.sides = {
        "predict": predict,
        "mtqe": mtqe(fp32, encode_once=True, clear_each=False, label="mtqe"),
        "mtqe_per_input": mtqe(fp32, encode_once=False, clear_each=True, label="mtqe_per_input"),
    }
    if args.cached_embeddings:
        bench.sides["mtqe_cached_src_ref"] = cached_src_ref(fp32, data, tmp, mtqe)
        bench.same_scores += ("mtqe_cached_src_ref",)
    if args.bf16:
        bench.sides["mtqe_bf16"] = mtqe(metric("bf16"), encode_once=True, clear_each=False, label="mtqe_bf16")
        bench.compared["mtqe_bf16"] = "mtqe"
    tok = model.encoder.tokenizer
    bench.model["mean_tokens"] = {
        k: round(statistics.mean(len(x) for x in tok(v)["input_ids"]), 1)
        for k, v in {"src": data.src, "ref": data.ref, "drop5": data.systems["drop5"]}.items()
    }
    return bench


def cached_src_ref(fp32, data: Data, tmp: Path, mtqe) -> Callable[[], Scores]:
    """A later run scoring the 4 systems on documents scored before: source and reference
    embeddings come from ``embeddings.sqlite`` beside the score cache (filled untimed by one
    system), segment scores are not cached (their rows are deleted before each repetition)."""
    import sqlite3

    from mtqe.metrics.base import MetricInput
    from mtqe.metrics.comet_metric import CometMetric
    from mtqe.metrics.score_cache import ScoreCache

    cache_path = tmp / "cache" / "scores.sqlite"
    m = CometMetric(cfg=fp32.cfg, cache=ScoreCache(cache_path))
    m._loaded = fp32._loaded  # the same loaded model (loading is not timed)
    first = next(iter(data.systems.values()))
    m.score(MetricInput(sources=data.src, hypotheses=first, references=[data.ref], reference_ids=["zh-community"],
                        src_lang="ja", tgt_lang="zh"))
    run = mtqe(m, encode_once=True, clear_each=False, label="mtqe_cached_src_ref")

    def fresh_scores() -> Scores:
        with sqlite3.connect(cache_path) as conn:
            conn.execute("DELETE FROM segment_scores")
        return run()

    return fresh_scores


# ----------------------------------------------------------------------------- XCOMET


def xcomet_bench(args: argparse.Namespace, data: Data, tmp: Path) -> MetricBench:
    """XCOMET-XL layout (``XCOMETMetric``: hidden_sizes [2560, 1280], sent layer mix, word-level
    head on the last layer) on XLM-R ``--shape``; reference-based (3 joint encodings per input).
    Sides: ``predict`` (unbabel-comet, once per system) and ``mtqe`` (``type: xcomet``)."""
    import comet_speed
    import torch
    from comet.models import XCOMETMetric

    from mtqe.metrics.base import MetricInput
    from mtqe.metrics.configs import XcometConfig
    from mtqe.metrics.xcomet_metric import XcometMetric

    enc = comet_speed.build_encoder(tmp, data.corpus, args.vocab, args.shape)
    layers = comet_speed.XLMR_SHAPES[args.shape]["num_hidden_layers"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        built = XCOMETMetric(
            encoder_model=comet_speed.COMET_ENCODER[args.shape], pretrained_model=str(enc),
            load_pretrained_weights=False, local_files_only=True, hidden_sizes=[2560, 1280], layer_transformation="softmax",
            sent_layer="mix", word_layer=layers,
        )
        with torch.no_grad():
            # random weights tag almost nothing: bias the word head towards the error labels
            # so that spans are decoded and compared (as tests/tiny_models.build_tiny_xcomet)
            built.hidden2tag.weight.mul_(8.0)
            built.hidden2tag.bias.copy_(torch.tensor([1.5, 0.0, 0.0, 0.0]))
    ckpt = comet_speed.save_checkpoint(built, tmp / f"xcomet-xlmr-{args.shape}-random")
    n_params = comet_speed.n_parameters(built)
    del built

    m = XcometMetric(cfg=XcometConfig(name="xcomet", model=str(ckpt), batch_size=args.batch_size, gpus=0,
                                      precision="32", encoder_dir=str(enc)))
    loaded, _ = m._ensure_loaded()  # loading is not timed (both sides use one loaded model)
    if loaded is None:
        raise SystemExit(f"load failed: {m._failure}")
    model = m._loaded.model
    bench = MetricBench(
        model={"metric": "xcomet", "class": "XCOMETMetric (XCOMET-XL head layout)", "encoder": f"XLM-R {args.shape}",
               **comet_speed.XLMR_SHAPES[args.shape], "params_M": round(n_params / 1e6, 1),
               "vocab": len(model.encoder.tokenizer), "weights": "random (word head biased to tag errors)",
               "batch_size": args.batch_size, "mode": "reference-based (src, mt, ref)"},
        reference="predict", sides={}, same_scores=("mtqe",),
    )

    def predict() -> Scores:
        out, spans = {}, {}
        for name, hyp in data.systems.items():
            samples = [{"src": s, "mt": h, "ref": r} for s, h, r in zip(data.src, hyp, data.ref)]
            got = model.predict(samples, batch_size=args.batch_size, gpus=0, progress_bar=False)
            out[name] = list(got.scores)
            # mtqe drops spans on <s> alone (no character of the hypothesis): compare like for like
            spans[name] = [[_span_key(sp) for sp in seg if sp["end"] > sp["start"]]
                           for seg in got.metadata.error_spans]
        bench.spans["predict"] = spans
        return out

    def mtqe() -> Scores:
        m._memo.clear()
        out, spans = {}, {}
        for name, hyp in data.systems.items():
            result = m.score(MetricInput(sources=data.src, hypotheses=hyp, references=[data.ref],
                                         reference_ids=["zh-community"], src_lang="ja", tgt_lang="zh"))
            out[name] = list(result.segment_scores)
            spans[name] = [[_span_key(sp) for sp in seg or ()] for seg in result.segment_spans]
        bench.spans["mtqe"] = spans
        return out

    bench.sides = {"predict": predict, "mtqe": mtqe}
    tok = model.encoder.tokenizer
    bench.model["mean_tokens"] = {
        k: round(statistics.mean(len(x) for x in tok(v)["input_ids"]), 1)
        for k, v in {"src": data.src, "ref": data.ref, "drop5": data.systems["drop5"]}.items()
    }
    return bench


def _span_key(sp: Any) -> tuple:
    """A span as a comparable tuple; confidence rounded (float32 vs float64 printing)."""
    get = sp.get if isinstance(sp, dict) else (lambda k: getattr(sp, k))
    return (int(get("start")), int(get("end")), str(get("text")), str(get("severity")), round(float(get("confidence")), 5))


# ----------------------------------------------------------------------------- MetricX

MT5_SHAPES = {
    # d_model, d_kv, d_ff, layers, heads of google/mt5-base and -large (MetricX-24 large = mT5-large)
    "base": {"d_model": 768, "d_kv": 64, "d_ff": 2048, "num_layers": 12, "num_decoder_layers": 12, "num_heads": 12},
    "large": {"d_model": 1024, "d_kv": 64, "d_ff": 2816, "num_layers": 24, "num_decoder_layers": 24, "num_heads": 16},
    "xl": {"d_model": 2048, "d_kv": 64, "d_ff": 5120, "num_layers": 24, "num_decoder_layers": 24, "num_heads": 32},
}
METRICX_SCORE_TOKEN = "<extra_id_10>"


def metricx_bench(args: argparse.Namespace, data: Data, tmp: Path) -> MetricBench:
    """MetricX-24 on an mT5 ``--shape`` (random weights, SentencePiece vocabulary trained on the
    document + mT5's 100 ``<extra_id_*>``), reference-based input. Sides:

    * ``reference_style`` - NOT google-research/metricx itself (not a package): written here after
      its published predict loop: each input tokenized alone (cut at 1536 tokens, EOS dropped),
      the model called one input at a time (batch size 1: its batch_size>1 crash, metricx #2),
      one decoder step from token 0, logit of ``<extra_id_10>`` clamped to [0, 25];
    * ``mtqe`` (``type: metricx``): sorted, padded batches of ``--batch-size``;
    * ``mtqe_bs1`` (attribution): mtqe at batch size 1, i.e. the per-call overhead alone.
    """
    import io

    import sentencepiece as spm
    import torch
    from transformers import MT5Config, MT5ForConditionalGeneration, T5TokenizerFast

    from mtqe.metrics.base import MetricInput
    from mtqe.metrics.configs import MetricxConfig
    from mtqe.metrics.metricx_metric import MetricxMetric, metricx_input

    if args.shape not in MT5_SHAPES:
        raise SystemExit(f"metricx: --shape {args.shape} has no mT5 size; use {', '.join(MT5_SHAPES)}")
    tok_dir = tmp / "mt5-tokenizer"
    tok_dir.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(data.corpus), model_writer=buf, vocab_size=args.vocab, character_coverage=1.0,
        model_type="unigram", hard_vocab_limit=False, num_threads=1, minloglevel=2,
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
    )
    (tok_dir / "spiece.model").write_bytes(buf.getvalue())
    tokenizer = T5TokenizerFast(vocab_file=str(tok_dir / "spiece.model"), extra_ids=100, legacy=False)
    tokenizer.save_pretrained(tok_dir)
    config = MT5Config(vocab_size=len(tokenizer) + 12, **MT5_SHAPES[args.shape], pad_token_id=0, eos_token_id=1,
                       decoder_start_token_id=0, feed_forward_proj="gated-gelu", tie_word_embeddings=False)
    index = tokenizer.convert_tokens_to_ids(METRICX_SCORE_TOKEN)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        built = MT5ForConditionalGeneration(config).eval()
        # random weights put the score logit far outside [0, 25] (every score clamped): point the
        # score row along the mean decoder state of a few inputs so scores land near 12 and differ
        texts = [metricx_input(s, h, r) for s, h, r in zip(data.src[:4], data.systems["drop5"][:4], data.ref[:4])]
        batch = tokenizer(texts, return_tensors="pt", padding=True)
        with torch.no_grad():
            states = built(**batch, decoder_input_ids=torch.zeros((len(texts), 1), dtype=torch.long),
                           output_hidden_states=True).decoder_hidden_states[-1][:, 0]
            mean = states.mean(dim=0)
            noise = states.std(dim=0) * torch.randn(config.d_model) * 4.0 / (states.std(dim=0).norm() + 1e-9)
            built.lm_head.weight[index] = 12.0 * mean / mean.dot(mean) + noise
    model_dir = tmp / f"metricx-mt5-{args.shape}-random"
    built.save_pretrained(model_dir)
    n_params = sum(p.numel() for p in built.parameters())
    del built

    def metric(batch_size: int) -> MetricxMetric:
        m = MetricxMetric(cfg=MetricxConfig(name="metricx", model=str(model_dir), tokenizer=str(tok_dir),
                                            batch_size=batch_size, gpus=0, precision="32"))
        loaded, _ = m._ensure_loaded()
        if loaded is None:
            raise SystemExit(f"load failed: {m._failure}")
        return m

    batched = metric(args.batch_size)
    single = metric(1)
    single._loaded = batched._loaded  # one loaded model for every side
    model = batched._loaded.model
    bench = MetricBench(
        model={"metric": "metricx", "class": "MT5ForConditionalGeneration (MetricX-24 head)",
               "encoder": f"mT5 {args.shape}", **MT5_SHAPES[args.shape], "params_M": round(n_params / 1e6, 1),
               "vocab": config.vocab_size, "weights": "random (score row aimed into [0, 25])",
               "batch_size": args.batch_size, "reference_batch_size": 1, "max_input_tokens": 1536,
               "mode": "reference-based (src, mt, ref)"},
        reference="reference_style", sides={}, same_scores=("mtqe", "mtqe_bs1"),
    )

    def reference_style() -> Scores:
        out = {}
        with torch.no_grad():
            for name, hyp in data.systems.items():
                scores = []
                for s, h, r in zip(data.src, hyp, data.ref):
                    ids = tokenizer(metricx_input(s, h, r), max_length=1536, truncation=True)["input_ids"][:-1]
                    input_ids = torch.tensor([ids], dtype=torch.long)
                    logits = model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                   decoder_input_ids=torch.zeros((1, 1), dtype=torch.long)).logits
                    scores.append(float(logits[0, 0, index].clamp(0.0, 25.0)))
                out[name] = scores
        return out

    def mtqe(m: MetricxMetric) -> Callable[[], Scores]:
        def run() -> Scores:
            m._memo.clear()
            out = {}
            for name, hyp in data.systems.items():
                result = m.score(MetricInput(sources=data.src, hypotheses=hyp, references=[data.ref],
                                             reference_ids=["zh-community"], src_lang="ja", tgt_lang="zh"))
                out[name] = list(result.segment_scores)
            return out

        return run

    bench.sides = {"reference_style": reference_style, "mtqe": mtqe(batched), "mtqe_bs1": mtqe(single)}
    lengths = [len(tokenizer(metricx_input(s, h, r))["input_ids"])
               for s, h, r in zip(data.src, data.systems["drop5"], data.ref)]
    bench.model["mean_tokens"] = {"input(drop5)": round(statistics.mean(lengths), 1), "max": max(lengths)}
    return bench


METRICS: dict[str, Callable[[argparse.Namespace, Data, Path], MetricBench]] = {
    "comet": comet_bench,
    "xcomet": xcomet_bench,
    "metricx": metricx_bench,
}


# ----------------------------------------------------------------------------- timing and report


def max_diff(a: Scores, b: Scores) -> float:
    return max(abs(x - y) for name in a for x, y in zip(a[name], b[name]))


def run_metric(name: str, args: argparse.Namespace, data: Data) -> dict[str, Any]:
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f"metric-speed-{name}-"))
    bench = METRICS[name](args, data, tmp)
    build_s = time.perf_counter() - started
    if args.warmup:
        # one untimed pass per side: the first calls of a process pay one-off costs (allocator,
        # oneDNN kernels per input shape) that would otherwise land on whichever side runs first
        for side in bench.sides.values():
            side()
    samples, scores = _bench.interleaved(bench.sides, args.reps)
    segments = len(data.systems) * len(data.src)
    unique = len({(s, m, r) for hyp in data.systems.values() for s, m, r in zip(data.src, hyp, data.ref)})
    ref = _bench.median_seconds(samples[bench.reference])
    ref_cpu = _bench.median_cpu_seconds(samples[bench.reference])
    sides = {}
    for side, runs in samples.items():
        wall, cpu = _bench.median_seconds(runs), _bench.median_cpu_seconds(runs)
        entry = {
            **_bench.summary(runs),
            "segments_per_s": round(segments / wall, 3),
            "vs_reference_wall": round(ref / wall, 3),
            "vs_reference_cpu": round(ref_cpu / cpu, 3) if cpu else None,
            **bench.work.get(side, {}),
        }
        if side in bench.same_scores:
            entry["max_abs_diff_vs_reference"] = max_diff(scores[bench.reference], scores[side])
        if side in bench.compared:
            entry[f"max_abs_diff_vs_{bench.compared[side]}"] = max_diff(scores[bench.compared[side]], scores[side])
        if side in bench.spans and side != bench.reference and bench.reference in bench.spans:
            mine, theirs = bench.spans[side], bench.spans[bench.reference]
            entry["spans"] = sum(len(seg) for segs in mine.values() for seg in segs)
            entry["spans_equal_reference"] = mine == theirs
        sides[side] = entry
    print(f"\n{name}: {segments} segments ({len(data.systems)} systems x {len(data.src)}), {unique} unique inputs, "
          f"reps {args.reps}, built+loaded in {build_s:.0f}s")
    print(f"{'side':16s} {'median s':>9s} {'seg/s':>8s} {'x wall':>7s} {'x cpu':>6s} {'cpu util':>8s}  diffs")
    for side, e in sides.items():
        diffs = {k: f"{v:.1e}" for k, v in e.items() if k.startswith("max_abs_diff")}
        diffs.update({k: e[k] for k in ("spans", "spans_equal_reference") if k in e})
        print(f"{side:16s} {e['median_s']:9.2f} {e['segments_per_s']:8.2f} {e['vs_reference_wall']:7.2f} "
              f"{e['vs_reference_cpu']:6.2f} {e['min_cpu_util']:8.2f}  {diffs}")
    return {"model": bench.model, "segments": segments, "warmup": args.warmup, "unique_inputs": unique, "build_and_load_s": round(build_s, 1),
            "reference": bench.reference, "sides": sides}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--metrics", default="comet", help=f"comma-separated, of {', '.join(METRICS)}")
    ap.add_argument("--shape", choices=("large", "base", "xl"), default="large",
                    help="encoder size: XLM-R (COMET-22: large, XCOMET-XL: xl) or mT5 (MetricX-24 large: large)")
    ap.add_argument("--unit", choices=("sentence", "paragraph"), default="sentence")
    ap.add_argument("--segments", type=int, default=24, help="segments per system (0 = the whole document)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--copies", type=int, default=0, choices=range(5),
                    help="add copies of the first N systems (duplicate inputs: the de-duplication case)")
    ap.add_argument("--warmup", action="store_true", help="run every side once untimed before the timed runs")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--vocab", type=int, default=8000, help="SentencePiece pieces trained on the document")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--bf16", action="store_true", help="also time precision bf16 (CPU autocast)")
    ap.add_argument("--cached-embeddings", action="store_true",
                    help="also time a later run whose source/reference embeddings are in the cache")
    ap.add_argument("--name", default="metric_speed", help="results file: benchmarks/results/<name>.json")
    _bench.add_quiet_arguments(ap)
    args = ap.parse_args()
    unknown = [m for m in args.metrics.split(",") if m not in METRICS]
    if unknown:
        raise SystemExit(f"unknown metric(s) {unknown}; known: {', '.join(METRICS)}")
    quiet = _bench.quiet_or_none(args)
    if quiet is None:
        sys.exit(3)
    if args.threads:
        _bench.set_threads(args.threads)
    import torch

    data = load_data(args.unit, args.segments, args.copies)
    results = {m: run_metric(m, args, data) for m in args.metrics.split(",")}
    path = _bench.write_results(args.name, {
        "command": "HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/metric_speed.py " + " ".join(sys.argv[1:]),
        "machine": _bench.machine(), "torch_threads": torch.get_num_threads(), "quiet": quiet,
        "data": {"document": f"jpus-2022 ja->zh {data.unit}, ref zh-community", "segments_total": data.total,
                 "segments_used": len(data.src), "systems": list(data.systems)},
        "metrics": results,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
