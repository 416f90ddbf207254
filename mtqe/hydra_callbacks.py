"""Hydra callbacks of ``mtqe run`` (registered under ``hydra.callbacks`` in conf/config.yaml).

:class:`CollectSweep` merges a multirun's jobs into one leaderboard as soon as the sweep
ends, the same as ``mtqe collect SWEEP_DIR`` (:mod:`mtqe.collect`).

Hydra turns an exception raised in a callback into a warning, so a problem here would go
unnoticed; like ``run_task``, the callback therefore prints one line and ends the process
with a non-zero status (``SystemExit``) when the merge fails or a job failed. It runs in the
process that launched the sweep (after all jobs returned, with either launcher); when that
process dies first, run ``mtqe collect`` by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from mtqe.errors import MtqeError

EXIT_JOB_FAILED = 1
EXIT_COLLECT_FAILED = 2


class CollectSweep(Callback):
    """At the end of a multirun: write SWEEP_DIR/leaderboard.csv, segments.jsonl, report.md."""

    def __init__(self, *, enabled: bool = True, fail_on_job_errors: bool = True) -> None:
        self.enabled = enabled
        self.fail_on_job_errors = fail_on_job_errors

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if not self.enabled:
            return
        # Imported here: numpy, sacrebleu and the metrics load only when a sweep ends.
        from mtqe.collect import collect_sweep

        sweep_dir = Path(str(config.hydra.sweep.dir))
        try:
            summary = collect_sweep(sweep_dir)
        except MtqeError as exc:
            print(f"mtqe: error: merging the sweep in {sweep_dir} failed: {exc}", file=sys.stderr)
            raise SystemExit(EXIT_COLLECT_FAILED) from None
        failed = summary.failed_jobs
        if not config.get("quiet", False) or failed:
            print(
                f"mtqe: merged {len(summary.jobs)} jobs ({len(failed)} failed) into {summary.paths['leaderboard']}",
                file=sys.stderr,
            )
        for job in failed:
            print(f"mtqe: error: {job.label}: {job.error.error if job.error else 'did not finish'}", file=sys.stderr)
        if failed and self.fail_on_job_errors:
            raise SystemExit(EXIT_JOB_FAILED)
