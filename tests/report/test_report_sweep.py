"""`mtqe report SWEEP_DIR`: the merged report of a sweep, merging the jobs first when needed.

Synthetic jobs from test_collect (real BLEU/chrF scores, no model); a real multirun is in
tests/pipeline/test_report_sweep_dir.py.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mtqe.cli import main
from mtqe.report.load import RunDirError, load_run
from mtqe.report.sweep import is_sweep_dir, merge_outdated, write_job_error
from tests.report.test_collect import HYPS, SOURCES, _config, _hydra_files, _write_job

MERGED = ("leaderboard.csv", "segments.jsonl", "report.md", "sweep.json", "report.html")


@pytest.fixture()
def sweep(tmp_path: Path) -> Path:
    """Jobs 0-2 finished (systems a, b, c), job 3 failed (system d)."""
    sweep = tmp_path / "sweep"
    for num, name in enumerate(HYPS):
        _write_job(sweep / str(num), num, {name: HYPS[name]})
    _hydra_files(sweep / "3", 3, _config(["d"]), ["system=d"])
    try:
        raise RuntimeError("CUDA out of memory")
    except RuntimeError as exc:
        write_job_error(sweep / "3", exc, overrides=["system=d"], job_num=3)
    return sweep


def test_report_on_an_unmerged_sweep_merges_it_first(sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert is_sweep_dir(sweep) and not is_sweep_dir(sweep / "0")
    assert merge_outdated(sweep) == "the jobs are not merged yet"
    with pytest.raises(RunDirError, match=r"is a sweep directory whose jobs are not merged: run `mtqe collect"):
        load_run(sweep)  # the library says what to do; the command does it

    assert main(["report", str(sweep)]) == 0

    out = capsys.readouterr()
    assert "is a sweep and the jobs are not merged yet: merged 4 jobs (1 failed), 4 rows" in out.out
    assert "job 3 (system=d): RuntimeError: CUDA out of memory" in out.err
    assert all((sweep / name).is_file() for name in MERGED)
    page = (sweep / "report.html").read_text(encoding="utf-8")
    run = load_run(sweep)
    assert [r.system for r in run.rows] == ["a", "b", "c", "d"]
    assert [r.status for r in run.rows] == ["ok", "ok", "ok", "error"]
    assert run.meta.jobs is not None and [j.status for j in run.meta.jobs] == ["finished"] * 3 + ["failed"]
    assert run.metrics["chrf"].description  # the merged results.json's metric_info
    assert "mtqe sweep report — doc ja→en" in page and "<h2>Jobs</h2>" in page
    assert 'class="status-error">failed: RuntimeError: CUDA out of memory' in page
    assert page.count("<svg") >= 4  # bar chart and segment distribution per metric
    # The per-segment view across jobs: each finished system's output side by side.
    (group,) = run.groups()
    assert [sorted(slot.outputs) for slot in group.slots()] == [["a", "b", "c"]] * len(SOURCES)
    assert all(source in page for source in SOURCES) and '<table class="segments">' in page
    assert merge_outdated(sweep) is None


def test_report_again_reuses_the_merge_until_a_job_changes(sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(sweep)]) == 0
    capsys.readouterr()
    merged = (sweep / "leaderboard.csv").stat().st_mtime_ns
    assert main(["report", str(sweep), "--compare", "c", "a", "--out", str(sweep / "ca.html")]) == 0
    assert "merged" not in capsys.readouterr().out
    assert (sweep / "leaderboard.csv").stat().st_mtime_ns == merged and (sweep / "ca.html").is_file()

    # Job 3 is rerun and succeeds after the merge: the report merges again.
    shutil.rmtree(sweep / "3")
    _write_job(sweep / "3", 3, {"d": HYPS["a"]})
    later = max(merged / 1e9 + 5, (sweep / "3" / "leaderboard.csv").stat().st_mtime)
    os.utime(sweep / "3" / "leaderboard.csv", (later, later))
    assert merge_outdated(sweep) == "job 3 changed since the merge"
    assert main(["report", str(sweep)]) == 0
    assert "job 3 changed since the merge: merged 4 jobs (0 failed)" in capsys.readouterr().out
    assert [r.status for r in load_run(sweep).rows] == ["ok"] * 4


def test_an_older_merge_or_changed_job_list_is_merged_again(sweep: Path) -> None:
    assert main(["collect", str(sweep)]) == 0
    assert merge_outdated(sweep) is None
    info = json.loads((sweep / "sweep.json").read_text())
    (sweep / "sweep.json").write_text(json.dumps({k: v for k, v in info.items() if k != "metric_info"}))
    assert merge_outdated(sweep) == "the merge was written by an older mtqe"
    (sweep / "sweep.json").write_text(json.dumps(info))
    assert merge_outdated(sweep) is None
    results = (sweep / "results.json").read_bytes()
    (sweep / "results.json").unlink()  # a merge from before results.json
    assert merge_outdated(sweep) == "the merge was written by an older mtqe"
    (sweep / "results.json").write_bytes(results)
    shutil.rmtree(sweep / "2")
    assert merge_outdated(sweep) == "jobs were added or removed since the merge"


def test_report_of_a_merge_written_elsewhere(sweep: Path, tmp_path: Path) -> None:
    # `mtqe collect --out DIR`: DIR has the merged files and sweep.json, no job directories.
    assert main(["collect", str(sweep), "--out", str(tmp_path / "merged")]) == 0
    (tmp_path / "merged" / "report.html").unlink()
    assert main(["report", str(tmp_path / "merged")]) == 0
    page = (tmp_path / "merged" / "report.html").read_text(encoding="utf-8")
    assert "<h2>Jobs</h2>" in page and "CUDA out of memory" in page


def test_a_sweep_whose_merge_fails_is_one_error(sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_job(sweep / "4", 4, {"e": HYPS["a"]}, config=_config(["e"], chrf_word_order=2))
    assert main(["report", str(sweep)]) == 2
    assert "mtqe: error:" in capsys.readouterr().err and not (sweep / "report.html").exists()
