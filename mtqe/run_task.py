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
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from mtqe.conf_paths import source_checkout
from mtqe.console import ConsoleReporter, print_summary
from mtqe.errors import MtqeError
from mtqe.pipeline import execute, plan_run, resolved_config
from mtqe.report import utc_now, write_run_outputs
from mtqe.report.html import write_html_report
from mtqe.report.sweep import clear_job_error, write_job_error

log = logging.getLogger(__name__)


def run_task(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    clear_job_error(out_dir)  # an earlier attempt's failure is no longer the news
    try:
        _run(cfg, out_dir)
    except Exception as exc:  # noqa: BLE001 — recorded in error.json, then re-raised or the sweep goes on
        if _record_failure(exc, out_dir, hydra_cfg):
            return
        if isinstance(exc, MtqeError):
            # One line, even with --quiet: an error is never silent.
            print(f"mtqe: error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        raise


def _run(cfg: DictConfig, out_dir: Path) -> None:
    started = utc_now()
    reporter = ConsoleReporter(quiet=bool(cfg.get("quiet", False)))
    # The command line's overrides: a system.NAME.FIELD=... there wins over system_settings_by_type.
    plan = plan_run(cfg, overrides=[str(o) for o in HydraConfig.get().overrides.task])
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
