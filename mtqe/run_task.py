"""The Hydra task behind ``mtqe run``: plan, execute, write, summarise."""

from __future__ import annotations

import sys
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from mtqe.console import ConsoleReporter, print_summary
from mtqe.errors import MtqeError
from mtqe.pipeline import execute, plan_run, resolved_config
from mtqe.report import utc_now, write_run_outputs

PROJECT_DIR = Path(__file__).resolve().parents[1]


def run_task(cfg: DictConfig) -> None:
    started = utc_now()
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    reporter = ConsoleReporter(quiet=bool(cfg.get("quiet", False)))
    try:
        plan = plan_run(cfg)
        reporter.info(
            f"mtqe: {', '.join(plan.run.documents)} {plan.src_lang}→{plan.tgt_lang}; systems: "
            f"{', '.join(plan.systems)}; metrics: {', '.join(plan.metrics)}; output: {out_dir}"
        )
        with reporter:
            result = execute(plan, reporter=reporter)
        paths = write_run_outputs(
            result, out_dir, config=resolved_config(cfg), project_dir=PROJECT_DIR, started=started
        )
    except MtqeError as exc:
        # One line, even with --quiet: an error is never silent.
        print(f"mtqe: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print_summary(reporter.console, result, out_dir)
    reporter.console.print(f"leaderboard: {paths['leaderboard']}")
