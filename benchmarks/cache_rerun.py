"""``mtqe run`` twice: the first run vs a re-run of the unchanged experiment (translation cache hit).

Usage (from the repository root, offline)::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/cache_rerun.py                  # waits for load < 1.5
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/cache_rerun.py --backend ctranslate2 --no-wait

The experiment: jpus-2022 ja→zh, systems ``community`` (the human text) and ``bench-opus-size``
(the random-weight OPUS-MT-size Marian of ``_bench.py``, ``sentence_split: true``, beam 4,
``max_new_tokens`` 48 — random weights rarely stop early, so about the length of a real
translation), metrics BLEU and chrF. Each run is a fresh ``mtqe run`` process (as a user types
it) with its own run directory; all runs share one translation cache that starts empty, so the
first run translates and every re-run finds all sentences cached and loads no model.

Also recorded: each run's own stage timings (``timings_s`` in run.json: corpus, translate,
score), the start-up floor (``python -c "import mtqe.cli"`` and ``mtqe systems list``)
and, from one extra re-run under ``python -X importtime``, the modules whose import dominates.
Goal: re-run <= 5 % of the first run. Results: ``benchmarks/results/cache_rerun-<backend>-t<threads>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bench  # after the sys.path line above

PYTHON = sys.executable
SYSTEM = "bench-opus-size"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("hf_seq2seq", "ctranslate2"), default="hf_seq2seq")
    parser.add_argument("--reruns", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="OMP_NUM_THREADS for the runs (0: leave unset)")
    _bench.add_quiet_arguments(parser)
    return parser.parse_args(argv)


def system_yaml(backend: str, model_dir: Path, threads: int) -> str:
    beams, length = ("num_beams: 4", "max_new_tokens: 48")
    if backend == "ctranslate2":
        beams, length = ("beam_size: 4", f"max_decoding_length: 48\n  threads: {threads}")
    return (
        f"{SYSTEM}:\n  type: {backend}\n  model: {model_dir}\n  device: cpu\n  sentence_split: true\n"
        f"  {beams}\n  {length}\n  description: random-weight OPUS-MT-size Marian (benchmark)\n"
    )


def prepare(work: Path, backend: str, threads: int) -> dict[str, str]:
    """A private conf dir (the project's conf + the benchmark system) and an empty cache."""
    model_dir = _bench.build_opus_size_marian()
    if work.exists():
        shutil.rmtree(work)
    conf = work / "conf"
    shutil.copytree(_bench.REPO / "mtqe" / "conf", conf)
    (conf / "system" / f"{SYSTEM}.yaml").write_text(system_yaml(backend, model_dir, threads), encoding="utf-8")
    env = dict(os.environ, HF_HUB_OFFLINE="1", MTQE_CONF_DIR=str(conf), MTQE_CACHE_DIR=str(work / "cache"))
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)  # torch reads it when imported
    return env


def convert_once(ct2_cache: Path) -> None:
    """The CTranslate2 conversion is once per machine, not per experiment: do it before the
    timed runs, so a ctranslate2 first run measures translation, as on any machine but the first."""
    from mtqe.systems.configs import Ct2Config
    from mtqe.systems.ct2 import Ct2Translator

    model = str(_bench.build_opus_size_marian())
    Ct2Translator(cfg=Ct2Config(type="ctranslate2", name=SYSTEM, model=model, device="cpu"), cache_dir=ct2_cache).load()


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def mtqe_run(env: dict[str, str], run_dir: Path, *, python_flags: Sequence[str] = ()) -> tuple[float, float, str]:
    """One ``mtqe run`` process: (wall seconds, CPU seconds, stderr)."""
    command = [
        PYTHON, *python_flags, "-m", "mtqe.cli", "run", "pair=ja-zh", f"system=[community,{SYSTEM}]",
        "metric=[bleu,chrf]", f"hydra.run.dir={run_dir}", "--quiet",
    ]  # fmt: skip
    cpu0, started = children_cpu_seconds(), time.perf_counter()
    done = subprocess.run(command, cwd=_bench.REPO, env=env, capture_output=True, text=True, check=False)
    seconds, cpu = time.perf_counter() - started, children_cpu_seconds() - cpu0
    if done.returncode != 0:
        raise RuntimeError(f"mtqe run failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    if not (run_dir / "leaderboard.csv").is_file():
        raise RuntimeError(f"no leaderboard.csv in {run_dir}: the run did not finish")
    return seconds, cpu, done.stderr


def stage_timings(run_dir: Path) -> dict[str, float]:
    """The pipeline's own stage timings (``timings_s`` of run.json): corpus, translate, score."""
    return dict(json.loads((run_dir / "run.json").read_text(encoding="utf-8")).get("timings_s", {}))


def timed_command(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=_bench.REPO, env=env, capture_output=True, check=True)
    return time.perf_counter() - started


def top_imports(importtime_stderr: str, limit: int = 12) -> list[dict[str, Any]]:
    """Top-level packages by cumulative import time, from ``-X importtime`` output."""
    by_package: dict[str, int] = {}
    pattern = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")
    for line in importtime_stderr.splitlines():
        match = pattern.match(line)
        if match and len(match.group(3)) == 1:  # depth 0: a module imported at top level
            package = match.group(4).split(".")[0]
            by_package[package] = by_package.get(package, 0) + int(match.group(2))
    ranked = sorted(by_package.items(), key=lambda item: -item[1])[:limit]
    return [{"package": name, "cumulative_s": round(us / 1e6, 3)} for name, us in ranked]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    quiet = _bench.quiet_or_none(args)
    if quiet is None:
        return 3
    work = _bench.WORK_DIR / "cache-rerun"
    env = prepare(work, args.backend, args.threads)
    if args.backend == "ctranslate2":
        convert_once(work / "cache" / "ct2")
    load_first = _bench.loadavg()
    first, first_cpu, _ = mtqe_run(env, work / "runs" / "first")
    first_stages = stage_timings(work / "runs" / "first")
    reruns = []
    for i in range(args.reruns):
        load = _bench.loadavg()
        seconds, cpu, _ = mtqe_run(env, work / "runs" / f"rerun{i}")
        stages = stage_timings(work / "runs" / f"rerun{i}")
        reruns.append({"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "load": load, "stages_s": stages})
    _, _, importtime = mtqe_run(env, work / "runs" / "importtime", python_flags=["-X", "importtime"])
    floor_import = timed_command([PYTHON, "-c", "import mtqe.cli"], env)
    floor_list = timed_command([PYTHON, "-m", "mtqe.cli", "systems", "list"], env)
    rerun = statistics.median(r["seconds"] for r in reruns)
    rerun_cpu = statistics.median(r["cpu_seconds"] for r in reruns)
    imports = top_imports(importtime)
    threads = args.threads or "default"
    print(f"backend {args.backend}; jpus-2022 ja→zh, sentence_split, beam 4, 48 tokens; threads {threads}")
    print("| run                     | wall s | CPU s | load | corpus s | translate s | score s |")
    print("|-------------------------|-------:|------:|-----:|---------:|------------:|--------:|")

    def stage_cells(stages: dict[str, float]) -> str:
        return " | ".join(
            f"{stages.get(k, float('nan')):{w}.2f}" for k, w in (("corpus_s", 8), ("translate_s", 11), ("score_s", 7))
        )

    print(
        f"| first (translates)      | {first:6.1f} | {first_cpu:5.1f} | {load_first:4.2f} | {stage_cells(first_stages)} |"
    )
    for i, r in enumerate(reruns):
        print(
            f"| re-run {i} (all cached)   | {r['seconds']:6.1f} | {r['cpu_seconds']:5.1f} | {r['load']:4.2f} | "
            f"{stage_cells(r['stages_s'])} |"
        )
    print(f"re-run / first = {100 * rerun / first:.1f}% wall, {100 * rerun_cpu / first_cpu:.1f}% CPU (goal <= 5%)")
    print(f"floor: `import mtqe.cli` {floor_import:.2f} s; `mtqe systems list` {floor_list:.2f} s")
    print(
        "top-level imports in a re-run (cumulative s): "
        + ", ".join(f"{i['package']} {i['cumulative_s']}" for i in imports)
    )
    path = _bench.write_results(
        f"cache_rerun-{args.backend}-t{args.threads or 'default'}",
        {
            "machine": _bench.machine(),
            "quiet": quiet,
            "backend": args.backend,
            "threads": args.threads or None,
            "first_s": round(first, 2),
            "first_cpu_s": round(first_cpu, 2),
            "first_load": load_first,
            "first_stages_s": first_stages,
            "reruns": reruns,
            "rerun_median_s": round(rerun, 2),
            "rerun_median_cpu_s": round(rerun_cpu, 2),
            "rerun_pct_of_first": round(100 * rerun / first, 2),
            "rerun_pct_of_first_cpu": round(100 * rerun_cpu / first_cpu, 2),
            "floor": {"import_mtqe_cli_s": round(floor_import, 2), "systems_list_s": round(floor_list, 2)},
            "top_imports_in_rerun": imports,
            "command": "HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/cache_rerun.py " + " ".join(argv or sys.argv[1:]),
        },
    )
    print(f"results: {path.relative_to(_bench.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
