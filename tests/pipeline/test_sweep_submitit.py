"""A real sweep through submitit's local launcher: tiny models, one failing job, merged at the end.

Also: the same failing job in Hydra's basic launcher and in a single run.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FAST = ["metric=[bleu,chrf]", "stats.bootstrap_samples=100", "stats.randomization_samples=200",
        "stats.baseline=tiny-a", "existing_systems=none", "--quiet"]  # the jobs' own systems only
PER_ROW = ("document", "src_lang", "tgt_lang", "system", "kind", "status", "n_segments", "references",
           "baseline", "bleu", "bleu_ci_low", "bleu_ci_high", "bleu_signature",
           "chrf", "chrf_ci_low", "chrf_ci_high", "chrf_signature", "error")
SIGNIFICANCE = ("bleu_rank", "bleu_p_bootstrap", "bleu_p_randomization",
                "chrf_rank", "chrf_p_bootstrap", "chrf_p_randomization")


def _mtqe(args: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "mtqe.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def conf(tmp_path_factory, tiny_marian: Path) -> Path:
    conf = tmp_path_factory.mktemp("conf")
    (conf / "system").mkdir()
    # Two tiny systems from one checkpoint that decode differently, so their outputs differ.
    for name, beams, tokens in (("tiny-a", 1, 12), ("tiny-b", 2, 8)):
        (conf / "system" / f"{name}.yaml").write_text(
            f"{name}:\n  type: hf_seq2seq\n  model: {tiny_marian}\n  pairs: [ja-zh]\n  num_beams: {beams}\n"
            f"  max_new_tokens: {tokens}\n  dtype: float32\n", encoding="utf-8")
    # A typo in a system's YAML: the job fails at start-up, the others must not care.
    (conf / "system" / "tiny-typo.yaml").write_text(
        f"tiny-typo:\n  type: hf_seq2seq\n  model: {tiny_marian}\n  pairs: [ja-zh]\n  num_beam: 1\n",
        encoding="utf-8")
    return conf


@pytest.fixture(scope="module")
def sweep(tmp_path_factory, conf: Path) -> tuple[Path, Path, subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp("sweep")
    proc = _mtqe(["run", "-m", "system=tiny-a,tiny-b,tiny-typo", "hydra/launcher=local",
                  f"hydra.sweep.dir={root / 'multirun'}", f"hydra.searchpath=[file://{conf}]",
                  f"cache_dir={root / 'cache'}", *FAST])
    return root / "multirun", root / "cache", proc


def test_the_sweep_runs_every_job_and_exits_non_zero_for_the_failed_one(sweep) -> None:
    sweep_dir, _, proc = sweep
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert (sweep_dir / ".submitit").is_dir()  # the jobs really ran as submitit processes
    for num in (0, 1):
        assert (sweep_dir / str(num) / "leaderboard.csv").exists(), proc.stderr[-3000:]
    error = json.loads((sweep_dir / "2" / "error.json").read_text(encoding="utf-8"))
    assert error["error"].startswith("ConfigError: system.tiny-typo: invalid config at 'num_beam'")
    assert "system=tiny-typo" in error["overrides"] and error["job_num"] == 2
    assert "merged 3 jobs (1 failed)" in proc.stderr


def test_the_merged_leaderboard_is_the_union_of_the_jobs(sweep) -> None:
    sweep_dir, _, _ = sweep
    merged = {r["system"]: r for r in _rows(sweep_dir / "leaderboard.csv")}
    assert list(merged) == ["tiny-a", "tiny-b", "tiny-typo"]
    for num in (0, 1):
        (own,) = _rows(sweep_dir / str(num) / "leaderboard.csv")
        assert {c: merged[own["system"]][c] for c in PER_ROW} == {c: own[c] for c in PER_ROW}
    typo = merged["tiny-typo"]
    assert typo["status"] == "error" and typo["error"].startswith("ConfigError: system.tiny-typo")
    assert typo["kind"] == "mt" and typo["n_segments"] == merged["tiny-a"]["n_segments"]
    segments = (sweep_dir / "segments.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(segments) == 2 * int(merged["tiny-a"]["n_segments"])
    assert "tiny-typo" in (sweep_dir / "report.md").read_text(encoding="utf-8")


def test_significance_is_recomputed_as_one_run_of_all_systems(sweep, conf: Path, tmp_path: Path) -> None:
    sweep_dir, cache, _ = sweep
    # The same systems in one run (translations come from the sweep's cache).
    proc = _mtqe(["run", "system=[tiny-a,tiny-b]", f"hydra.run.dir={tmp_path}",
                  f"hydra.searchpath=[file://{conf}]", f"cache_dir={cache}", *FAST])
    assert proc.returncode == 0, proc.stderr[-3000:]
    single = {r["system"]: r for r in _rows(tmp_path / "leaderboard.csv")}
    merged = {r["system"]: r for r in _rows(sweep_dir / "leaderboard.csv")}
    for name in ("tiny-a", "tiny-b"):
        assert {c: merged[name][c] for c in SIGNIFICANCE + PER_ROW} == {c: single[name][c] for c in SIGNIFICANCE + PER_ROW}
    # In its own job tiny-b had no baseline to be compared with.
    (alone,) = _rows(sweep_dir / "1" / "leaderboard.csv")
    assert alone["chrf_p_randomization"] == "" and merged["tiny-b"]["chrf_p_randomization"] != ""


def test_collect_again_gives_the_same_files(sweep, tmp_path: Path) -> None:
    sweep_dir, _, _ = sweep
    proc = _mtqe(["collect", str(sweep_dir), "--out", str(tmp_path)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("leaderboard.csv", "segments.jsonl", "report.md"):
        assert (tmp_path / name).read_text() == (sweep_dir / name).read_text()


def test_the_basic_launcher_also_goes_on_after_a_failed_job(conf: Path, tmp_path: Path) -> None:
    proc = _mtqe(["run", "-m", "system=tiny-typo,community", f"hydra.sweep.dir={tmp_path}",
                  f"hydra.searchpath=[file://{conf}]", f"cache_dir={tmp_path / 'cache'}", *FAST])
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "mtqe: error: job 0 failed: system.tiny-typo" in proc.stderr
    rows = {r["system"]: r["status"] for r in _rows(tmp_path / "leaderboard.csv")}
    assert rows == {"tiny-typo": "error", "community": "ok"}


def test_a_failed_single_run_leaves_error_json_and_exits_2(conf: Path, tmp_path: Path) -> None:
    proc = _mtqe(["run", "system=[tiny-typo]", f"hydra.run.dir={tmp_path}",
                  f"hydra.searchpath=[file://{conf}]", *FAST])
    assert proc.returncode == 2
    assert "mtqe: error: system.tiny-typo: invalid config" in proc.stderr and "Traceback" not in proc.stderr
    assert json.loads((tmp_path / "error.json").read_text())["error"].startswith("ConfigError")
