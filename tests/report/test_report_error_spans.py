"""Error spans (XCOMET, an LLM judge) in the reports: marked per severity in report.html's
segment view (inline and paged; checked in headless Chromium too) and counted in report.md."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import lxml.html
import pytest

from mtqe.metrics.base import ErrorSpan, MetricInfo, MetricResult
from mtqe.report import html as html_report
from mtqe.report import write_run_outputs
from mtqe.report.html import render_report, write_html_report
from mtqe.report.load import load_run
from mtqe.results import DocumentTexts, RunResult, SystemResult
from mtqe.systems.base import SystemOutput

CHROMIUM = shutil.which("chromium")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")

SOURCES = ["日米首脳共同声明", "両国は協力を続ける。", "自由で開かれたインド太平洋"]
REFS = ["日美领导人联合声明", "两国将继续合作。", "自由开放的印度太平洋"]
HYPS = {"sys-a": ["日美领导人声明", "两国<b>继续合作。", "自由的印太"],
        "sys-b": ["日美首脑联合声明", "两国将继续合作。", "自由开放的印度太平洋"]}
SPANS = {
    "sys-a": (
        (ErrorSpan(2, 5, "领导人", "major", 0.87),),
        (ErrorSpan(2, 5, "<b>", "critical", 0.5, "accuracy/addition"), ErrorSpan(7, 9, "合作", "minor", 0.61)),
        (),
    ),
    "sys-b": ((ErrorSpan(2, 4, "首脑", "minor", 0.7),), (), ()),
}
METRICS = ["chrf", "xcomet"]


def _row(system: str, spans: bool = True) -> SystemResult:
    metrics = {
        "chrf": MetricResult("chrf", 50.0, "chrf-sig", segment_scores=(40.0, 50.0, 60.0)),
        "xcomet": MetricResult("xcomet", 0.6, "xcomet-sig", segment_scores=(0.5, 0.6, 0.7),
                               segment_spans=SPANS[system] if spans else None),
    }
    return SystemResult(
        document="jpus-2022", src_lang="ja", tgt_lang="zh", system=system, kind="mt", status="ok",
        n_segments=3, references=("zh-community",), output=SystemOutput(system, tuple(HYPS[system]), "mt"),
        metrics=metrics,
    )


def _result(spans: bool = True) -> RunResult:
    return RunResult(
        rows=[_row("sys-a", spans), _row("sys-b", spans)], metric_names=METRICS,
        metric_info={m: MetricInfo(m, higher_is_better=True, needs_reference=True, needs_source=m == "xcomet",
                                   description=f"{m} description") for m in METRICS},
        baseline="sys-a",
        texts=(DocumentTexts("jpus-2022", "ja", "zh", ("p000", "p001", "p002"), SOURCES, {"zh-community": REFS}),),
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("spans")
    write_run_outputs(_result(), out, config={}, project_dir=out, started="2025-01-01T00:00:00+00:00")
    write_html_report(out)
    return out


@pytest.fixture(scope="module")
def paged_page(run_dir: Path, tmp_path_factory) -> Path:
    """The same run rendered as the paged view (used above INLINE_CELLS cells)."""
    patch = pytest.MonkeyPatch()
    patch.setattr(html_report, "INLINE_CELLS", 1)
    try:
        path = tmp_path_factory.mktemp("paged") / "report.html"
        path.write_text(render_report(load_run(run_dir)), encoding="utf-8")
    finally:
        patch.undo()
    return path


def _marks(dom, system: str) -> list[tuple[str, str, str]]:
    """(severity class, text, title) of each error-span mark in ``system``'s rows, in order."""
    out = []
    for tr in dom.xpath(f'//tr[@class="sys"][@data-system="{system}"]'):
        for mark in tr.xpath('.//div[@class="espans"][@data-metric="xcomet"]/mark'):
            out.append((mark.get("class"), mark.text_content(), mark.get("title")))
    return out


EXPECTED_A = [
    ("espan major", "领导人", "major · confidence 0.87"),
    ("espan critical", "<b>", "critical · accuracy/addition · confidence 0.50"),
    ("espan minor", "合作", "minor · confidence 0.61"),
]
EXPECTED_B = [("espan minor", "首脑", "minor · confidence 0.70")]


def test_segments_jsonl_carries_the_spans(run_dir: Path) -> None:
    lines = [json.loads(line) for line in (run_dir / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    first = next(r for r in lines if r["system"] == "sys-a" and r["index"] == 0)
    assert first["error_spans"]["xcomet"] == [
        {"start": 2, "end": 5, "text": "领导人", "severity": "major", "confidence": 0.87}
    ]
    assert "chrf" not in first["error_spans"]


def test_inline_view_marks_spans_by_severity(run_dir: Path) -> None:
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    dom = lxml.html.fromstring(page)
    assert _marks(dom, "sys-a") == EXPECTED_A
    assert _marks(dom, "sys-b") == EXPECTED_B
    # the rest of the hypothesis is around the marks, escaped: no <b> element came from the text
    div = dom.xpath('//tr[@data-system="sys-a"]//div[@class="espans"]')[1]
    assert div.text_content() == "xcomet " + HYPS["sys-a"][1] and not div.xpath(".//b")
    legend = dom.xpath('//p[@class="span-legend"]')
    assert len(legend) == 1 and [m.get("class") for m in legend[0].xpath("mark")] == [
        "espan minor", "espan major", "espan critical"]


def test_report_without_spans_has_no_legend(tmp_path: Path) -> None:
    write_run_outputs(_result(spans=False), tmp_path, config={}, project_dir=tmp_path,
                      started="2025-01-01T00:00:00+00:00")
    dom = lxml.html.fromstring(write_html_report(tmp_path).read_text(encoding="utf-8"))
    assert not dom.xpath('//p[@class="span-legend"]') and not dom.xpath('//div[@class="espans"]')
    assert dom.xpath('//tr[@class="sys"]')  # the segment view is there


def test_markdown_counts_spans_per_severity(run_dir: Path) -> None:
    text = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "### Error spans" in text
    assert "| sys-a | xcomet | 1 | 1 | 1 | 2 of 3 |" in text
    assert "| sys-b | xcomet | 1 | 0 | 0 | 1 of 3 |" in text


def test_paged_view_packs_the_spans(paged_page: Path) -> None:
    dom = lxml.html.fromstring(paged_page.read_text(encoding="utf-8"))
    assert dom.xpath('//div[@class="segment-view paged"]') and dom.xpath('//p[@class="span-legend"]')


def _dump(page: Path, tmp_path: Path) -> lxml.html.HtmlElement:
    profile = tempfile.mkdtemp(dir=tmp_path)
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=10000",
                           "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return lxml.html.fromstring(done.stdout)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_chromium_shows_the_marks_inline_and_paged(run_dir: Path, paged_page: Path, tmp_path: Path) -> None:
    inline = _dump(run_dir / "report.html", tmp_path)
    assert inline.get("data-report-ready") == "1"
    assert _marks(inline, "sys-a") == EXPECTED_A and _marks(inline, "sys-b") == EXPECTED_B

    paged = _dump(paged_page, tmp_path)
    view = paged.xpath('//div[contains(@class, "paged")]')[0]
    assert view.get("data-rendered") == "1"  # rendered by the page's script from the packed data
    assert _marks(paged, "sys-a") == EXPECTED_A and _marks(paged, "sys-b") == EXPECTED_B
