"""Names from configs end up in file names, CSV cells and Markdown: none may escape its place."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest

from mtqe.errors import MtqeError
from mtqe.io import path_under, safe_file_name
from mtqe.metrics.base import MetricInfo, MetricResult
from mtqe.report import write_run_outputs
from mtqe.report.escape import csv_cell, md_text
from mtqe.report.leaderboard import leaderboard_csv
from mtqe.report.markdown import markdown_report
from mtqe.report.segments import translation_file_name
from mtqe.results import DocumentTexts, RunResult, SystemResult
from mtqe.systems.base import SystemOutput

ESCAPING = "a/../../../../tmp/x/escaped"  # the name from issue 15


def _result(*names: str, score: float = 0.5, note: str = "") -> RunResult:
    rows = tuple(
        SystemResult(
            document="jpus-2022", src_lang="ja", tgt_lang="zh", system=name, kind="mt", status="ok", n_segments=2,
            references=("zh-community",), output=SystemOutput(name, ("一", "二"), "mt"),
            metrics={"comet": MetricResult("comet", score, "comet-sig", segment_scores=(score, score))},
            notes=(note,) if note else (),
        )
        for name in names
    )
    return RunResult(
        rows=rows, metric_names=("comet",), metric_info={"comet": MetricInfo("comet", True, True, True)},
        baseline=names[0],
        texts=(DocumentTexts("jpus-2022", "ja", "zh", ("p000", "p001"), ("一", "二"), {"zh-community": ("一", "二")}),),
    )


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_a_system_name_with_dot_dot_writes_nothing_outside_the_run_dir(tmp_path: Path) -> None:
    run_dir = tmp_path / "a" / "b" / "run"  # deep enough that the climbing name would land in tmp_path
    climbing = "x/../../../../../escaped"
    target = Path(tempfile.gettempdir()) / "x" / "escaped.txt"  # where the attack wrote
    outside_before = target.exists()
    paths = write_run_outputs(_result(ESCAPING, climbing, "x_.._escaped"), run_dir, config={}, project_dir=tmp_path,
                              started="2025-01-01T00:00:00+00:00")
    assert _files(tmp_path) == _files(run_dir)  # nothing written beside the run directory
    assert target.exists() == outside_before
    translations = sorted(p.name for p in (run_dir / "translations").iterdir())
    assert len(translations) == 3 and all("/" not in n and not n.startswith(".") for n in translations)
    # Display names are kept as they are everywhere else.
    assert ESCAPING in paths["leaderboard"].read_text(encoding="utf-8")


def test_file_names_keep_plain_names_and_are_unique_otherwise() -> None:
    assert translation_file_name("jpus-2022", "ja", "zh", "gemma-3-270m") == "jpus-2022.ja-zh.gemma-3-270m.txt"
    assert safe_file_name("nllb_200+ct2.int8") == "nllb_200+ct2.int8"
    assert safe_file_name("日本語モデル") == "日本語モデル"  # letters of any script are fine in a file name
    names = ["a/b", "a_b", "a b", "a\\b", "..", ".hidden", "a\x00b", "x" * 500]
    safe = [safe_file_name(n) for n in names]
    assert len(set(safe)) == len(safe) and "a_b" in safe  # the plain one keeps its name, the others get a hash
    for name in safe:
        assert "/" not in name and "\\" not in name and "\x00" not in name and not name.startswith(".")
        assert 0 < len(name) <= 140


def test_path_under_refuses_paths_that_leave_the_directory(tmp_path: Path) -> None:
    assert path_under(tmp_path, "translations", "a.txt") == tmp_path / "translations" / "a.txt"
    for parts in (("..", "x"), ("translations", "../../x"), ("/etc/passwd",)):
        with pytest.raises(MtqeError, match="outside the output directory"):
            path_under(tmp_path, *parts)


def test_csv_cells_cannot_run_as_spreadsheet_formulas() -> None:
    evil = '=HYPERLINK("http://example.com","x")'
    text = leaderboard_csv(_result(evil, "@SUM(A1)", "-2+3", "+cmd", "\tx", "safe-name", score=-0.25,
                                   note="-see the error"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["system"] for r in rows] == ["'" + evil, "'@SUM(A1)", "'-2+3", "'+cmd", "'\tx", "safe-name"]
    assert rows[1]["baseline"] == "'" + evil and rows[0]["notes"].startswith("'-see the error")
    assert {r["comet"] for r in rows} == {"-0.2500"}  # a negative score stays a number
    assert [csv_cell(v) for v in ("-1.5", "+2", "1e-05", "-", "-1.5x")] == ["-1.5", "+2", "1e-05", "'-", "'-1.5x"]


def test_markdown_shows_names_and_notes_literally() -> None:
    name = "a|b <img src=x onerror=alert(1)>"
    text = markdown_report(_result(name, "c", note="see `rm -rf` and *this* [link](http://x)"))
    row = next(line for line in text.splitlines() if line.startswith("| a"))
    header = next(line for line in text.splitlines() if line.startswith("| system"))
    unescaped = lambda line: line.replace("\\|", "").count("|")  # noqa: E731
    assert unescaped(row) == unescaped(header)  # the pipe in the name does not add a column
    assert "<img" not in text and "&lt;img" in text
    assert "\\`rm -rf\\`" in text and "\\*this\\*" in text and "\\[link\\](http://x)" in text
    assert md_text("x\ny") == "x y"
