"""The fault matrix of docs/reliability.md: each ordinary fault of `mtqe run` / `mtqe cache`
in a real subprocess, asserting the exit status, the one `mtqe: error:` line (no traceback)
and that nothing outside the run directory changed."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.faults import FAST, REPO, assert_one_line_error, mtqe, snapshot


def _can_mount() -> bool:
    """Root with a private mount namespace (unshare -m): real read-only and full file systems."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


CAN_MOUNT = _can_mount()
needs_mount = pytest.mark.skipif(not CAN_MOUNT, reason="needs root and `unshare -m` to mount a read-only "
                                 "or tiny file system (permission bits do not stop root)")


def _in_namespace(setup: str, args: list[str], timeout: float = 600) -> subprocess.CompletedProcess:
    """`mtqe ARGS` after the shell commands ``setup`` in a private mount namespace."""
    command = " ".join(["exec", sys.executable, "-m", "mtqe.cli", *(f"'{a}'" for a in args)])
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(REPO), "COLUMNS": "500"}
    env.pop("MTQE_CACHE_DIR", None)
    return subprocess.run(["unshare", "-m", "sh", "-c", f"{setup} && {command}"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


# -- caches -------------------------------------------------------------------------------


def test_corrupt_cache_is_one_line_with_the_remedy(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "translations.sqlite").write_bytes(b"this is not a database, it was overwritten by mistake\n" * 20)
    before = snapshot(tmp_path, skip=(tmp_path / "run",))
    proc = mtqe(["run", f"hydra.run.dir={tmp_path / 'run'}", f"cache_dir={cache}", *FAST, "--quiet"])
    assert_one_line_error(proc, 2, "is damaged", f"move or delete {cache / 'translations.sqlite'}")
    assert snapshot(tmp_path, skip=(tmp_path / "run",)) == before
    assert not (tmp_path / "run" / "leaderboard.csv").exists()
    stats = mtqe(["cache", "stats", "--cache-dir", str(cache)])
    assert_one_line_error(stats, 2, "is damaged", "move or delete")


@needs_mount
def test_read_only_cache_runs_without_it_and_stats_still_read(finished_run, tmp_path: Path) -> None:
    _, cache = finished_run
    # A cache with translations in it (the existing-only run writes none): add one row.
    ro_cache = tmp_path / "cache"
    shutil.copytree(cache, ro_cache)
    conn = sqlite3.connect(ro_cache / "translations.sqlite")
    with conn:
        conn.execute("INSERT INTO translations(key, identity_hash, src_lang, tgt_lang, source, output, created) "
                     "VALUES ('k', 'h', 'ja', 'zh', 's', 'o', 0)")
    conn.close()  # the last connection folds the WAL into the file, as at the end of a run
    before = snapshot(tmp_path, skip=(tmp_path / "run",))
    mount = f"mount --bind -o ro {ro_cache} {ro_cache}"
    proc = _in_namespace(mount, ["run", f"hydra.run.dir={tmp_path / 'run'}", f"cache_dir={ro_cache}", *FAST])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert f"the cache folder {ro_cache} is not writable" in proc.stderr and "running without the cache" in proc.stderr
    assert (tmp_path / "run" / "leaderboard.csv").is_file()
    stats = _in_namespace(mount, ["cache", "stats", "--cache-dir", str(ro_cache)])
    assert stats.returncode == 0, stats.stderr
    assert "1 translations" in stats.stdout
    assert snapshot(tmp_path, skip=(tmp_path / "run",)) == before


@needs_mount
def test_disk_full_is_one_line_naming_the_file(tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    before = snapshot(tmp_path, skip=(full,))
    # Room for Hydra's files and the small outputs, not for all of them.
    proc = _in_namespace(f"mount -t tmpfs -o size=120k tmpfs {full}",
                         ["run", f"hydra.run.dir={full / 'run'}", "use_cache=false", *FAST, "--quiet"])
    assert_one_line_error(proc, 2, "no space left on the device writing", f"free space on {full}")
    assert snapshot(tmp_path, skip=(full,)) == before


# -- run directories ----------------------------------------------------------------------


def test_a_run_dir_in_use_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    with open(run / ".mtqe.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write("4242\n")
        lock.flush()
        proc = mtqe(["run", f"hydra.run.dir={run}", f"cache_dir={tmp_path / 'cache'}", *FAST, "--quiet"])
    assert_one_line_error(proc, 2, "another mtqe run (pid 4242) is writing to", "hydra.run.dir=")
    assert not (run / "leaderboard.csv").exists()


def test_a_finished_run_dir_is_refused_and_overwrite_clears_stale_files(finished_run, tmp_path: Path) -> None:
    done, cache = finished_run
    run = tmp_path / "run"
    shutil.copytree(done, run)
    (run / "translations" / "ghost-system.jsonl").write_text("a system no longer in the run\n", encoding="utf-8")
    (run / "notes-by-hand.txt").write_text("not mtqe's\n", encoding="utf-8")
    ours = (run / ".hydra", run / "run_task.log", run / "mtqe run.log")
    before = snapshot(tmp_path, skip=ours)
    proc = mtqe(["run", f"hydra.run.dir={run}", f"cache_dir={cache}", *FAST, "--quiet"])
    assert_one_line_error(proc, 2, "already holds a finished run", "--overwrite")
    assert snapshot(tmp_path, skip=ours) == before  # refused: nothing touched
    proc = mtqe(["run", f"hydra.run.dir={run}", f"cache_dir={cache}", *FAST, "--quiet", "--overwrite"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (run / "translations" / "ghost-system.jsonl").exists()
    assert (run / "notes-by-hand.txt").read_text(encoding="utf-8") == "not mtqe's\n"
    assert (run / "leaderboard.csv").is_file()


# -- exit status --------------------------------------------------------------------------


@pytest.fixture()
def broken_system_conf(tmp_path: Path) -> Path:
    conf = tmp_path / "conf"
    (conf / "system").mkdir(parents=True)
    # The folder exists (so the plan's preflight passes) but holds no model: the system fails
    # when it loads, during the run, and becomes an error row.
    (tmp_path / "empty-model").mkdir()
    (conf / "system" / "broken.yaml").write_text(
        f"broken:\n  type: hf_seq2seq\n  model: {tmp_path / 'empty-model'}\n  pairs: [ja-zh]\n", encoding="utf-8"
    )
    return conf


def test_a_failed_system_exits_1_unless_partial_is_allowed(broken_system_conf: Path, tmp_path: Path) -> None:
    args = [f"hydra.searchpath=[file://{broken_system_conf}]", f"cache_dir={tmp_path / 'cache'}",
            *FAST[1:], "system=[community,broken]", "--quiet"]
    proc = mtqe(["run", f"hydra.run.dir={tmp_path / 'a'}", *args])
    assert_one_line_error(proc, 1, "1 system(s) failed: broken", "--allow-partial")
    assert (tmp_path / "a" / "leaderboard.csv").is_file()  # the other results are written
    assert not (tmp_path / "a" / "error.json").exists()
    proc = mtqe(["run", f"hydra.run.dir={tmp_path / 'b'}", *args, "--allow-partial"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr


def test_default_offline_metrics_do_not_fail_the_run(tmp_path: Path) -> None:
    # COMET's checkpoint is not available offline: an empty cell with its reason, exit 0.
    proc = mtqe(["run", f"hydra.run.dir={tmp_path / 'run'}", f"cache_dir={tmp_path / 'cache'}", *FAST[:1],
                 "metric=[bleu,chrf,comet]", *FAST[2:], "--quiet"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "comet" in (tmp_path / "run" / "leaderboard.csv").read_text(encoding="utf-8")


# -- inputs -------------------------------------------------------------------------------


def test_an_oversized_text_is_refused_before_reading(references_copy: Path, tmp_path: Path) -> None:
    before = snapshot(tmp_path, skip=(tmp_path / "run",))
    proc = mtqe(["run", f"hydra.run.dir={tmp_path / 'run'}", f"references_dir={references_copy}",
                 "use_cache=false", "max_text_bytes=1000", *FAST, "--quiet"])
    assert_one_line_error(proc, 2, "more than the limit of 1000 bytes", "max_text_bytes=")
    assert snapshot(tmp_path, skip=(tmp_path / "run",)) == before


# -- Ctrl-C -------------------------------------------------------------------------------


@pytest.fixture()
def slow_conf(tmp_path: Path, tiny_marian: Path) -> Path:
    conf = tmp_path / "conf"
    (conf / "system").mkdir(parents=True)
    (conf / "system" / "slow-marian.yaml").write_text(
        f"slow-marian:\n  type: hf_seq2seq\n  model: {tiny_marian}\n  pairs: [ja-zh]\n  num_beams: 1\n"
        f"  max_new_tokens: 24\n  dtype: float32\n  sentence_split: true\n  batching:\n    batch_size: 1\n",
        encoding="utf-8",
    )
    return conf


def _cached_rows(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_ctrl_c_marks_the_run_and_says_how_to_resume(slow_conf: Path, tmp_path: Path) -> None:
    run, cache = tmp_path / "run", tmp_path / "cache"
    args = ["run", f"hydra.run.dir={run}", f"hydra.searchpath=[file://{slow_conf}]", f"cache_dir={cache}",
            "system=[slow-marian]", "metric=[bleu,chrf]", "unit=paragraph", "align_embeddings=none", "--quiet"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(REPO), "COLUMNS": "500"}
    proc = subprocess.Popen([sys.executable, "-m", "mtqe.cli", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while _cached_rows(cache / "translations.sqlite") < 3:
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "no translation was cached in 300 s"
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "interrupted" in stderr and "run the same command again to resume" in stderr
    assert "translation(s) finished in this run are in the cache" in stderr
    assert (run / "interrupted").is_file()
    assert not (run / "leaderboard.csv").exists()
