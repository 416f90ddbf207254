"""Cost of the metric–human agreement (mtqe.metrics.agreement) at WMT-like scale.

Synthetic data, no model: ``--systems`` systems x ``--segments`` segments; human segment
scores = system quality + noise, 20% of (system, segment) judgments missing; three automatic
metrics = human + noise of growing size (mean-type metrics, MeanOfSegments). Timed: the whole
``agreement_for_rows`` with the run's default resampling (1,000 bootstrap resamples, 10,000
permutation trials), CPU seconds and wall seconds. Results: benchmarks/results/agreement_scale.json.

    PYTHONPATH=. python benchmarks/agreement_scale.py
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from mtqe.metrics.agreement import AgreementSettings, agreement_for_rows
from mtqe.metrics.base import MeanOfSegments, MeanOfValid, MetricInfo, MetricResult
from mtqe.metrics.resampling import Scorer
from mtqe.results import SystemResult

HUMAN_SIG = "human|protocol:esa|name:human"


def _rows(n_sys: int, n_seg: int, seed: int) -> list[SystemResult]:
    rng = np.random.default_rng(seed)
    human = np.linspace(50, 80, n_sys)[None, :] + rng.normal(scale=15, size=(n_seg, n_sys))
    judged = rng.random((n_seg, n_sys)) > 0.2
    rows = []
    for j in range(n_sys):
        metrics = {}
        for name, noise in (("m_low", 2.0), ("m_mid", 10.0), ("m_high", 40.0)):
            v = human[:, j] + rng.normal(scale=noise, size=n_seg)
            metrics[name] = MetricResult(name, float(v.mean()), f"{name}|synthetic", tuple(v), v.reshape(-1, 1))
        metrics["human"] = MetricResult(
            "human", float(human[judged[:, j], j].mean()), HUMAN_SIG,
            tuple(np.where(judged[:, j], human[:, j], np.nan)), MeanOfValid.valid_stats(human[:, j], judged[:, j]))
        rows.append(SystemResult(document="synthetic", src_lang="ja", tgt_lang="zh", system=f"s{j:02d}",
                                 kind="mt", status="ok", n_segments=n_seg, metrics=metrics))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=12)
    parser.add_argument("--segments", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "agreement_scale.json")
    args = parser.parse_args()
    rows = _rows(args.systems, args.segments, seed=0)
    mean, valid = MeanOfSegments(), MeanOfValid()
    names = ["m_low", "m_mid", "m_high", "human"]
    scorers = {n: Scorer(mean.aggregate, mean.aggregate_many, mean.aggregate_sums) for n in names[:3]}
    scorers["human"] = Scorer(valid.aggregate, valid.aggregate_many, valid.aggregate_sums)
    info = {n: MetricInfo(n, True, False, False) for n in names}
    wall, cpu = time.perf_counter(), time.process_time()
    stats, deltas = agreement_for_rows(rows, names, info, scorers, "s00", AgreementSettings())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    values = {f"{s.metric}/{s.statistic}": s.value for s in stats}
    report = {"systems": args.systems, "segments": args.segments, "automatic_metrics": 3,
              "bootstrap_samples": 1000, "randomization_samples": 10000,
              "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "values": values}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "values"}))
    for key, value in values.items():
        print(f"{key:45s} {value if value is None else round(value, 3)}")


if __name__ == "__main__":
    main()
