"""A real multirun (Hydra's basic launcher, tiny models): per-type system settings reach the
jobs, the end-of-sweep merge writes report.html, and `mtqe report SWEEP_DIR` merges by itself."""

from __future__ import annotations

import json
from pathlib import Path

from tests.pipeline.test_sweep_submitit import FAST, _mtqe, _rows, conf  # noqa: F401 — conf is a fixture

MERGED = ("leaderboard.csv", "segments.jsonl", "report.md", "sweep.json", "report.html")


def test_multirun_with_type_settings_and_report_of_the_sweep_dir(conf: Path, tmp_path: Path) -> None:  # noqa: F811
    sweep_dir = tmp_path / "multirun"
    # tiny-a is in every job, so the command line may override its fields (in a job without
    # it, Hydra would add an incomplete tiny-a: why per-type settings exist).
    proc = _mtqe(["run", "-m", "system=[tiny-a],[tiny-a,tiny-b]", f"hydra.sweep.dir={sweep_dir}",
                  f"hydra.searchpath=[file://{conf}]", f"cache_dir={tmp_path / 'cache'}",
                  "+system_settings_by_type.hf_seq2seq.batching={batch_size: 2, max_batch_tokens: 1000}",
                  "++system.tiny-a.batching.batch_size=3", *FAST])
    assert proc.returncode == 0, proc.stderr[-3000:]

    # The per-type settings, under the command line's own override of tiny-a.
    facts = {num: json.loads((sweep_dir / num / "run.json").read_text())["facts"] for num in ("0", "1")}
    assert facts["0"]["system_settings_by_type"] == {"tiny-a": {"batching.max_batch_tokens": 1000}}
    assert facts["1"]["system_settings_by_type"] == {
        "tiny-a": {"batching.max_batch_tokens": 1000},
        "tiny-b": {"batching.batch_size": 2, "batching.max_batch_tokens": 1000}}
    config = json.loads((sweep_dir / "0" / "run.json").read_text())["config"]
    assert config["system_settings_by_type"] == {"hf_seq2seq": {"batching": {"batch_size": 2, "max_batch_tokens": 1000}}}

    # The merge at the end of the sweep wrote the HTML report too.
    assert all((sweep_dir / name).is_file() for name in MERGED)
    merged = _rows(sweep_dir / "leaderboard.csv")
    assert [r["system"] for r in merged] == ["tiny-a", "tiny-b"]

    # Without the merged files, `mtqe report` merges first, then writes the same report.
    before = {name: (sweep_dir / name).read_text(encoding="utf-8") for name in ("leaderboard.csv", "report.html")}
    for name in MERGED:
        (sweep_dir / name).unlink()
    proc = _mtqe(["report", str(sweep_dir)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "is a sweep and the jobs are not merged yet: merged 2 jobs (0 failed), 2 rows" in proc.stdout
    assert all((sweep_dir / name).is_file() for name in MERGED)
    for name, text in before.items():
        assert (sweep_dir / name).read_text(encoding="utf-8") == text, name
    page = before["report.html"]
    assert "mtqe sweep report" in page and "<h2>Jobs</h2>" in page and "system=[tiny-a,tiny-b]" in page
