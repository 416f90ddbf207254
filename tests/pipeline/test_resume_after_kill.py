"""kill -9 in the middle of a run, then the same command: finished batches come from the cache."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _command(out: Path, cache: Path, conf: Path) -> list[str]:
    return [
        sys.executable, "-m", "mtqe.cli", "run", f"hydra.run.dir={out}", f"hydra.searchpath=[file://{conf}]",
        "system=[community,slow-marian]", "metric=[bleu,chrf]", f"cache_dir={cache}",
        "stats.bootstrap_samples=100", "stats.randomization_samples=100", "--quiet",
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _cached_rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.fixture(scope="module")
def conf(tmp_path_factory, tiny_marian: Path) -> Path:
    conf = tmp_path_factory.mktemp("conf")
    (conf / "system").mkdir()
    # Batch size 1 and sentence splitting: >100 small batches, each written to the cache
    # when done, so the kill lands between batches.
    (conf / "system" / "slow-marian.yaml").write_text(
        f"slow-marian:\n  type: hf_seq2seq\n  model: {tiny_marian}\n  pairs: [ja-zh]\n  num_beams: 1\n"
        f"  max_new_tokens: 24\n  dtype: float32\n  sentence_split: true\n  batching:\n    batch_size: 1\n",
        encoding="utf-8",
    )
    return conf


def test_kill_9_then_rerun_resumes_from_cache(tmp_path: Path, conf: Path) -> None:
    cache = tmp_path / "cache"
    db = cache / "translations.sqlite"
    proc = subprocess.Popen(_command(tmp_path / "killed", cache, conf), cwd=REPO, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _cached_rows(db) < 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before_kill = _cached_rows(db)
    assert done_before_kill >= 5
    assert not (tmp_path / "killed" / "leaderboard.csv").exists()

    resumed = subprocess.run(_command(tmp_path / "resumed", cache, conf), cwd=REPO, env=_env(),
                             capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    stats = json.loads((tmp_path / "resumed" / "run.json").read_text())["systems"]["jpus-2022/ja-zh/slow-marian"]["stats"]
    assert stats["cache_hits"] >= done_before_kill
    assert stats["translated"] == stats["unique_units"] - stats["cache_hits"]
    # Batch size 1: one generate() call per sentence not in the cache, none for the others.
    assert stats["translator"]["generate_calls"] == stats["translated"]

    fresh = subprocess.run(_command(tmp_path / "fresh", tmp_path / "fresh-cache", conf), cwd=REPO, env=_env(),
                           capture_output=True, text=True, timeout=600)
    assert fresh.returncode == 0, fresh.stderr[-2000:]

    def rows(path: Path) -> list[dict[str, str]]:
        with open(path / "leaderboard.csv", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    assert rows(tmp_path / "resumed") == rows(tmp_path / "fresh")
