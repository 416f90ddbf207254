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

Adding a metric (XCOMET, MetricX): a builder ``(args, data, tmp) -> MetricBench`` in METRICS.

Small check run (minutes):
  HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/metric_speed.py --shape base --segments 8 --reps 1 \
      --no-wait --bf16 --cached-embeddings --threads 1
Full run (COMET-22 shape, whole document, quiet machine):
  HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/metric_speed.py --shape large --segments 0 --reps 3 \
      --bf16 --cached-embeddings
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


# ----------------------------------------------------------------------------- data


def load_data(unit: str, segments: int) -> Data:
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


METRICS: dict[str, Callable[[argparse.Namespace, Data, Path], MetricBench]] = {
    "comet": comet_bench,
    # "xcomet": ..., "metricx": ...  (same interface)
}


# ----------------------------------------------------------------------------- timing and report


def max_diff(a: Scores, b: Scores) -> float:
    return max(abs(x - y) for name in a for x, y in zip(a[name], b[name]))


def run_metric(name: str, args: argparse.Namespace, data: Data) -> dict[str, Any]:
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f"metric-speed-{name}-"))
    bench = METRICS[name](args, data, tmp)
    build_s = time.perf_counter() - started
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
        sides[side] = entry
    print(f"\n{name}: {segments} segments ({len(data.systems)} systems x {len(data.src)}), {unique} unique inputs, "
          f"reps {args.reps}, built+loaded in {build_s:.0f}s")
    print(f"{'side':16s} {'median s':>9s} {'seg/s':>8s} {'x wall':>7s} {'x cpu':>6s} {'cpu util':>8s}  diffs")
    for side, e in sides.items():
        diffs = {k: f"{v:.1e}" for k, v in e.items() if k.startswith("max_abs_diff")}
        print(f"{side:16s} {e['median_s']:9.2f} {e['segments_per_s']:8.2f} {e['vs_reference_wall']:7.2f} "
              f"{e['vs_reference_cpu']:6.2f} {e['min_cpu_util']:8.2f}  {diffs}")
    return {"model": bench.model, "segments": segments, "unique_inputs": unique, "build_and_load_s": round(build_s, 1),
            "reference": bench.reference, "sides": sides}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--metrics", default="comet", help=f"comma-separated, of {', '.join(METRICS)}")
    ap.add_argument("--shape", choices=("large", "base"), default="large", help="encoder size (COMET-22: large)")
    ap.add_argument("--unit", choices=("sentence", "paragraph"), default="sentence")
    ap.add_argument("--segments", type=int, default=24, help="segments per system (0 = the whole document)")
    ap.add_argument("--reps", type=int, default=3)
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

    data = load_data(args.unit, args.segments)
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
