"""`mtqe run` with a MetricX config (tiny random mT5), QE mode and long_segments: split, on the
real seed text jpus-2022 in paragraphs: the score, its direction and the long-segment note
reach leaderboard.csv, results.json and report.html."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_metricx_qe_split_run_end_to_end(tiny_metricx, tmp_path):
    conf = tmp_path / "conf" / "metric"
    conf.mkdir(parents=True)
    (conf / "tiny-mx.yaml").write_text(
        f"tiny-mx:\n  type: metricx\n  model: {tiny_metricx['model']}\n  tokenizer: {tiny_metricx['tokenizer']}\n"
        "  qe: true\n  max_input_tokens: 256\n  long_segments: split\n", encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mtqe.cli", "run", f"hydra.run.dir={out}", f"hydra.searchpath=[file://{tmp_path / 'conf'}]",
         "system=[community]", "metric=[tiny-mx]", "unit=paragraph", f"cache_dir={tmp_path / 'cache'}",
         "stats.bootstrap_samples=100", "stats.randomization_samples=100", "diagnostics=false"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(out / "leaderboard.csv", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert 0.0 <= float(row["tiny-mx"]) <= 25.0 and row["tiny-mx_rank"] == "1"
    assert "|mode:qe|" in row["tiny-mx_signature"] and "|long:split|" in row["tiny-mx_signature"]
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    info = results["rows"][0]["metrics"]["tiny-mx"]["details"]["long_segments"]
    assert info["mode"] == "split" and info["segments"] == 40 and info["over_long"] > 0
    assert f"tiny-mx: {info['over_long']} of 40 segments longer than the model's 256 tokens" in row["notes"]
    assert "lower is better" in (out / "report.html").read_text(encoding="utf-8")
