"""`mtqe run` with a tiny XCOMET checkpoint (QE mode: the community text has no other zh
reference) on the real seed text: error spans reach segments.jsonl, report.html and report.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest

from tests.tiny_models import build_tiny_xcomet

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # a full `mtqe run` in a subprocess (about a minute of CPU)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_comet) -> Path:
    ckpt = build_tiny_xcomet(tmp_path_factory.mktemp("xcomet"), tiny_comet["encoder"])
    conf = tmp_path_factory.mktemp("conf")
    (conf / "metric").mkdir()
    (conf / "metric" / "tiny-xcomet-qe.yaml").write_text(
        f"tiny-xcomet-qe:\n  type: xcomet\n  model: {ckpt}\n  reference_free: true\n  batch_size: 8\n",
        encoding="utf-8",
    )
    out = tmp_path_factory.mktemp("run")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mtqe.cli", "run", f"hydra.run.dir={out}", f"hydra.searchpath=[file://{conf}]",
         "system=[community]", "metric=[chrf,tiny-xcomet-qe]", f"cache_dir={tmp_path_factory.mktemp('cache')}",
         "stats.bootstrap_samples=50", "stats.randomization_samples=50", "diagnostics=false", "--quiet"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_spans_in_segments_report_html_and_markdown(run_dir: Path) -> None:
    rows = [json.loads(line) for line in (run_dir / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows and all(r["scores"]["tiny-xcomet-qe"] is not None for r in rows)
    spans = [(r, s) for r in rows for s in r["error_spans"]["tiny-xcomet-qe"]]
    assert spans  # the tiny model's word-level head is biased to mark errors
    for row, span in spans:
        assert 0 <= span["start"] < span["end"] <= len(row["hypothesis"])
        assert span["severity"] in ("minor", "major", "critical") and 0 < span["confidence"] <= 1

    dom = lxml.html.fromstring((run_dir / "report.html").read_text(encoding="utf-8"))
    marks = dom.xpath('//div[@class="espans"][@data-metric="tiny-xcomet-qe"]/mark')
    assert len(marks) == len(spans)
    first_row, first = spans[0]
    assert marks[0].text_content() == first_row["hypothesis"][first["start"]:first["end"]]
    assert marks[0].get("class") == f"espan {first['severity']}"

    md = (run_dir / "report.md").read_text(encoding="utf-8")
    counts = [sum(s["severity"] == sev for _, s in spans) for sev in ("minor", "major", "critical")]
    assert f"| community | tiny-xcomet-qe | {counts[0]} | {counts[1]} | {counts[2]} |" in md
