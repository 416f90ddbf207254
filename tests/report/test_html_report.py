"""report.html from a run directory written by the real report writers (no models: fast)."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import lxml.html
import pytest

from mtqe.cli import main as mtqe_main
from mtqe.metrics.base import MetricInfo, MetricResult
from mtqe.metrics.stats import ConfidenceInterval, PairedTestResult
from mtqe.report import write_run_outputs
from mtqe.report.diff import char_diff_html
from mtqe.report.html import render_report, write_html_report
from mtqe.report.load import Group, RunDirError, SegmentRecord, load_run
from mtqe.results import DocumentTexts, RunResult, SystemResult
from mtqe.systems.base import SystemOutput

SOURCES = ["日米首脳共同声明", "両国は協力を続ける。", "自由で開かれたインド太平洋"]
REFS = ["日美领导人联合声明", "两国将继续合作。", "自由开放的印度太平洋"]
HYPS_A = ["日美领导人声明", "两国继续合作。", "自由的印太"]
HYPS_B = ["日美首脑联合声明", "<script>alert('x')</script> & 两国", "自由开放的印度太平洋"]
SCRIPT_HYP = HYPS_B[1]
LEAVE_ONE_OUT = "no reference other than the system's own text (leave-one-out)"
COMET_OFFLINE = "COMET model 'Unbabel/wmt22-comet-da' is not available offline (set metric.comet.model)"
METRICS = ["bleu", "chrf", "comet"]


def _ci(score: float) -> ConfidenceInterval:
    return ConfidenceInterval(score=score, low=score - 2, high=score + 2, mean=score, confidence=0.95,
                              n_samples=100, seed=1)


def _paired(a: float, b: float, p: float) -> dict[str, PairedTestResult]:
    return {name: PairedTestResult(test=name, score_a=a, score_b=b, delta=b - a, p_value=p, n_samples=100,
                                   seed=1, count_ties=True) for name in ("bootstrap", "randomization")}


def _mt_row(system: str, hyps: list[str], bleu: list[float], chrf: list[float]) -> SystemResult:
    metrics = {
        "bleu": MetricResult("bleu", sum(bleu) / 3, "bleu-sig|refs:zh-community", segment_scores=tuple(bleu)),
        "chrf": MetricResult("chrf", sum(chrf) / 3, "chrf-sig|refs:zh-community", segment_scores=tuple(chrf)),
        "comet": MetricResult.not_available("comet", "comet-sig", COMET_OFFLINE),
    }
    return SystemResult(
        document="jpus-2022", src_lang="ja", tgt_lang="zh", system=system, kind="mt", status="ok",
        n_segments=3, references=("zh-community",), output=SystemOutput(system, tuple(hyps), "mt"),
        metrics=metrics, intervals={m: _ci(metrics[m].score) for m in ("bleu", "chrf")},
        ranks={"bleu": 1, "chrf": 1},
    )


def _run_result() -> RunResult:
    community = SystemResult(
        document="jpus-2022", src_lang="ja", tgt_lang="zh", system="community", kind="existing",
        status="ok", n_segments=3, output=SystemOutput("community", tuple(REFS), "existing", "zh-community"),
        metrics={m: MetricResult.not_available(m, f"{m}-sig", LEAVE_ONE_OUT) for m in METRICS},
    )
    sys_a = _mt_row("sys-a", HYPS_A, [20.0, 30.0, 10.0], [40.0, 50.0, 30.0])
    sys_b = replace(_mt_row("sys-b", HYPS_B, [50.0, 5.0, 100.0], [60.0, 10.0, 100.0]),
                    paired={"bleu": _paired(20.0, 51.67, 0.0123), "chrf": _paired(40.0, 56.67, 0.0456)})
    broken = SystemResult(document="jpus-2022", src_lang="ja", tgt_lang="zh", system="broken", kind="mt",
                          status="error", n_segments=3, error="RuntimeError: CUDA out of memory")
    return RunResult(
        rows=[community, sys_a, sys_b, broken], metric_names=METRICS,
        metric_info={m: MetricInfo(m, higher_is_better=True, needs_reference=True, needs_source=m == "comet",
                                   description=f"{m} description") for m in METRICS},
        baseline="sys-a",
        texts=(DocumentTexts("jpus-2022", "ja", "zh", ("p000", "p001", "p002"), SOURCES, {"zh-community": REFS}),),
        warnings=["comet empty for every system"],
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    write_run_outputs(_run_result(), out, config={"documents": ["jpus-2022"]}, project_dir=out,
                      started="2025-01-01T00:00:00+00:00")
    return out


@pytest.fixture(scope="module")
def page(run_dir: Path) -> str:
    return write_html_report(run_dir).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def dom(page: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(page)


def _csv_rows(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "leaderboard.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_leaderboard_has_a_row_per_system_with_ci_rank_and_p(run_dir: Path, dom) -> None:
    rows = dom.xpath('//table[contains(@class, "leaderboard")]/tbody/tr')
    assert [r.get("data-system") for r in rows] == [r["system"] for r in _csv_rows(run_dir)]
    sys_b = rows[2].text_content()
    assert "51.67" in sys_b and "[49.67, 53.67]" in sys_b and "#1" in sys_b
    assert "0.0123 / 0.0123" in sys_b  # bootstrap / randomization p vs the baseline
    assert "baseline" in rows[1].text_content()
    assert "zh-community" in sys_b  # reference ids


def test_notes_are_the_csv_notes_verbatim(run_dir: Path, dom) -> None:
    notes_text = dom.xpath('string(//div[@class="notes"])')
    for row in _csv_rows(run_dir):
        for note in filter(None, row["notes"].split(" | ")):
            assert note in notes_text
    assert "RuntimeError: CUDA out of memory" in notes_text
    # An empty cell links to its system's notes, with the reason as a tooltip.
    empty = dom.xpath('//tr[@data-system="community"]/td[contains(@class, "empty")]')
    assert len(empty) == 3 and all(LEAVE_ONE_OUT in td.get("title") for td in empty)


def test_charts_are_inline_svg_and_nothing_is_fetched(dom, page: str) -> None:
    for metric in ("bleu", "chrf"):
        charts = dom.xpath(f'//div[@class="metric-charts"][@data-metric="{metric}"]//figure/*[local-name()="svg"]')
        assert len(charts) == 2  # corpus bars with CI whiskers + segment score distribution
    assert not [u for u in dom.xpath("//@src | //@href") if not u.startswith(("#", "data:"))]
    assert "<link" not in page and "@import" not in page


def test_metric_without_scores_is_a_note_not_an_empty_chart(dom) -> None:
    comet = dom.xpath('//div[@class="metric-charts"][@data-metric="comet"]')[0]
    assert not comet.xpath('.//*[local-name()="svg"]')
    text = comet.text_content()
    assert "No comet score for any system" in text and COMET_OFFLINE in text and LEAVE_ONE_OUT in text


def test_segment_view_shows_japanese_source_and_chinese_texts(dom) -> None:
    view = dom.xpath('//div[@class="segment-view"]')[0]
    assert [td.text_content() for td in view.xpath('.//td[@lang="ja"]')] == SOURCES
    zh = [td.text_content() for td in view.xpath('.//td[@lang="zh"]')]
    assert set(REFS) <= set(zh)
    shown = [td for td in view.xpath('.//tr[@data-system="sys-a"]/td[@lang="zh"]')]
    assert [_without_del(td) for td in shown] == HYPS_A
    assert not view.xpath('.//tr[@data-system="broken"]') and "broken (error)" in view.text_content()


def _without_del(td) -> str:
    for d in td.xpath(".//del"):
        d.drop_tree()
    return td.text_content()


def test_hypothesis_markup_is_shown_as_text(page: str, dom) -> None:
    assert "<script>alert" not in page
    cell = dom.xpath('//div[@class="segment-view"]//tr[@data-system="sys-b"]/td[@lang="zh"]')[1]
    assert _without_del(cell) == SCRIPT_HYP
    assert len(dom.xpath("//script")) == 2  # the page's JS and one JSON island per section


def test_char_diff_marks_cjk_characters_and_escapes() -> None:
    assert char_diff_html("我爱北京", "我爱上海") == "我爱<del>上海</del><ins>北京</ins>"
    assert char_diff_html("a<b", "a") == "a<ins>&lt;b</ins>"
    assert char_diff_html("x" * 3000, "y" * 3000) is None  # too long: shown without highlighting


def test_default_comparison_is_first_two_scored_systems(run_dir: Path, dom) -> None:
    assert "bleu A − B (sys-a − sys-b)" in dom.xpath('string(//*[@class="delta-head"])')
    deltas = [float(b.get("data-delta")) for b in dom.xpath("//table[contains(@class, 'segments')]/tbody")]
    assert deltas == [-30.0, 25.0, -90.0]
    flipped = lxml.html.fromstring(render_report(load_run(run_dir), compare=("sys-b", "sys-a")))
    assert [float(b.get("data-delta")) for b in flipped.xpath("//table[contains(@class, 'segments')]/tbody")] \
        == [30.0, -25.0, 90.0]
    data = json.loads(flipped.xpath('string(//script[@class="segment-scores"])'))
    assert (data["metric"], data["a"], data["b"]) == ("bleu", "sys-b", "sys-a")


def test_segments_align_by_index_when_a_system_lacks_one(run_dir: Path) -> None:
    group = load_run(run_dir).groups()[0]
    records = {s: tuple(r for r in recs if not (s == "sys-b" and r.index == 1)) for s, recs in group.segments.items()}
    slots = Group(group.document, group.src_lang, group.tgt_lang, group.rows, records).slots()
    assert [slot.segment for slot in slots] == ["p000", "p001", "p002"]
    assert "sys-b" not in slots[1].outputs and slots[2].outputs["sys-b"].hypothesis == HYPS_B[2]
    assert all(isinstance(r, SegmentRecord) for slot in slots for r in slot.outputs.values())


def test_report_is_reproducible(run_dir: Path, page: str) -> None:
    assert render_report(load_run(run_dir)) == page


def test_missing_run_dir_or_file_is_one_clear_error(tmp_path: Path, run_dir: Path, capsys) -> None:
    with pytest.raises(RunDirError, match="does not exist"):
        write_html_report(tmp_path / "nope")
    with pytest.raises(RunDirError, match="leaderboard.csv is missing.*did not finish"):
        write_html_report(tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("leaderboard.csv", "run.json"):
        (broken / name).write_bytes((run_dir / name).read_bytes())
    with pytest.raises(RunDirError, match=r"results.json is missing"):
        load_run(broken)
    (broken / "results.json").write_text('{"schema_version": 1,\n"rows": [', encoding="utf-8")
    with pytest.raises(RunDirError, match=r"results.json: invalid JSON .* at line 2"):
        load_run(broken)
    data = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    (broken / "results.json").write_text(json.dumps({**data, "schema_version": 99}), encoding="utf-8")
    with pytest.raises(RunDirError, match=r"schema_version 99, this mtqe reads 1"):
        load_run(broken)
    del data["rows"][1]["metrics"]["bleu"]["score"]
    (broken / "results.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RunDirError, match=r"results.json: not a valid mtqe results file \(KeyError: 'score'\)"):
        load_run(broken)
    (broken / "results.json").write_bytes((run_dir / "results.json").read_bytes())
    (broken / "run.json").write_text('{"versions": []}', encoding="utf-8")
    with pytest.raises(RunDirError, match=r"run.json: 'versions' must be a JSON object"):
        load_run(broken)
    assert mtqe_main(["report", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mtqe: error: run directory") and err.count("\n") == 1


def test_cli_writes_report_and_checks_compare(run_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "r.html"
    assert mtqe_main(["report", str(run_dir), "--out", str(out), "--compare", "sys-b", "sys-a"]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert mtqe_main(["report", str(run_dir), "--compare", "sys-a", "gpt-9"]) == 2
    assert "no system 'gpt-9'" in capsys.readouterr().err
