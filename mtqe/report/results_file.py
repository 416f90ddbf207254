"""results.json: the one serialised form of a :class:`~mtqe.results.RunResult`.

Written first by a run and by a sweep merge; report.html and ``mtqe collect`` read it back.
Every problem reading it is one :class:`RunDirError` naming the file and what to do.
"""

from __future__ import annotations

import json
from pathlib import Path

from mtqe.errors import MtqeError
from mtqe.io import atomic_write_text, path_under
from mtqe.results import RESULTS_FILE, ResultsFormatError, RunResult


class RunDirError(MtqeError):
    """A run directory, or one of its files, cannot be read as a finished mtqe run."""


def write_results(result: RunResult, out_dir: Path) -> Path:
    path = path_under(out_dir, RESULTS_FILE)
    # Compact: it holds every segment's statistics; allow_nan keeps any float as Python wrote it.
    atomic_write_text(path, json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n")
    return path


def read_results(path: Path) -> RunResult:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunDirError(
            f"{path} is missing: the run was written by an older mtqe or did not finish; rerun `mtqe run`"
        ) from None
    except UnicodeDecodeError as exc:
        raise RunDirError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise RunDirError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno}); rerun the run") from None
    except OSError as exc:
        raise RunDirError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return RunResult.from_json(data, where=str(path))
    except ResultsFormatError as exc:
        raise RunDirError(str(exc)) from None
