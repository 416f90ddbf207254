"""`mtqe run ... 'metric=[bleu,chrf,human]'` on a seed-sentence test set with synthetic judgments:
a human column whose scores are the hand-computed means over judged segments, nothing imputed."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from statistics import mean

import pytest

from mtqe.cli import main
from mtqe.corpus.manifest import load_manifest
from tests.seed_testset import drop_every, seed_sentence_lines, write_lines

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("human")
    refs = root / "references"
    shutil.copytree(REPO / "mtqe" / "references", refs)
    src, h1 = seed_sentence_lines(load_manifest(refs))
    texts = {"src.ja": src, "H1.zh": h1,
             "Copy.zh": list(h1), "Drop4th.zh": [drop_every(line, 4) for line in h1],
             "Gaps.zh": ["" if i % 9 == 0 else line for i, line in enumerate(h1)]}
    for name, lines in texts.items():
        write_lines(root / name, lines)
    n = len(h1)
    (root / "docs.tsv").write_text("".join(f"{'a' if i < n // 2 else 'b'}\tdoc{i // 20}\n" for i in range(n)),
                                   encoding="utf-8")
    assert main(["corpus", "add-testset", "tset", "--references", str(refs), "--src-lang", "ja", "--tgt-lang", "zh",
                 "--source", str(root / "src.ja"), "--human", f"H1={root / 'H1.zh'}",
                 *[f"--system={s}={root / f'{s}.zh'}" for s in ("Copy", "Drop4th", "Gaps")],
                 "--docs", str(root / "docs.tsv")]) == 0
    # Copy: every line (line 1 by two raters, 70 and 90); Drop4th: odd lines; Gaps: line 1; H1: none.
    rows = ["system,segment,score,rater", "Copy,1,70,r1", "Copy,1,90,r2"]
    rows += [f"Copy,{i},{80 + i % 3},r1" for i in range(2, n + 1)]
    rows += [f"Drop4th,{i},{40 + i % 7},r1" for i in range(1, n + 1, 2)]
    rows += ["Gaps,1,10,r1"]
    (root / "da.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["corpus", "add-judgments", "tset", "--references", str(refs), "--file", str(root / "da.csv"),
                 "--protocol", "da"]) == 0
    out = root / "run"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mtqe.cli", "run", f"hydra.run.dir={out}", f"references_dir={refs}",
         "documents=[tset]", "pair=ja-zh", "system=[]", "metric=[bleu,chrf,human]", "use_cache=false",
         "stats.baseline=Drop4th", "stats.bootstrap_samples=100", "stats.randomization_samples=100",
         "breakdown=[domain]"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out, n


def _rows(out: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(out / "leaderboard.csv", encoding="utf-8") as handle:
        return {(r["system"], r["subset"]): r for r in csv.DictReader(handle)}


def test_human_column_is_the_mean_over_judged_segments(run):
    out, n = run
    rows = _rows(out)
    copy = mean([80.0] + [80 + i % 3 for i in range(2, n + 1)])
    drop = mean(40 + i % 7 for i in range(1, n + 1, 2))
    assert float(rows[("Copy", "all")]["human"]) == pytest.approx(copy, abs=5e-5)
    assert float(rows[("Drop4th", "all")]["human"]) == pytest.approx(drop, abs=5e-5)
    gaps = rows[("Gaps", "all")]
    assert (float(gaps["human"]), float(gaps["human_ci_low"]), float(gaps["human_ci_high"])) == (10.0, 10.0, 10.0)
    assert rows[("Copy", "all")]["human_signature"].startswith("human|protocol:da|name:human")
    assert rows[("Copy", "all")]["human_p_randomization"] != ""  # paired with the baseline Drop4th
    assert rows[("Copy", "all")]["human_rank"] == "1"


def test_unjudged_systems_and_segments_are_counted_never_imputed(run):
    out, n = run
    rows = _rows(out)
    h1 = rows[("H1", "all")]
    assert h1["human"] == "" and "no human judgments for system H1 in tset" in h1["notes"]
    assert f"human: {n // 2} of {n} segments without a score" in rows[("Drop4th", "all")]["notes"]
    assert "human:" not in rows[("Copy", "all")]["notes"]
    gaps_b = rows[("Gaps", "domain=b")]  # Gaps was judged on line 1 only, in domain a
    assert gaps_b["human"] == "" and "no segment of domain=b has a score" in gaps_b["notes"]
    records = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    drop = [r for r in records if r["system"] == "Drop4th"]
    assert drop[0]["scores"]["human"] == 40 + 1 % 7 and drop[1]["scores"]["human"] is None
