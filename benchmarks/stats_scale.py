"""Statistics at scale: mtqe's CIs, paired tests and clusters vs sacrebleu's CLI paired tests.

A synthetic test set (default 20 systems x 2,000 segments) is generated deterministically
from the words of the seed texts in references/texts/ (a seeded RNG samples reference lines
from their tokens; each system copies the reference with its own error rate, so systems
differ by clear and by insignificant margins). Both sides score BLEU and chrF on the same
files, on the same machine, once:

* sacrebleu: ``sacrebleu REF -i SYS... -m bleu chrf --paired-bs`` and ``--paired-ar``
  (subprocesses, JSON output; system 0 is the baseline);
* mtqe: the metrics' sufficient statistics (``Metric.score``), then per metric
  ``bootstrap_ci_many`` (1,000 resamples), ``paired_tests_many`` vs the baseline (1,000
  bootstrap resamples + 10,000 randomization trials) and ``cluster_systems`` (randomization
  of all pairs, 10,000 trials) — the clusters are work sacrebleu does not do at all.

Then every score, p-value and CI is compared with sacrebleu's (``count_ties=False``, the
same seed). The results JSON goes to benchmarks/results/stats_scale.json.

    PYTHONPATH=. python benchmarks/stats_scale.py --no-wait
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from _bench import REPO, add_quiet_arguments, machine, quiet_or_none, write_results  # noqa: I001

SEED = 12345
TEXTS = REPO / "mtqe" / "references" / "texts"
TOKEN = re.compile(r"[A-Za-z]+|\d+|[\u3040-\u30ff\u4e00-\u9fff]")


def seed_tokens() -> list[str]:
    """Every word (Latin, number) and CJK character of the seed texts, with repetitions,
    so sampling from the list follows their frequencies."""
    tokens: list[str] = []
    for path in sorted(TEXTS.rglob("*.txt")):
        tokens.extend(TOKEN.findall(path.read_text(encoding="utf-8")))
    return tokens


def make_test_set(n_systems: int, n_segments: int, seed: int = SEED) -> tuple[list[str], list[list[str]]]:
    """Reference lines and ``n_systems`` system outputs, space-separated tokens."""
    rng = np.random.default_rng(seed)
    vocab = np.array(seed_tokens())
    refs = [rng.choice(vocab, size=int(rng.integers(8, 41))) for _ in range(n_segments)]
    # Pairs of neighbouring systems share a quality level +- a little: some differences are
    # clear, some are not significant, so the clusters are not trivial.
    levels = np.repeat(np.linspace(0.45, 0.85, (n_systems + 1) // 2), 2)[:n_systems]
    quality = levels + rng.normal(scale=0.004, size=n_systems)
    systems = []
    for q in quality:
        lines = []
        for ref in refs:
            out: list[str] = []
            for token in ref:
                u = rng.random()
                if u < q:
                    out.append(token)
                elif u < q + (1 - q) / 2:
                    out.append(str(rng.choice(vocab)))  # substitution
                elif u < q + 3 * (1 - q) / 4:
                    out.extend((token, str(rng.choice(vocab))))  # insertion
                # else: deletion
            lines.append(" ".join(out))
        systems.append(lines)
    return [" ".join(r) for r in refs], systems


def write_files(directory: Path, refs: list[str], systems: list[list[str]]) -> tuple[Path, list[Path]]:
    ref_path = directory / "ref.txt"
    ref_path.write_text("\n".join(refs) + "\n", encoding="utf-8")
    paths = []
    for i, lines in enumerate(systems):
        path = directory / f"sys{i:02d}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return ref_path, paths


def run_sacrebleu(ref: Path, systems: list[Path], test: str) -> tuple[float, float, list[dict[str, Any]]]:
    """Wall and CPU seconds of one ``sacrebleu --paired-{test}`` run, and its JSON rows."""
    exe = Path(sys.executable).with_name("sacrebleu")
    command = [str(exe), str(ref), "-i", *map(str, systems), "-m", "bleu", "chrf",
               f"--paired-{test}", "-f", "json", "-q"]
    env = {**os.environ, "SACREBLEU_SEED": str(SEED)}
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    wall = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return wall, cpu, json.loads(done.stdout)


class GapProgress:
    """A Progress that records the longest silence between two of its events."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.max_gap = 0.0
        self.events = 0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.max_gap = max(self.max_gap, now - self.last)
        self.last, self.events = now, self.events + 1

    def start(self, total: int) -> None:
        self._tick()

    def advance(self, n: int, tokens: int = 0) -> None:
        self._tick()


def mtqe_side(refs: list[str], systems: list[list[str]], names: list[str]) -> dict[str, Any]:
    """Statistics extraction then the statistics, timed apart; results kept for the check."""
    from mtqe.metrics import stats as st
    from mtqe.metrics.base import MetricInput
    from mtqe.metrics.configs import ChrfConfig, SacreBleuConfig
    from mtqe.metrics.sacrebleu_metrics import BleuMetric, ChrfMetric

    metrics = {
        "BLEU": BleuMetric(SacreBleuConfig(type="bleu", name="BLEU", tokenize="13a")),  # the CLI's default
        "chrF2": ChrfMetric(ChrfConfig(type="chrf", name="chrF2")),
    }
    cpu0, start = time.process_time(), time.perf_counter()
    scored = {
        m: {
            name: metric.score(MetricInput(sources=refs, hypotheses=hyps, references=[refs],
                                           reference_ids=["ref"], src_lang="en", tgt_lang="en"))
            for name, hyps in zip(names, systems)
        }
        for m, metric in metrics.items()
    }
    extract = (time.perf_counter() - start, time.process_time() - cpu0)

    progress = GapProgress()
    out: dict[str, Any] = {}
    cpu0, start = time.process_time(), time.perf_counter()
    for m, metric in metrics.items():
        stats = {name: scored[m][name].stats for name in names}
        common = {"seed": SEED, **st.fast_paths(metric), "progress": progress}
        base, others = stats[names[0]], {n: stats[n] for n in names[1:]}
        out[m] = {
            "scores": {n: scored[m][n].score for n in names},
            "ci": st.bootstrap_ci_many(stats, metric.aggregate, n_samples=1000, **common),
            "paired": st.paired_tests_many(base, others, metric.aggregate, bootstrap_samples=1000,
                                           randomization_samples=10000, count_ties=False, **common),
            "clusters": st.cluster_systems(stats, metric.aggregate, higher_is_better=True,
                                           n_samples=10000, count_ties=False, **common),
        }
    statistics = (time.perf_counter() - start, time.process_time() - cpu0)
    return {"extract": extract, "statistics": statistics, "results": out,
            "max_progress_gap_s": round(progress.max_gap, 3), "progress_events": progress.events}


def compare(names: list[str], ours: dict[str, Any], bs: list[dict], ar: list[dict]) -> dict[str, Any]:
    """Every score, p-value and CI of sacrebleu's two runs against mtqe's."""
    report: dict[str, Any] = {}
    for m, res in ours.items():
        rows = []
        for i, name in enumerate(names):
            sb_bs, sb_ar = bs[i][m], ar[i][m]
            ci = res["ci"][name]
            row = {
                "system": name,
                "score": (res["scores"][name], sb_bs["score"], sb_ar["score"]),
                "ci_mean": (ci.mean, sb_bs["mean"]),
                "ci_half_width": ((ci.high - ci.low) / 2, sb_bs["ci"]),
            }
            if i:
                paired = res["paired"][name]
                row["p_bootstrap"] = (paired["bootstrap"].p_value, sb_bs["p_value"])
                row["p_randomization"] = (paired["randomization"].p_value, sb_ar["p_value"])
            rows.append(row)
        summary = {}
        for key in ("score", "ci_mean", "ci_half_width", "p_bootstrap", "p_randomization"):
            pairs = [r[key] for r in rows if key in r]
            diffs = [max(abs(v[0] - w) for w in v[1:]) for v in pairs]
            summary[key] = {"compared": len(pairs), "identical": sum(d == 0 for d in diffs),
                            "max_abs_diff": max(diffs)}
        report[m] = {"summary": summary, "rows": rows, "clusters": res["clusters"]}
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=20)
    parser.add_argument("--segments", type=int, default=2000)
    parser.add_argument("--name", default="stats_scale", help="results file name (without .json)")
    add_quiet_arguments(parser)
    args = parser.parse_args()
    quiet = quiet_or_none(args)
    if quiet is None:
        return 3
    refs, systems = make_test_set(args.systems, args.segments)
    names = [f"sys{i:02d}" for i in range(args.systems)]
    with tempfile.TemporaryDirectory() as tmp:
        ref_path, paths = write_files(Path(tmp), refs, systems)
        load = os.getloadavg()[0]
        sb_bs_wall, sb_bs_cpu, sb_bs = run_sacrebleu(ref_path, paths, "bs")
        sb_ar_wall, sb_ar_cpu, sb_ar = run_sacrebleu(ref_path, paths, "ar")
    ours = mtqe_side(refs, systems, names)
    check = compare(names, ours["results"], sb_bs, sb_ar)
    sacrebleu_s = sb_bs_wall + sb_ar_wall
    mtqe_s = ours["extract"][0] + ours["statistics"][0]
    payload = {
        "machine": {**machine(), "load_at_start": round(load, 2), "load_at_end": round(os.getloadavg()[0], 2),
                    "sacrebleu": __import__("sacrebleu").__version__, "numpy": np.__version__},
        "quiet": quiet,
        "command": " ".join(["python", "benchmarks/stats_scale.py", *sys.argv[1:]]),
        "test_set": {"systems": args.systems, "segments": args.segments, "seed": SEED,
                     "tokens_per_ref": float(np.mean([len(r.split()) for r in refs]))},
        "sacrebleu": {"paired_bs": {"wall_s": round(sb_bs_wall, 2), "cpu_s": round(sb_bs_cpu, 2)},
                      "paired_ar": {"wall_s": round(sb_ar_wall, 2), "cpu_s": round(sb_ar_cpu, 2)},
                      "total_wall_s": round(sacrebleu_s, 2)},
        "mtqe": {"extract_stats": {"wall_s": round(ours["extract"][0], 2), "cpu_s": round(ours["extract"][1], 2)},
                 "statistics": {"wall_s": round(ours["statistics"][0], 2), "cpu_s": round(ours["statistics"][1], 2)},
                 "total_wall_s": round(mtqe_s, 2),
                 "max_progress_gap_s": ours["max_progress_gap_s"], "progress_events": ours["progress_events"]},
        "ratio_total_mtqe_over_sacrebleu": round(mtqe_s / sacrebleu_s, 3),
        "ratio_statistics_mtqe_over_sacrebleu": round(ours["statistics"][0] / sacrebleu_s, 3),
        "equality": check,
    }
    path = write_results(args.name, payload)
    print(json.dumps({k: payload[k] for k in ("sacrebleu", "mtqe", "ratio_total_mtqe_over_sacrebleu")}, indent=1))
    for m, rep in check.items():
        print(m, json.dumps(rep["summary"]), "clusters:", rep["clusters"])
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
