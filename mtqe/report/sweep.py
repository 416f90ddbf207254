"""The jobs of a Hydra sweep: where they are, how each ended, and the record a failed job leaves.

A sweep directory (``multirun/<date>/<time>/``) holds one directory per job, each with
Hydra's ``.hydra/config.yaml``. A job ended in one of three ways, told apart by its files:

* ``leaderboard.csv`` — finished (written last by every run);
* ``error.json`` — failed: ``run_task`` caught the exception and wrote it (see
  :func:`write_job_error`), so the sweep could go on with the other jobs;
* neither — did not finish: still running, or killed (out of memory, time limit, node
  failure) before it could write anything.

``mtqe collect`` (:mod:`mtqe.collect`) turns the last two into ``status=error`` rows.
"""

from __future__ import annotations

import datetime as dt
import json
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from mtqe.errors import MtqeError
from mtqe.io import atomic_write_json
from mtqe.results import RESULTS_FILE

ERROR_FILE = "error.json"
ERROR_FORMAT = 1
FINISHED_MARKER = "leaderboard.csv"  # written last by a run (mtqe.report.write_run_outputs)


class CollectError(MtqeError):
    """A sweep directory cannot be merged (no jobs, unreadable files, jobs that disagree)."""


# --------------------------------------------------------------------------- error.json


@dataclass(frozen=True)
class JobError:
    """What ``error.json`` records about a failed job."""

    error: str  # "ExceptionType: message", as in the leaderboard's error column
    exception_type: str
    traceback: str
    overrides: tuple[str, ...]  # the job's command-line overrides (Hydra's overrides.task)
    job_num: int | None
    failed_at: str


def write_job_error(
    out_dir: Path, exc: BaseException, *, overrides: Sequence[str], job_num: int | None
) -> Path:
    """Record ``exc`` in ``out_dir/error.json`` (atomically) and return the path."""
    path = Path(out_dir) / ERROR_FILE
    atomic_write_json(path, {
        "mtqe_error_format": ERROR_FORMAT,
        "error": f"{type(exc).__name__}: {exc}",
        "exception_type": type(exc).__name__,
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        "overrides": list(overrides),
        "job_num": job_num,
        "failed_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    })
    return path


def clear_job_error(out_dir: Path) -> None:
    """Remove the ``error.json`` of an earlier attempt in the same directory: it is stale
    as soon as the job starts again (and would make a later success look failed)."""
    (Path(out_dir) / ERROR_FILE).unlink(missing_ok=True)


def read_job_error(path: Path) -> JobError:
    data = read_json(path)
    try:
        return JobError(
            error=str(data["error"]),
            exception_type=str(data.get("exception_type", "")),
            traceback=str(data.get("traceback", "")),
            overrides=tuple(str(o) for o in data.get("overrides", [])),
            job_num=data.get("job_num"),
            failed_at=str(data.get("failed_at", "")),
        )
    except (KeyError, TypeError) as exc:
        raise CollectError(f"{path}: not an mtqe error record (missing {exc}); delete it and rerun the job") from None


# --------------------------------------------------------------------------- jobs


@dataclass(frozen=True)
class Job:
    """One job directory of a sweep."""

    num: int
    dir: Path
    overrides: tuple[str, ...]
    status: str  # "finished" | "failed" | "unfinished"
    config: DictConfig  # the job's composed config (.hydra/config.yaml), unresolved
    error: JobError | None = None
    hydra_job_id: str | None = None  # the launcher's id (SLURM job id with submitit)
    varying: tuple[str, ...] = ()  # the overrides that tell this job from the others

    @property
    def label(self) -> str:
        return f"job {self.num} ({' '.join(self.varying or self.overrides) or 'no overrides'})"


def find_jobs(sweep_dir: Path) -> list[Job]:
    """Every job directory directly under ``sweep_dir``, in job-number order."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise CollectError(f"{sweep_dir} is not a directory; pass a sweep directory such as multirun/<date>/<time>")
    job_dirs = sorted(p.parent.parent for p in sweep_dir.glob("*/.hydra/config.yaml"))
    if not job_dirs:
        hint = (
            " (it looks like a single run: its leaderboard.csv is already the merged result)"
            if (sweep_dir / ".hydra" / "config.yaml").exists() else ""
        )
        raise CollectError(
            f"no job directories (*/.hydra/config.yaml) under {sweep_dir}{hint}; pass the directory "
            f"of a sweep made with `mtqe run -m`, e.g. multirun/<date>/<time>"
        )
    jobs = [_load_job(d) for d in job_dirs]
    nums = [j.num for j in jobs]
    if len(set(nums)) != len(nums):
        raise CollectError(
            f"{sweep_dir}: several job directories claim the same job number; collect one sweep at a time"
        )
    # Overrides every job shares (cache_dir=…, stats.…) only make labels long.
    common = set.intersection(*(set(j.overrides) for j in jobs)) if len(jobs) > 1 else set()
    jobs = [replace(j, varying=tuple(o for o in j.overrides if o not in common)) for j in jobs]
    return sorted(jobs, key=lambda j: j.num)


def _load_job(job_dir: Path) -> Job:
    config = _load_yaml(job_dir / ".hydra" / "config.yaml")
    if not isinstance(config, DictConfig):
        raise CollectError(f"{job_dir / '.hydra' / 'config.yaml'}: expected a mapping (Hydra's job config)")
    overrides: tuple[str, ...] = ()
    if (job_dir / ".hydra" / "overrides.yaml").exists():
        overrides = tuple(str(o) for o in OmegaConf.to_container(_load_yaml(job_dir / ".hydra" / "overrides.yaml")))
    num, job_id = _hydra_job_facts(job_dir)
    if (job_dir / ERROR_FILE).exists():
        # error.json wins over an older leaderboard.csv: run_task deletes it when a job
        # starts, so its presence means the latest attempt failed.
        return Job(num, job_dir, overrides, "failed", config, read_job_error(job_dir / ERROR_FILE), job_id)
    status = "finished" if (job_dir / FINISHED_MARKER).exists() else "unfinished"
    return Job(num, job_dir, overrides, status, config, None, job_id)


def _hydra_job_facts(job_dir: Path) -> tuple[int, str | None]:
    """The job number and the launcher's job id.

    The number is the directory name (Hydra's default ``hydra.sweep.subdir``), which stays
    right when a failed job is rerun by hand as a single run into the same directory (its new
    ``.hydra/hydra.yaml`` then says job 0); else ``hydra.job.num`` from ``.hydra/hydra.yaml``.
    """
    hydra_yaml = job_dir / ".hydra" / "hydra.yaml"
    cfg = _load_yaml(hydra_yaml) if hydra_yaml.exists() else None
    job_id = OmegaConf.select(cfg, "hydra.job.id", default=None) if cfg is not None else None
    num: Any = int(job_dir.name) if job_dir.name.isdigit() else None
    if num is None and cfg is not None:
        num = OmegaConf.select(cfg, "hydra.job.num", default=None)
    if num is None:
        raise CollectError(f"{job_dir}: no job number (the directory name is not one, nor is there .hydra/hydra.yaml)")
    return int(num), (str(job_id) if job_id is not None else None)


def unfinished_reason(job: Job, sweep_dir: Path) -> str:
    """The error shown for a job that left neither leaderboard.csv nor error.json."""
    logs = sorted((Path(sweep_dir) / ".submitit").glob(f"{job.hydra_job_id}*/*.err")) if job.hydra_job_id else []
    where = f"see {logs[0]}" if logs else f"see {job.dir / 'run_task.log'} and the launcher's log"
    return (
        "JobUnfinished: the job wrote neither leaderboard.csv nor error.json: it is still running or was "
        f"killed (out of memory, time limit, node failure); {where}, then rerun it"
    )


# --------------------------------------------------------------------------- the merge


MERGE_FILE = "sweep.json"  # written by mtqe.collect, with the merged leaderboard.csv


def is_sweep_dir(path: Path) -> bool:
    """A directory of job directories (``*/.hydra/config.yaml``) that is not a run itself."""
    path = Path(path)
    return (path.is_dir() and not (path / ".hydra" / "config.yaml").exists()
            and any(path.glob("*/.hydra/config.yaml")))


def merge_outdated(sweep_dir: Path) -> str | None:
    """Why the merged files of ``sweep_dir`` must be (re)written by ``mtqe collect``, or None
    when they are up to date: no merge yet, a merge by an older mtqe, a job added or removed,
    or a job that finished, failed or was rerun after the merge."""
    sweep_dir = Path(sweep_dir)
    merged, record = sweep_dir / FINISHED_MARKER, sweep_dir / MERGE_FILE
    if not merged.is_file() or not record.is_file():
        return "the jobs are not merged yet"
    try:
        info = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{record} is unreadable"
    if (not isinstance(info, dict) or "metric_info" not in info or not isinstance(info.get("jobs"), list)
            or not (sweep_dir / RESULTS_FILE).is_file()):
        return "the merge was written by an older mtqe"
    listed = {str(j.get("dir")) for j in info["jobs"] if isinstance(j, dict)}
    present = {p.parent.parent.name for p in sweep_dir.glob("*/.hydra/config.yaml")}
    if listed != present:
        return "jobs were added or removed since the merge"
    merged_at = merged.stat().st_mtime
    for name in sorted(present):
        for marker in (FINISHED_MARKER, ERROR_FILE):
            path = sweep_dir / name / marker
            if path.is_file() and path.stat().st_mtime > merged_at:
                return f"job {name} changed since the merge"
    return None


# --------------------------------------------------------------------------- files


def _load_yaml(path: Path) -> DictConfig | ListConfig:
    try:
        return OmegaConf.load(path)
    except (OSError, OmegaConfBaseException, ValueError) as exc:
        raise CollectError(f"{path}: cannot read it ({exc})") from None


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CollectError(f"{path}: cannot read it as JSON ({exc}); rerun the job that wrote it") from None
    if not isinstance(data, dict):
        raise CollectError(f"{path}: expected a JSON object")
    return data

