"""Guarding a run directory: one run at a time, no silent mixing with an earlier run.

* :class:`RunDirLock` — an exclusive ``flock`` on ``.mtqe.lock``: a second run into the same
  directory fails at once instead of interleaving its logs and files. The kernel releases the
  lock when the process dies (even ``kill -9``), so a stale file never blocks a later run.
* :func:`prepare_run_dir` — a directory holding an earlier run's outputs is refused unless
  ``overwrite``; with it, those outputs are removed first, so no stale file (a system's
  ``translations/`` of a run that no longer has it) survives into the new run. Only the files
  mtqe writes are removed; anything else in the directory is left alone.
* :func:`write_interrupted_marker` — the ``interrupted`` file of a run stopped by Ctrl-C.

Hydra's own ``.hydra/`` folder and log file are there before the task starts; they are not an
earlier run's outputs.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from pathlib import Path

from mtqe.errors import RunDirError
from mtqe.io import atomic_write_text

LOCK_FILE = ".mtqe.lock"
INTERRUPTED_FILE = "interrupted"
# What a run writes into its directory (mtqe.report, mtqe.report.html, mtqe.report.sweep).
RUN_OUTPUTS = (
    "leaderboard.csv", "segments.jsonl", "run.json", "report.md", "report.html", "translations",
    "agreement.csv", INTERRUPTED_FILE,
)
# Not an earlier run's results: Hydra writes these before the task starts, error.json is
# cleared by the task itself (mtqe.report.sweep.clear_job_error).
_IGNORED = {".hydra", LOCK_FILE, "error.json"}


class RunDirLock:
    """``with RunDirLock(dir):`` — hold the run directory's lock, or raise :class:`RunDirError`."""

    def __init__(self, out_dir: Path) -> None:
        self.path = Path(out_dir) / LOCK_FILE
        self._fd: int | None = None

    def __enter__(self) -> "RunDirLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = _read_pid(self.path)
            raise RunDirError(
                f"another mtqe run{f' (pid {holder})' if holder else ''} is writing to {self.path.parent}: "
                "wait for it to finish, or choose another directory with hydra.run.dir=…"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._fd is not None:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)  # closing releases the flock
            self._fd = None


def _read_pid(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def earlier_outputs(out_dir: Path) -> list[str]:
    """Names in ``out_dir`` that an earlier run left (outputs or anything not Hydra's)."""
    if not out_dir.is_dir():
        return []
    return sorted(
        p.name for p in out_dir.iterdir() if p.name not in _IGNORED and not p.name.endswith(".log")
    )


def prepare_run_dir(out_dir: Path, *, overwrite: bool) -> list[str]:
    """Refuse a used run directory, or (``overwrite``) remove mtqe's outputs from it; returns
    what was removed."""
    found = earlier_outputs(out_dir)
    if not found:
        return []
    if found == [INTERRUPTED_FILE]:
        # An interrupted run wrote no results: running the same command again is the way to
        # resume (finished batches come from the cache).
        (out_dir / INTERRUPTED_FILE).unlink()
        return [INTERRUPTED_FILE]
    if not overwrite:
        finished = "a finished run" if "leaderboard.csv" in found else "files"
        raise RunDirError(
            f"{out_dir} already holds {finished} ({', '.join(found[:6])}{', …' if len(found) > 6 else ''}): "
            "choose a new directory (hydra.run.dir=…), or pass --overwrite (overwrite=true) to replace "
            "its results"
        )
    removed = []
    for name in RUN_OUTPUTS:
        path = out_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            continue
        removed.append(name)
    return removed


def write_interrupted_marker(out_dir: Path, message: str) -> Path:
    path = Path(out_dir) / INTERRUPTED_FILE
    atomic_write_text(path, message.rstrip("\n") + "\n")
    return path
