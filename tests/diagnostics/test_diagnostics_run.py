"""An injected-error copy added with `corpus add --role existing` is scored in a default-style run
without YAML: its omissions are empty hypotheses flagged `omission`, its additions are flagged."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .gold import build_injected

REPO = Path(__file__).resolve().parents[2]


def _mtqe(args, cwd=REPO):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "mtqe.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("diagrun")
    refs = root / "references"
    shutil.copytree(REPO / "mtqe" / "references", refs)
    data, records = build_injected(refs, kinds=("omission", "addition"), per_kind=3)
    (root / "injected.md").write_bytes(data)
    done = _mtqe(["corpus", "add", "jpus-2022", "--lang", "zh", "--role", "existing", "--file",
                  str(root / "injected.md"), "--text-id", "zh-injected", "--cleaner", "markdown_repost",
                  "--references", str(refs)])
    assert done.returncode == 0, done.stderr[-2000:]
    out = root / "run"
    done = _mtqe(["run", f"hydra.run.dir={out}", f"references_dir={refs}", "system=[community]",
                  "metric=[bleu,chrf]", f"cache_dir={root / 'cache'}", "stats.bootstrap_samples=50",
                  "stats.randomization_samples=50"])
    assert done.returncode == 0, done.stderr[-3000:]
    return out, records


def _leaderboard(out):
    with open(out / "leaderboard.csv", encoding="utf-8") as handle:
        return {r["system"]: r for r in csv.DictReader(handle)}


def test_omissions_are_empty_flagged_hypotheses_and_additions_are_flagged(run):
    out, records = run
    segments = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    injected = [s for s in segments if s["system"] == "zh-injected"]
    assert injected, "the existing text became a system without YAML"
    omitted = [s for s in injected if any(d["check"] == "omission" for d in s["diagnostics"])]
    assert len(omitted) >= 3 and all(s["hypothesis"] == "" for s in omitted[:3])
    added = [s for s in injected if any(d["check"] == "addition" for d in s["diagnostics"])]
    assert len(added) >= 3
    for record in (r for r in records if r.kind == "addition"):
        assert any(record.detail.split(record.original)[-1] in s["hypothesis"] for s in added)
    community = [s for s in segments if s["system"] == "community"]
    assert community and all(isinstance(s["diagnostics"], list) for s in community)


def test_leaderboard_counts_and_scores(run):
    out, _ = run
    rows = _leaderboard(out)
    assert int(rows["zh-injected"]["diag_omission"]) >= 3 and int(rows["zh-injected"]["diag_addition"]) >= 3
    assert rows["community"]["diag_omission"] == "0"
    assert float(rows["zh-injected"]["bleu"]) < 100.0  # omissions count against it


def test_diagnose_command_rewrites_the_views(run):
    out, _ = run
    before = _leaderboard(out)["zh-injected"]["diag_omission"]
    done = _mtqe(["diagnose", str(out), "--checks", "number"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert _leaderboard(out)["zh-injected"]["diag_omission"] == "0"  # only the number check ran
    done = _mtqe(["diagnose", str(out)])
    assert done.returncode == 0 and _leaderboard(out)["zh-injected"]["diag_omission"] == before
    assert "zh-injected" in done.stdout


def test_report_html_shows_the_diagnostics(run):
    out, _ = run
    from mtqe.report.html import write_html_report

    page = write_html_report(out).read_text(encoding="utf-8")
    assert '<table class="diagnostics">' in page and 'class="diag-filter"' in page
    assert 'data-checks="omission"' in page and 'li class="diag major" data-check="addition"' in page
