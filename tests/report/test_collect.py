"""`mtqe collect`: merging synthetic sweep jobs (real BLEU/chrF scores, no model, no Hydra run)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hydra.types import RunMode
from omegaconf import OmegaConf

from mtqe.cli import main
from mtqe.collect import collect_sweep
from mtqe.config import StatsConfig
from mtqe.config_validation import to_typed
from mtqe.metrics import stats as st
from mtqe.metrics.base import MetricInput
from mtqe.metrics.registry import build_metric, validate_metric_config
from mtqe.metrics.scoring import add_statistics
from mtqe.report import write_run_outputs
from mtqe.report.sweep import (
    CollectError,
    clear_job_error,
    read_job_error,
    write_job_error,
)
from mtqe.results import DocumentTexts, RunResult, SystemResult
from mtqe.run_task import _record_failure
from mtqe.systems.base import SystemOutput

WORDS = ("the leaders affirmed their commitment to a free and open region based on the rule of law "
         "and agreed to deepen cooperation on economic security supply chains and clean energy").split()
N = 12
IDS = [f"p{i:03d}" for i in range(N)]
SOURCES = [f"源文 {i}" for i in range(N)]
REFS = {
    "en-a": [" ".join(WORDS[(i * 3) % 20:(i * 3) % 20 + 9]) for i in range(N)],
    "en-b": [" ".join(reversed(WORDS[(i * 3) % 20:(i * 3) % 20 + 9])) for i in range(N)],
}


def _damaged(refs: list[str], every: int) -> list[str]:
    """A stand-in hypothesis: the reference with every ``every``-th word dropped."""
    return [" ".join(w for j, w in enumerate(r.split()) if (j + i) % every) for i, r in enumerate(refs)]


HYPS = {"a": _damaged(REFS["en-a"], 9), "b": _damaged(REFS["en-a"], 4), "c": _damaged(REFS["en-a"], 2)}


def _config(systems: list[str], *, baseline: str = "a", chrf_word_order: int = 0) -> dict[str, Any]:
    return {
        "documents": ["doc"],
        "pair": {"src_lang": "ja", "tgt_lang": "en"},
        "system": {s: {"type": "hf_seq2seq", "model": f"/models/{s}"} for s in systems},
        "metric": {"bleu": {"type": "bleu", "tokenize": "13a"}, "chrf": {"type": "chrf", "word_order": chrf_word_order}},
        "unit": "paragraph",
        "stats": {"bootstrap_samples": 50, "randomization_samples": 200, "confidence": 0.95,
                  "alpha": 0.05, "seed": 7, "baseline": baseline},
    }


def _hydra_files(job_dir: Path, num: int, config: dict[str, Any], overrides: list[str]) -> None:
    hydra_dir = job_dir / ".hydra"
    hydra_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(OmegaConf.create(config), hydra_dir / "config.yaml")
    OmegaConf.save(OmegaConf.create(overrides), hydra_dir / "overrides.yaml")
    OmegaConf.save(OmegaConf.create({"hydra": {"job": {"num": num, "id": f"id{num}"}}}), hydra_dir / "hydra.yaml")


def _write_job(
    job_dir: Path,
    num: int,
    systems: dict[str, list[str]],
    *,
    config: dict[str, Any] | None = None,
    refs: dict[str, tuple[str, ...]] | None = None,
) -> None:
    """A finished job, written by the real report writers, scored by the real metrics."""
    cfg = config or _config(list(systems))
    metrics = {n: build_metric(validate_metric_config(n, node)) for n, node in cfg["metric"].items()}
    stats_cfg = to_typed(StatsConfig, cfg["stats"], where="stats")
    rows = []
    for name, hyps in systems.items():
        row_refs = (refs or {}).get(name, ("en-a",))
        data = MetricInput(sources=SOURCES, hypotheses=hyps, references=[REFS[r] for r in row_refs],
                           reference_ids=list(row_refs), src_lang="ja", tgt_lang="en")
        rows.append(SystemResult(
            document="doc", src_lang="ja", tgt_lang="en", system=name, kind="mt", status="ok", n_segments=N,
            references=row_refs, output=SystemOutput(name, tuple(hyps), "mt"),
            metrics={n: m.score(data) for n, m in metrics.items()},
        ))
    # The document only serves re-scoring a row on the baseline's other references: no job
    # here mixes references, so none is needed.
    scored = add_statistics(None, rows, metrics, stats_cfg)  # type: ignore[arg-type]
    result = RunResult(
        rows=scored, metric_names=tuple(metrics), metric_info={n: m.info for n, m in metrics.items()},
        baseline=stats_cfg.baseline, texts=(DocumentTexts("doc", "ja", "en", IDS, SOURCES, REFS),),
    )
    write_run_outputs(result, job_dir, config=cfg, project_dir=job_dir, started="2025-01-01T00:00:00+00:00")
    _hydra_files(job_dir, num, cfg, [f"system={','.join(systems)}"])


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_merge_equals_one_run_of_all_systems(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    for num, name in enumerate(HYPS):
        _write_job(sweep / str(num), num, {name: HYPS[name]})
    _write_job(tmp_path / "single", 0, dict(HYPS))

    summary = collect_sweep(sweep)

    assert summary.failed_jobs == [] and summary.rows == 3
    merged, single = _rows(sweep / "leaderboard.csv"), _rows(tmp_path / "single" / "leaderboard.csv")
    # Paired tests and clusters were recomputed over the union: they equal one run of a, b, c.
    assert merged == single
    assert [r["chrf_rank"] for r in merged] == ["1", "2", "3"]
    assert merged[1]["chrf_p_randomization"] != "" and merged[0]["chrf_p_randomization"] == ""
    # In its own job each system was alone: rank 1, no paired test.
    assert _rows(sweep / "2" / "leaderboard.csv")[0]["chrf_rank"] == "1"
    assert (sweep / "segments.jsonl").read_text() == (tmp_path / "single" / "segments.jsonl").read_text()
    assert (sweep / "report.md").read_text().startswith("# mtqe leaderboard")


def test_segments_carry_sufficient_statistics(tmp_path: Path) -> None:
    _write_job(tmp_path / "0", 0, {"a": HYPS["a"]})
    seg = json.loads((tmp_path / "0" / "segments.jsonl").read_text().splitlines()[3])
    metric = build_metric(validate_metric_config("chrf", {"type": "chrf"}))
    data = MetricInput(SOURCES, HYPS["a"], [REFS["en-a"]], ["en-a"], "ja", "en")
    assert seg["stats"]["chrf"] == metric.score(data).stats[3].tolist()
    assert len(seg["stats"]["bleu"]) > 2


def test_identical_duplicates_are_kept_once(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    _write_job(sweep / "0", 0, {"a": HYPS["a"], "b": HYPS["b"]})
    _write_job(sweep / "1", 1, {"a": HYPS["a"], "c": HYPS["c"]})
    _write_job(tmp_path / "single", 0, dict(HYPS))

    collect_sweep(sweep)

    assert _rows(sweep / "leaderboard.csv") == _rows(tmp_path / "single" / "leaderboard.csv")


def test_different_outputs_under_one_name_are_an_error_row(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    _write_job(sweep / "0", 0, {"a": HYPS["a"], "b": HYPS["b"]})
    _write_job(sweep / "1", 1, {"a": HYPS["a"], "b": HYPS["c"]})

    collect_sweep(sweep)

    rows = {r["system"]: r for r in _rows(sweep / "leaderboard.csv")}
    assert rows["a"]["status"] == "ok"
    assert rows["b"]["status"] == "error" and rows["b"]["chrf"] == ""
    assert "DuplicateSystemError: b produced different outputs in job 0" in rows["b"]["error"]
    assert "job 1" in rows["b"]["error"]
    assert not any(json.loads(l)["system"] == "b" for l in (sweep / "segments.jsonl").read_text().splitlines())


def test_failed_and_unfinished_jobs_are_error_rows(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    _write_job(sweep / "0", 0, {"a": HYPS["a"]})
    failed_cfg = _config(["b", "c"])
    _hydra_files(sweep / "1", 1, failed_cfg, ["system=[b,c]"])
    try:
        raise RuntimeError("CUDA out of memory")
    except RuntimeError as exc:
        write_job_error(sweep / "1", exc, overrides=["system=[b,c]"], job_num=1)
    _hydra_files(sweep / "2", 2, _config(["d"]), ["system=d"])  # killed: nothing written

    summary = collect_sweep(sweep)

    assert [j.status for j in summary.jobs] == ["finished", "failed", "unfinished"]
    rows = {r["system"]: r for r in _rows(sweep / "leaderboard.csv")}
    assert list(rows) == ["a", "b", "c", "d"]
    assert rows["a"]["status"] == "ok" and rows["a"]["chrf"] != ""
    for name in ("b", "c"):
        assert rows[name]["status"] == "error"
        assert rows[name]["error"] == "RuntimeError: CUDA out of memory"
        assert rows[name]["n_segments"] == str(N) and rows[name]["kind"] == "mt"
        assert "from job 1 (system=[b,c])" in rows[name]["notes"]
    assert rows["d"]["status"] == "error" and "neither leaderboard.csv nor error.json" in rows["d"]["error"]
    info = json.loads((sweep / "sweep.json").read_text())
    assert [j["status"] for j in info["jobs"]] == ["finished", "failed", "unfinished"]
    assert info["jobs"][1]["error"] == "RuntimeError: CUDA out of memory"
    report = (sweep / "report.md").read_text()
    # Escaped for Markdown (brackets would start a link).
    assert r"job 1 (system=\[b,c\]) failed: RuntimeError: CUDA out of memory" in report and "## Jobs" in report


def test_paired_test_on_other_references_reuses_the_job_or_says_why(tmp_path: Path) -> None:
    # "h" is scored on en-b only (a leave-one-out human text) and is the baseline; "a" on en-a.
    # A paired test needs "a" re-scored on en-b: only a job that ran both can have done it.
    sweep = tmp_path / "sweep"
    cfg = _config(["h"], baseline="h")
    _write_job(sweep / "0", 0, {"h": HYPS["b"]}, config=cfg, refs={"h": ("en-b",)})
    _write_job(sweep / "1", 1, {"a": HYPS["a"]}, config={**cfg, "system": _config(["a"])["system"]})

    collect_sweep(sweep)

    row = next(r for r in _rows(sweep / "leaderboard.csv") if r["system"] == "a")
    assert row["chrf_p_bootstrap"] == ""
    assert "chrf: no paired test: scored on en-a, the baseline on en-b, and no job ran both" in row["notes"]


def test_jobs_with_different_metric_settings_are_refused(tmp_path: Path) -> None:
    _write_job(tmp_path / "0", 0, {"a": HYPS["a"]})
    _write_job(tmp_path / "1", 1, {"b": HYPS["b"]}, config=_config(["b"], chrf_word_order=2))
    with pytest.raises(CollectError, match=r"metric 'chrf' is configured differently .*word_order: 0 vs 2"):
        collect_sweep(tmp_path)


def test_not_a_sweep_is_a_clear_error(tmp_path: Path) -> None:
    _write_job(tmp_path / "run", 0, {"a": HYPS["a"]})
    with pytest.raises(CollectError, match="looks like a single run"):
        collect_sweep(tmp_path / "run")
    with pytest.raises(CollectError, match="not a directory"):
        collect_sweep(tmp_path / "missing")


def test_jobs_without_statistics_are_refused(tmp_path: Path) -> None:
    _write_job(tmp_path / "0", 0, {"a": HYPS["a"]})
    path = tmp_path / "0" / "results.json"
    data = json.loads(path.read_text())
    data["rows"][0]["metrics"]["chrf"]["stats"] = None
    path.write_text(json.dumps(data))
    with pytest.raises(CollectError, match="a chrf score without per-segment statistics"):
        collect_sweep(tmp_path)


def test_jobs_without_results_json_are_refused(tmp_path: Path) -> None:
    # An older mtqe wrote no results.json: the merge never falls back to the CSV.
    _write_job(tmp_path / "0", 0, {"a": HYPS["a"]})
    (tmp_path / "0" / "results.json").unlink()
    with pytest.raises(CollectError, match=r"job 0 .*results.json is missing.*older mtqe"):
        collect_sweep(tmp_path)


def test_collect_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_job(tmp_path / "0", 0, {"a": HYPS["a"]})
    _write_job(tmp_path / "1", 1, {"b": HYPS["b"]})
    assert main(["collect", str(tmp_path), "--out", str(tmp_path / "merged")]) == 0
    assert "merged 2 jobs (0 failed), 2 rows" in capsys.readouterr().out
    assert len(_rows(tmp_path / "merged" / "leaderboard.csv")) == 2
    assert main(["collect", str(tmp_path / "nothing")]) == 2
    assert "mtqe: error:" in capsys.readouterr().err


def _hydra_cfg(mode: RunMode) -> Any:
    return OmegaConf.create({"job": {"num": 4}, "overrides": {"task": ["system=x", "pair=ja-zh"]}, "mode": mode})


def test_a_failed_multirun_job_records_its_error_and_lets_the_sweep_go_on(tmp_path: Path) -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        assert _record_failure(exc, tmp_path, _hydra_cfg(RunMode.MULTIRUN)) is True
    error = read_job_error(tmp_path / "error.json")
    assert error.error == "ValueError: boom" and error.job_num == 4
    assert error.overrides == ("system=x", "pair=ja-zh") and "raise ValueError" in error.traceback
    clear_job_error(tmp_path)
    assert not (tmp_path / "error.json").exists()


def test_a_failed_single_run_records_its_error_and_stops(tmp_path: Path) -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        assert _record_failure(exc, tmp_path, _hydra_cfg(RunMode.RUN)) is False
    assert read_job_error(tmp_path / "error.json").error == "ValueError: boom"


def test_recomputed_p_values_match_the_statistics_module(tmp_path: Path) -> None:
    for num, name in enumerate(("a", "b")):
        _write_job(tmp_path / str(num), num, {name: HYPS[name]})
    collect_sweep(tmp_path)
    row = _rows(tmp_path / "leaderboard.csv")[1]
    metric = build_metric(validate_metric_config("chrf", {"type": "chrf"}))

    def stats(hyps: list[str]) -> np.ndarray:
        return metric.score(MetricInput(SOURCES, hyps, [REFS["en-a"]], ["en-a"], "ja", "en")).stats

    expected = st.paired_approximate_randomization(stats(HYPS["a"]), stats(HYPS["b"]), metric.aggregate,
                                                   n_samples=200, seed=7)
    assert row["chrf_p_randomization"] == f"{expected.p_value:.4f}"


def test_a_job_rerun_by_hand_in_its_directory_keeps_its_number(tmp_path: Path) -> None:
    _write_job(tmp_path / "0", 0, {"a": HYPS["a"]})
    _write_job(tmp_path / "1", 0, {"b": HYPS["b"]})  # a single run's hydra.yaml says job 0
    summary = collect_sweep(tmp_path)
    assert [j.num for j in summary.jobs] == [0, 1]


def test_jobs_with_different_units_are_refused(tmp_path: Path) -> None:
    _write_job(tmp_path / "0", 0, {"a": HYPS["a"]})
    _write_job(tmp_path / "1", 1, {"b": HYPS["b"]}, config={**_config(["b"]), "unit": "sentence"})
    with pytest.raises(CollectError, match=r"unit differs between job 0 .* \('paragraph'\) and job 1 .*\('sentence'\)"):
        collect_sweep(tmp_path)
