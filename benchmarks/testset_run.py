"""A whole `mtqe run` on a line-aligned test set vs sacrebleu's CLI, same files, same machine, one run.

Workload (issue 10): N systems × M segments (default 20 × 2,000), BLEU + chrF, 95% bootstrap CIs
(1,000 resamples), paired bootstrap (1,000) and approximate randomization (10,000 trials)
against a baseline, significance clusters. The lines come from ``stats_scale.make_test_set``:
tokens sampled from the seed texts' vocabulary, nothing copied. The target is treated as English
so that mtqe's BLEU tokenizer (13a) is sacrebleu's CLI default.

* sacrebleu: ``sacrebleu REF -i SYS... -m bleu chrf --paired-bs`` then ``--paired-ar`` (JSON);
* mtqe: ``mtqe corpus add-testset`` (timed apart), then ``mtqe run 'documents=[bench]'
  'system=[]' 'metric=[bleu,chrf]' stats.baseline=sys00 diagnostics=false use_cache=false``, a
  subprocess like sacrebleu's, writing every output (results.json, leaderboard, segments,
  report.md, report.html). A second mtqe run with ``diagnostics=true`` shows their cost.

Every BLEU/chrF score and p-value of the leaderboard is checked against sacrebleu's JSON.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/testset_run.py [--systems 20 --segments 2000]
Results: benchmarks/results/testset_run.json; write-up in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bench  # noqa: E402
import stats_scale  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def timed_subprocess(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    wall = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall, (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime), done.stdout


def mtqe_run(refs_dir: Path, out: Path, baseline: str, diagnostics: bool) -> tuple[float, float]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    wall, cpu, _ = timed_subprocess(
        [sys.executable, "-m", "mtqe.cli", "run", f"hydra.run.dir={out}", f"references_dir={refs_dir}",
         "documents=[bench]", "pair=ja-en", "system=[]", "metric=[bleu,chrf]", f"stats.baseline={baseline}",
         "stats.bootstrap_samples=1000", "stats.randomization_samples=10000", "use_cache=false",
         f"diagnostics={'true' if diagnostics else 'false'}", "--quiet"], env)
    return wall, cpu


def check(out: Path, names: list[str], bs: list[dict], ar: list[dict]) -> dict[str, Any]:
    """Largest differences between the leaderboard and sacrebleu's JSON (scores and p-values)."""
    with open(out / "leaderboard.csv", encoding="utf-8") as handle:
        rows = {r["system"]: r for r in csv.DictReader(handle) if r["subset"] == "all"}
    worst: dict[str, float] = {}
    for test, report in (("bootstrap", bs), ("randomization", ar)):
        for entry in report:
            name = Path(entry["system"]).stem if entry["system"] != "Baseline" else names[0]
            for metric, key in (("BLEU", "bleu"), ("chrF2", "chrf")):
                got = rows[name]
                sb = entry[metric]
                diff = abs(float(got[key]) - sb["score"])
                worst[f"{key}_score"] = max(worst.get(f"{key}_score", 0.0), diff)
                if "p_value" in sb and sb["p_value"] is not None and got[f"{key}_p_{test}"]:
                    p = abs(float(got[f"{key}_p_{test}"]) - sb["p_value"])
                    worst[f"{key}_p_{test}"] = max(worst.get(f"{key}_p_{test}", 0.0), p)
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", type=int, default=20)
    parser.add_argument("--segments", type=int, default=2000)
    parser.add_argument("--no-diagnostics-run", action="store_true")
    args = parser.parse_args()
    names = [f"sys{i:02d}" for i in range(args.systems)]
    refs, systems = stats_scale.make_test_set(args.systems, args.segments)
    sources, _ = stats_scale.make_test_set(1, args.segments, seed=stats_scale.SEED + 1)
    work = Path(tempfile.mkdtemp(prefix="testset-run-"))
    ref_path, sys_paths = stats_scale.write_files(work, refs, systems)
    src_path = work / "src.txt"
    src_path.write_text("\n".join(sources) + "\n", encoding="utf-8")
    sys_dir = work / "systems"
    sys_dir.mkdir()
    for path in sys_paths:
        shutil.move(str(path), sys_dir / path.name)
    sys_paths = [sys_dir / p.name for p in sys_paths]

    sb_bs_wall, sb_bs_cpu, bs = stats_scale.run_sacrebleu(ref_path, sys_paths, "bs")
    sb_ar_wall, sb_ar_cpu, ar = stats_scale.run_sacrebleu(ref_path, sys_paths, "ar")
    print(f"sacrebleu --paired-bs {sb_bs_wall:.1f}s, --paired-ar {sb_ar_wall:.1f}s", flush=True)

    refs_dir = work / "references"
    shutil.copytree(REPO / "mtqe" / "references", refs_dir)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    add_wall, add_cpu, _ = timed_subprocess(
        [sys.executable, "-m", "mtqe.cli", "corpus", "add-testset", "bench", "--references", str(refs_dir),
         "--src-lang", "ja", "--tgt-lang", "en", "--source", str(src_path), "--ref", f"ref={ref_path}",
         "--systems-dir", str(sys_dir)], env)
    run_wall, run_cpu = mtqe_run(refs_dir, work / "run", names[0], diagnostics=False)
    print(f"mtqe corpus add-testset {add_wall:.1f}s; mtqe run {run_wall:.1f}s", flush=True)
    diag = None
    if not args.no_diagnostics_run:
        diag = mtqe_run(refs_dir, work / "run-diag", names[0], diagnostics=True)
        print(f"mtqe run with diagnostics {diag[0]:.1f}s", flush=True)
    worst = check(work / "run", names, bs, ar)
    sizes = {p.name: p.stat().st_size for p in (work / "run").iterdir() if p.is_file()}
    sacrebleu_wall, sacrebleu_cpu = sb_bs_wall + sb_ar_wall, sb_bs_cpu + sb_ar_cpu
    payload = {
        "machine": _bench.machine(),
        "workload": {"systems": args.systems, "segments": args.segments, "metrics": ["bleu", "chrf"],
                     "bootstrap": 1000, "randomization": 10000},
        "sacrebleu": {"paired_bs_wall_s": round(sb_bs_wall, 2), "paired_ar_wall_s": round(sb_ar_wall, 2),
                      "wall_s": round(sacrebleu_wall, 2), "cpu_s": round(sacrebleu_cpu, 2)},
        "mtqe": {"add_testset_wall_s": round(add_wall, 2), "run_wall_s": round(run_wall, 2),
                 "run_cpu_s": round(run_cpu, 2),
                 "run_with_diagnostics_wall_s": round(diag[0], 2) if diag else None,
                 "output_bytes": sizes},
        "ratio_run_vs_sacrebleu_wall": round(run_wall / sacrebleu_wall, 3),
        "ratio_run_vs_sacrebleu_cpu": round(run_cpu / sacrebleu_cpu, 3),
        "max_abs_difference_vs_sacrebleu": worst,
        "command": "HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/testset_run.py " + " ".join(sys.argv[1:]),
    }
    path = _bench.write_results(f"testset_run-{args.systems}x{args.segments}", payload)
    print(json.dumps({k: payload[k] for k in ("sacrebleu", "mtqe", "ratio_run_vs_sacrebleu_wall",
                                              "max_abs_difference_vs_sacrebleu")}, indent=1))
    print(f"results: {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
