"""report.html of a real run (tiny models, offline) opened in headless Chromium.

No browser driver: ``chromium --headless --dump-dom`` gives the DOM after the page's script
ran, ``--screenshot`` what a reader sees. The screenshot and the page are kept under
``test-artifacts/`` (git-ignored) for a human to look at.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import lxml.html
import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium")
# As root (CI) Chromium needs --no-sandbox; the rest keeps it off the network and quick to start.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
)
WINDOW = (1400, 3000)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium; .ci/run installs it)"
)


def _mtqe(args: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "mtqe.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, tiny_marian: Path) -> Path:
    """community + two tiny MT systems that differ (so segment scores differ); COMET has no
    checkpoint offline, so its column is empty with the reason — a real empty metric."""
    conf = tmp_path_factory.mktemp("conf")
    (conf / "system").mkdir()
    for name, tokens in (("tiny-marian", 12), ("tiny-marian-short", 4)):
        (conf / "system" / f"{name}.yaml").write_text(
            f"{name}:\n  type: hf_seq2seq\n  model: {tiny_marian}\n  pairs: [ja-zh]\n"
            f"  num_beams: 1\n  max_new_tokens: {tokens}\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("run")
    proc = _mtqe(["run", f"hydra.run.dir={out}", f"hydra.searchpath=[file://{conf}]",
                  "system=[community,tiny-marian,tiny-marian-short]", f"cache_dir={out / 'cache'}",
                  "stats.bootstrap_samples=100", "stats.randomization_samples=100", "--quiet"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = _mtqe(["report", str(out)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _chromium(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path)  # a fresh profile per start
    proc = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def dumped(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> lxml.html.HtmlElement:
    """The DOM after the script ran, with the segments ordered by Δ chrF (largest first) via the
    URL hash (chrF: the tiny models' sentence-BLEU is ~0 everywhere, so it would order nothing)."""
    url = (run_dir / "report.html").as_uri() + "#order=desc&metric=chrf"
    proc = _chromium(["--dump-dom", url], tmp_path_factory.mktemp("dom"))
    return lxml.html.fromstring(proc.stdout)


def _segments(run_dir: Path) -> list[dict]:
    lines = (run_dir / "segments.jsonl").read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in lines if line]


def test_script_ran_and_leaderboard_has_a_row_per_system(run_dir: Path, dumped) -> None:
    assert dumped.get("data-report-ready") == "1"  # the inline script ran to its end without an error
    with open(run_dir / "leaderboard.csv", encoding="utf-8") as handle:
        systems = [row["system"] for row in csv.DictReader(handle)]
    rows = dumped.xpath('//table[contains(@class, "leaderboard")]/tbody/tr/@data-system')
    assert rows == systems == ["community", "tiny-marian", "tiny-marian-short"]


def test_charts_are_in_the_dom_and_empty_comet_is_explained(dumped) -> None:
    for metric in ("bleu", "chrf"):
        svgs = dumped.xpath(f'//div[@data-metric="{metric}"]//figure/*[local-name()="svg"]')
        assert len(svgs) == 2 and all(svg.xpath('.//*[local-name()="path"]') for svg in svgs)
    comet = dumped.xpath('//div[@data-metric="comet"]')[0]
    assert not comet.xpath('.//*[local-name()="svg"]')
    assert "not available offline" in comet.text_content()


def test_segment_view_shows_japanese_source_and_chinese_texts(run_dir: Path, dumped) -> None:
    view = dumped.xpath('//div[@class="segment-view"]')[0]
    records = _segments(run_dir)
    mt = next(r for r in records if r["system"] == "tiny-marian" and r["index"] == 1)
    sources = [td.text_content() for td in view.xpath('.//td[@lang="ja"]')]
    assert mt["source"] in sources and any("\u3040" <= ch <= "\u30ff" for ch in mt["source"])  # kana
    zh = [td.text_content() for td in view.xpath('.//td[@lang="zh"]')]
    assert mt["references"]["zh-community"] in zh
    cells = view.xpath('.//tr[@data-system="tiny-marian"]/td[@lang="zh"]')
    for td in cells:
        for deleted in td.xpath(".//del"):
            deleted.drop_tree()
    assert mt["hypothesis"] in [td.text_content() for td in cells]


def test_segments_are_sorted_by_the_score_difference(dumped) -> None:
    bodies = dumped.xpath('//table[contains(@class, "segments")]/tbody')
    deltas = [b.get("data-delta") for b in bodies]
    known = [float(d) for d in deltas if d != ""]
    assert known and known == sorted(known, reverse=True) and known[0] > known[-1]
    assert "chrf" in dumped.xpath('string(//*[@class="delta-head"])')
    assert deltas[: len(known)] == [d for d in deltas if d != ""]  # segments without a Δ come last


def test_screenshot_is_a_rendered_page(run_dir: Path, tmp_path: Path) -> None:
    import matplotlib.image

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-browser.png"
    shot.unlink(missing_ok=True)
    _chromium([f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
               (run_dir / "report.html").as_uri()], tmp_path)
    shutil.copyfile(run_dir / "report.html", ARTIFACTS / "report-browser.html")
    assert shot.stat().st_size > 50_000
    pixels = matplotlib.image.imread(shot)[..., :3].mean(axis=2)  # grey levels in [0, 1]
    assert pixels.shape == (WINDOW[1], WINDOW[0])
    assert pixels.std() > 0.05, "the screenshot is (nearly) uniform: the page did not render"
    for band in (pixels[: WINDOW[1] // 3], pixels[WINDOW[1] // 3:]):  # text top to bottom, not one blob
        assert (band < 0.5).mean() > 0.005
    if not _has_cjk_font():
        warnings.warn("no Japanese-capable font installed: the screenshot shows boxes for CJK text "
                      "(apt-get install fonts-wqy-microhei)", stacklevel=1)


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    proc = subprocess.run(["fc-list", ":lang=ja"], check=False, capture_output=True, text=True, timeout=30)
    return bool(proc.stdout.strip())
