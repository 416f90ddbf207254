"""report.html of a large test set (25 systems × 2,000 segments) stays small and usable.

The segment view is paged: the texts travel once as gzip-compressed JSON and the browser
renders one page at a time; charts aggregate instead of drawing every point.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import lxml.html
import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
SYSTEMS, SEGMENTS = 25, 2000


@pytest.fixture(scope="module")
def large_run(tmp_path_factory) -> Path:
    """Lines built from the seed text's characters (seeded RNG), registered and run without YAML."""
    root = tmp_path_factory.mktemp("large")
    chars = [c for c in (REPO / "mtqe/references/texts/jpus-2022/zh-community.txt").read_text(encoding="utf-8")
             if "\u4e00" <= c <= "\u9fff"]
    rng = random.Random(5)
    ref = ["".join(rng.choice(chars) for _ in range(rng.randint(15, 60))) for _ in range(SEGMENTS)]
    (root / "src.txt").write_text("\n".join(f"source {i}" for i in range(SEGMENTS)) + "\n", encoding="utf-8")
    (root / "ref.txt").write_text("\n".join(ref) + "\n", encoding="utf-8")
    outputs = root / "outputs"
    outputs.mkdir()
    for k in range(SYSTEMS):
        keep = 0.5 + k / (2 * SYSTEMS)
        lines = ["".join(c if rng.random() < keep else rng.choice(chars) for c in line) for line in ref]
        (outputs / f"S{k:02d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    refs = root / "references"
    shutil.copytree(REPO / "mtqe" / "references", refs)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    run = lambda *args: subprocess.run([sys.executable, "-m", "mtqe.cli", *args], cwd=REPO, env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=900)
    done = run("corpus", "add-testset", "big", "--references", str(refs), "--src-lang", "en", "--tgt-lang", "zh",
               "--source", str(root / "src.txt"), "--ref", f"ref={root / 'ref.txt'}", "--systems-dir", str(outputs))
    assert done.returncode == 0, done.stderr[-2000:]
    out = root / "run"
    done = run("run", f"hydra.run.dir={out}", f"references_dir={refs}", "documents=[big]", "pair=en-zh",
               "system=[]", "metric=[chrf]", "stats.baseline=S00", "stats.bootstrap_samples=20",
               "stats.randomization_samples=20", "use_cache=false", "diagnostics=false", "--quiet")
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_report_is_well_under_five_megabytes(large_run):
    size = (large_run / "report.html").stat().st_size
    assert size < 4 * 2**20, size
    page = (large_run / "report.html").read_text(encoding="utf-8")
    assert 'class="segment-view paged"' in page and "segment-pack" in page


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_the_browser_renders_one_page_of_segments(large_run, tmp_path):
    profile = tempfile.mkdtemp(dir=tmp_path)
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=20000",
                           "--dump-dom", (large_run / "report.html").as_uri()],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = lxml.html.fromstring(done.stdout)
    view = dom.xpath('//div[contains(@class, "paged")]')[0]
    assert view.get("data-rendered") == "1"
    bodies = view.xpath('.//table[@class="segments"]/tbody')
    assert len(bodies) == 25  # one page
    assert len(bodies[0].xpath('.//tr[@class="sys"]')) == SYSTEMS
    assert "2000 segments" in view.xpath('.//span[@class="pos"]')[0].text_content()
