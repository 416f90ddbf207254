"""`mtqe run ... 'metric=[bleu,chrf,human]'` on a test set with judgments writes agreement.csv,
the report section and the M_human_agree columns. Needs the human metric and
`corpus add-judgments` (branch w3-judgments): skipped where they are absent."""

from __future__ import annotations

import csv
import json

import pytest

pytest.importorskip("mtqe.metrics.human_metric")
from tests.pipeline.test_human_run import run  # noqa: E402,F401 — that module's run fixture

pytestmark = pytest.mark.slow  # a real `mtqe run` subprocess


def test_run_with_judgments_writes_the_agreement(run) -> None:  # noqa: F811
    out, _ = run
    with open(out / "agreement.csv", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert {r["metric"] for r in table} == {"bleu", "chrf"} and {r["human"] for r in table} == {"human"}
    by_key = {(r["metric"], r["statistic"]): r for r in table}
    # H1 has no judgment: left out and named; three judged systems remain
    acc = by_key["chrf", "sys_pairwise_accuracy"]
    assert acc["n_systems"] == "3" and "(H1)" in acc["note"]
    # segment level: only segments judged for two systems or more (Copy and Drop4th, odd lines)
    assert by_key["chrf", "seg_kendall_tau_b_item"]["n_segments"] == "55"
    assert "Which metric to trust here" in (out / "report.md").read_text(encoding="utf-8")
    assert "agreement" in json.loads((out / "run.json").read_text(encoding="utf-8"))
    with open(out / "leaderboard.csv", encoding="utf-8") as fh:
        board = {(r["system"], r["subset"]): r for r in csv.DictReader(fh)}
    assert "chrf_human_agree" in board["Copy", "all"] and "human_human_agree" not in board["Copy", "all"]
    assert "chrf_human_agree: 1 judged system pair(s)" in board["Copy", "all"]["notes"]
