"""The results model: frozen values, one results.json, every output a view of it.

Built on the real seed text jpus-2022 (ja→zh, paragraphs) scored by the real BLEU and chrF.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest

from mtqe.config import StatsConfig
from mtqe.corpus.loader import default_references_dir, load_parallel_document
from mtqe.corpus.manifest import load_manifest
from mtqe.metrics.registry import build_metric, validate_metric_config
from mtqe.metrics.scoring import add_statistics, score_row
from mtqe.report import write_run_outputs
from mtqe.report.html import write_html_report
from mtqe.report.leaderboard import leaderboard_csv
from mtqe.report.load import load_run
from mtqe.report.markdown import markdown_report
from mtqe.report.segments import segment_rows
from mtqe.results import DocumentTexts, ResultsFormatError, RunResult, SystemResult
from mtqe.systems.base import SystemOutput

STATS = StatsConfig(bootstrap_samples=50, randomization_samples=100, seed=3, baseline="mt-a")


@pytest.fixture(scope="module")
def doc():
    return load_parallel_document(load_manifest(default_references_dir()), "jpus-2022", "ja", "zh", unit="paragraph")


def _row(doc, name: str, hyps, kind: str = "mt", text_id: str | None = None) -> SystemResult:
    return SystemResult(document=doc.document, src_lang="ja", tgt_lang="zh", system=name, kind=kind, status="ok",
                        n_segments=len(doc.segments), output=SystemOutput(name, tuple(hyps), kind, text_id),
                        source_text=doc.source.text_id)


@pytest.fixture(scope="module")
def rows(doc):
    ref = doc.target_segments("zh-community")
    metrics = {n: build_metric(validate_metric_config(n, {"type": n})) for n in ("bleu", "chrf")}
    produced = [
        _row(doc, "community", ref, "existing", "zh-community"),
        _row(doc, "mt-a", [r[: max(1, len(r) * 3 // 4)] for r in ref]),  # a reference with its end cut off
        _row(doc, "mt-b", doc.sources),  # the Japanese source as "translation"
        SystemResult(document=doc.document, src_lang="ja", tgt_lang="zh", system="broken", kind="mt",
                     status="error", n_segments=len(doc.segments), error="RuntimeError: out of memory"),
    ]
    scored = [score_row(doc, r, metrics) if r.status == "ok" else r for r in produced]
    return produced, scored, add_statistics(doc, scored, metrics, STATS), metrics


@pytest.fixture(scope="module")
def result(doc, rows) -> RunResult:
    _, _, final, metrics = rows
    return RunResult(
        rows=final, metric_names=tuple(metrics), metric_info={n: m.info for n, m in metrics.items()},
        baseline=STATS.baseline,
        texts=(DocumentTexts(doc.document, "ja", "zh", tuple(s.seg_id for s in doc.segments), doc.sources,
                             {r: doc.target_segments(r) for r in doc.targets}),),
        timings={"score_s": 1.5}, warnings=("a warning",), facts={"cache_dir": None},
    )


def test_scoring_returns_new_rows_and_leaves_its_input_alone(rows) -> None:
    produced, scored, final, _ = rows
    assert all(not r.metrics and not r.references for r in produced)  # score_row built new rows
    assert all(not r.intervals and not r.paired and not r.ranks for r in scored)
    mt_b = final[2]
    assert mt_b.references == ("zh-community",) and set(mt_b.intervals) == {"bleu", "chrf"}
    assert set(mt_b.paired["chrf"]) == {"bootstrap", "randomization"} and mt_b.ranks["chrf"] == 2
    assert final[1].ranks["chrf"] == 1 and "chrf" not in final[1].paired  # the baseline itself
    assert "leave-one-out" in final[0].metrics["chrf"].unavailable and "other than its own text" in final[0].notes[0]


def test_results_are_frozen(result: RunResult) -> None:
    row = result.rows[1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.status = "error"  # type: ignore[misc]
    with pytest.raises(TypeError):
        row.metrics["chrf"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        result.rows[2].paired["bleu"]["bootstrap"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        result.texts[0].references["zh-community"] = ()  # type: ignore[index]
    assert isinstance(result.rows, tuple) and isinstance(row.notes, tuple)
    changed = dataclasses.replace(row, notes=(*row.notes, "x"))
    assert changed.notes[-1] == "x" and "x" not in row.notes


def test_results_json_round_trips_and_gives_the_same_views(result: RunResult) -> None:
    data = json.loads(json.dumps(result.to_json(), ensure_ascii=False))
    assert data["schema_version"] == 1
    again = RunResult.from_json(data)
    assert again.to_json() == result.to_json()
    assert leaderboard_csv(again) == leaderboard_csv(result)
    assert markdown_report(again) == markdown_report(result)
    assert json.dumps(segment_rows(again)) == json.dumps(segment_rows(result))
    chrf = again.rows[2].metrics["chrf"]
    assert (chrf.stats == result.rows[2].metrics["chrf"].stats).all()  # exact floats, not rounded cells


def test_rows_say_which_source_text_they_were_scored_from(result: RunResult) -> None:
    table = list(csv.DictReader(io.StringIO(leaderboard_csv(result))))
    assert [r["source_text"] for r in table] == ["ja-mofa", "ja-mofa", "ja-mofa", ""]  # "broken" predates it
    assert {s["source_text"] for s in segment_rows(result)} == {"ja-mofa"}
    data = result.to_json()
    for row in data["rows"]:
        del row["source_text"]  # a results.json written before the field existed
    assert {r.source_text for r in RunResult.from_json(data).rows} == {""}


def test_an_unknown_schema_version_is_one_clear_error(result: RunResult) -> None:
    with pytest.raises(ResultsFormatError, match="schema_version 2, this mtqe reads 1"):
        RunResult.from_json({**result.to_json(), "schema_version": 2})
    with pytest.raises(ResultsFormatError, match="not a valid mtqe results file"):
        RunResult.from_json({**result.to_json(), "rows": [{"system": "x"}]})


def test_the_report_is_built_from_results_json_not_the_csv(result: RunResult, tmp_path: Path) -> None:
    paths = write_run_outputs(result, tmp_path, config={}, project_dir=tmp_path, started="2025-01-01T00:00:00+00:00")
    assert paths["results"] == tmp_path / "results.json"
    # Change the results only: the CSV is left as it was, and the page follows results.json.
    data = json.loads(paths["results"].read_text(encoding="utf-8"))
    data["rows"][2]["system"] = "renamed-in-results"
    paths["results"].write_text(json.dumps(data), encoding="utf-8")
    assert [r.system for r in load_run(tmp_path).rows] == ["community", "mt-a", "renamed-in-results", "broken"]
    assert "renamed-in-results" in write_html_report(tmp_path).read_text(encoding="utf-8")
    assert "renamed-in-results" not in paths["leaderboard"].read_text(encoding="utf-8")


def test_error_spans_round_trip_into_segments_jsonl(result: RunResult) -> None:
    from mtqe.metrics.base import ErrorSpan

    row = result.rows[2]
    hyps = row.output.hypotheses
    spans = tuple((ErrorSpan(0, 2, hyps[i][:2], "major", 0.9, "accuracy/mistranslation"),) if i == 0 else ()
                  for i in range(len(hyps)))
    marked = dataclasses.replace(row.metrics["chrf"], segment_spans=spans)
    changed = dataclasses.replace(result, rows=(*result.rows[:2], dataclasses.replace(row, metrics={
        **row.metrics, "chrf": marked}), *result.rows[3:]))
    again = RunResult.from_json(json.loads(json.dumps(changed.to_json())))
    assert again.rows[2].metrics["chrf"].segment_spans == spans
    seg = [s for s in segment_rows(again) if s["system"] == row.system]
    assert seg[0]["error_spans"] == {"chrf": [{"start": 0, "end": 2, "text": hyps[0][:2], "severity": "major",
                                              "confidence": 0.9, "category": "accuracy/mistranslation"}]}
    assert seg[1]["error_spans"] == {"chrf": []}
    assert segment_rows(result)[0]["error_spans"] == {}  # metrics that mark no spans add nothing
    with pytest.raises(ValueError, match="severity"):
        ErrorSpan(0, 1, "x", "fatal")
