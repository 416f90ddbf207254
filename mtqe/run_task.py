"""The Hydra task behind ``mtqe run``: plan, execute, write, summarise.

A job that fails leaves ``error.json`` in its run directory (the exception and the job's
overrides). A single run then stops with a non-zero exit status. In a multirun the task
returns normally instead, because both Hydra launchers stop the sweep at a failed job: the
basic launcher runs the other jobs of the batch and then re-raises the first failure (and a
``SystemExit`` escapes at once, skipping the rest); the submitit launcher re-raises when it
gathers the results (and a ``SystemExit`` leaves no result at all, which it reports as an
uncompleted job). Either way ``on_multirun_end`` never runs. Returning keeps the other jobs
and the merge; :class:`mtqe.hydra_callbacks.CollectSweep` turns ``error.json`` into error rows
and makes the sweep exit non-zero.

Exit status of a single run (docs/reliability.md): 0 done; 1 a system failed (its row has
``status=error``; ``allow_partial=true`` / ``--allow-partial`` makes it 0), or an unexpected
error (a bug: the traceback follows a line saying so); 2 a user or environment error (one
``mtqe: error:`` line naming the file and the remedy: config, corpus, cache, disk full,
permissions, a run directory in use or already used); 130 interrupted (Ctrl-C: an
``interrupted`` marker in the run directory, what was cached, how to resume). A metric that is
empty for a reported reason (no checkpoint offline, no reference) does not fail a run.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import sqlite3
import sys
import time
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from mtqe.conf_paths import source_checkout
from mtqe.console import ConsoleReporter, print_summary
from mtqe.errors import CacheError, DiskFullError, MtqeError, RunDirError
from mtqe.pipeline import execute, plan_run, resolved_config
from mtqe.report import utc_now, write_run_outputs
from mtqe.report.html import write_html_report
from mtqe.report.sweep import clear_job_error, write_job_error
from mtqe.run_dir import RunDirLock, prepare_run_dir, write_interrupted_marker
from mtqe.sqlite_store import cache_dir_unwritable, mount_point

log = logging.getLogger(__name__)


class PartialRunError(MtqeError):
    """Some systems failed; the outputs were written with their error rows."""


def run_task(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    state: dict[str, object] = {"started": time.time()}  # what the interrupt handler reports
    try:
        with RunDirLock(out_dir):
            prepare_run_dir(out_dir, overwrite=bool(cfg.get("overwrite", False)))
            clear_job_error(out_dir)  # an earlier attempt's failure is no longer the news
            _run(cfg, out_dir, state)
    except KeyboardInterrupt:
        _interrupted(out_dir, state)
    except RunDirError as exc:
        # The directory is another run's: write nothing into it (no error.json), in a sweep too.
        print(f"mtqe: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except PartialRunError as exc:  # the run finished: no error.json, only the exit status
        print(f"mtqe: error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except Exception as exc:  # noqa: BLE001 — recorded in error.json, then re-raised or the sweep goes on
        exc = as_user_error(exc, state.get("cache_dir"))
        try:
            recorded = _record_failure(exc, out_dir, hydra_cfg)
        except OSError:  # the run dir itself cannot be written (full, read-only): the line still comes
            recorded = False
        if recorded:
            return
        if isinstance(exc, MtqeError):
            # One line, even with --quiet: an error is never silent.
            print(f"mtqe: error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        print(f"mtqe: internal error: {type(exc).__name__}: {exc}. This is a bug in mtqe, not in your "
              "input: please report it with the traceback below.", file=sys.stderr)
        raise


def _run(cfg: DictConfig, out_dir: Path, state: dict[str, object]) -> None:
    started = utc_now()
    reporter = ConsoleReporter(quiet=bool(cfg.get("quiet", False)))
    # The command line's overrides: a system.NAME.FIELD=... there wins over system_settings_by_type.
    plan = plan_run(cfg, overrides=[str(o) for o in HydraConfig.get().overrides.task])
    if plan.cache_dir is not None:
        reason = cache_dir_unwritable(plan.cache_dir)
        if reason:
            reporter.warning(f"the cache folder {plan.cache_dir} is not writable ({reason}): running without "
                             "the cache; set cache_dir=<a writable folder> to cache and resume")
            plan = dataclasses.replace(plan, cache_dir=None)
    state["cache_dir"] = plan.cache_dir
    reporter.info(
        f"mtqe: {', '.join(plan.run.documents)} {plan.src_lang}→{plan.tgt_lang}; systems: "
        f"{', '.join(plan.systems)}; metrics: {', '.join(plan.metrics)}; output: {out_dir}"
    )
    with reporter:
        result = execute(plan, reporter=reporter)
    paths = write_run_outputs(
        result, out_dir, config=resolved_config(cfg), project_dir=source_checkout(), started=started
    )
    html = write_html_report(out_dir)  # after leaderboard.csv: it is built from the run's files
    print_summary(reporter.console, result, out_dir)
    reporter.console.print(f"leaderboard: {paths['leaderboard']}\nreport: {html}")
    failed = sorted({r.system for r in result.rows if r.status == "error" and r.subset == "all"})
    # A sweep reports failed jobs itself (mtqe.hydra_callbacks); its jobs' error rows are merged.
    multirun = HydraConfig.get().mode == RunMode.MULTIRUN
    if failed and not plan.run.allow_partial and not multirun:
        raise PartialRunError(
            f"{len(failed)} system(s) failed: {', '.join(failed)} (their rows in {paths['leaderboard']} say "
            "why; the log file in the run directory has the details). The other results were written; "
            "pass --allow-partial (allow_partial=true) to exit 0 in this case"
        )


def as_user_error(exc: Exception, cache_dir: object = None) -> Exception:
    """An environment fault (disk full, permissions, a damaged cache) as one MtqeError line;
    anything else unchanged."""
    if isinstance(exc, MtqeError):
        return exc
    if isinstance(exc, sqlite3.Error):
        where = f" in {cache_dir}" if cache_dir else ""
        return CacheError(f"a cache database{where} failed ({exc}): move or delete the cache files, "
                          "or set cache_dir=<another folder> (or use_cache=false)")
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = Path(exc.filename).parent if exc.filename else Path.cwd()
        return DiskFullError(f"no space left on the device writing {exc.filename or 'a file'}: free space on "
                             f"{mount_point(where)}, or write elsewhere (hydra.run.dir=…, cache_dir=…)")
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return MtqeError(f"cannot write {exc.filename or 'a file'} ({exc.strerror}): choose a writable "
                         "hydra.run.dir=… and cache_dir=…, or fix the folder's permissions")
    if isinstance(exc, OSError) and exc.errno == errno.EIO:
        return MtqeError(f"input/output error on {exc.filename or 'a file'}: check the disk, then run again")
    if isinstance(exc, MemoryError):
        return MtqeError("out of memory: run fewer systems at once or lower their batching.batch_size")
    return exc


def _interrupted(out_dir: Path, state: dict[str, object]) -> None:
    """Ctrl-C: say what is kept and how to resume, leave a marker, exit 130 (no traceback)."""
    cached = _cached_since(state.get("cache_dir"), float(state["started"]))  # type: ignore[arg-type]
    lines = [f"interrupted at {utc_now()}; the run did not finish (no leaderboard.csv in {out_dir})."]
    if cached is not None:
        lines.append(f"{cached} translation(s) finished in this run are in the cache {cached_path(state)}; "
                     "run the same command again to resume (cached batches are not translated again).")
    else:
        lines.append("Nothing was cached (the cache is off or not writable): a new run starts over.")
    try:
        marker = write_interrupted_marker(out_dir, "\n".join(lines))
        lines.append(f"(marker: {marker})")
    except OSError:
        pass  # the message matters more than the marker
    print("mtqe: " + " ".join(lines), file=sys.stderr)
    raise SystemExit(130)


def cached_path(state: dict[str, object]) -> Path:
    return Path(str(state["cache_dir"])) / "translations.sqlite"


def _cached_since(cache_dir: object, since: float) -> int | None:
    if not cache_dir:
        return None
    path = Path(str(cache_dir)) / "translations.sqlite"
    if not path.exists():
        return 0
    try:
        from mtqe.systems.cache import TranslationCache

        return TranslationCache(path, read_only=True).count_since(since)
    except MtqeError:
        return None


def _record_failure(exc: Exception, out_dir: Path, hydra_cfg: DictConfig) -> bool:
    """Write error.json; True when the caller should return (a multirun job: the sweep goes on)."""
    job_num = OmegaConf.select(hydra_cfg, "job.num", default=None)
    path = write_job_error(
        out_dir, exc, overrides=[str(o) for o in hydra_cfg.overrides.task], job_num=job_num
    )
    if hydra_cfg.mode != RunMode.MULTIRUN:
        return False
    if not isinstance(exc, MtqeError):
        log.error("job %s failed", job_num, exc_info=exc)  # the traceback, in the job's log file
    message = str(exc) if isinstance(exc, MtqeError) else f"{type(exc).__name__}: {exc}"
    print(f"mtqe: error: job {job_num} failed: {message} (recorded in {path}); the sweep goes on",
          file=sys.stderr)
    return True
