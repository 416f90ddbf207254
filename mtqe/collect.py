"""Merge the jobs of a sweep into one leaderboard: ``mtqe collect SWEEP_DIR``.

Also run by :class:`mtqe.hydra_callbacks.CollectSweep` at the end of ``mtqe run -m``.
Reads each finished job's ``results.json`` (:class:`~mtqe.results.RunResult`) and writes one
merged :class:`RunResult` to ``SWEEP_DIR/results.json``, then its views with the schema of a
single run (docs/outputs.md): ``segments.jsonl``, ``report.md``, ``sweep.json`` (the jobs and
how each ended), ``leaderboard.csv`` and, after it, ``report.html`` (:mod:`mtqe.report.html`).
It lives outside :mod:`mtqe.report` because it needs the metrics (their ``aggregate``).

What is kept and what is recomputed:

* per row (the job's own numbers): scores, signatures, bootstrap CIs, notes on the row;
* over the union of all jobs: paired tests vs the baseline and significance clusters, by
  :func:`mtqe.metrics.scoring.significance` (the function a run uses) on the per-segment
  sufficient statistics of each job, with the metric's ``aggregate`` rebuilt from the job's
  metric config (cheap: no model loads). Systems of different jobs are compared exactly as
  if one run had scored them all.

A system that appears in several jobs (e.g. ``community`` in each) is kept once when its
hypotheses are identical, else it becomes an error row. A job that failed or did not finish
becomes ``status=error`` rows for the systems its config selected.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from mtqe.config import StatsConfig
from mtqe.config_validation import to_typed
from mtqe.languages import normalize_lang
from mtqe.errors import MtqeError
from mtqe.io import atomic_write_json, atomic_write_jsonl, atomic_write_text, path_under
from mtqe.metrics.base import Metric
from mtqe.metrics.registry import build_metric, validate_metric_config
from mtqe.metrics.scoring import OtherRefs, significance
from mtqe.report.escape import md_text
from mtqe.report.html import write_html_report
from mtqe.report.leaderboard import leaderboard_csv
from mtqe.report.markdown import markdown_report
from mtqe.report.results_file import read_results, write_results
from mtqe.report.segments import segment_rows
from mtqe.report.sweep import CollectError, Job, find_jobs, read_json, unfinished_reason
from mtqe.results import RESULTS_FILE, DocumentTexts, RunResult, SystemResult

SWEEP_FILE = "sweep.json"
# Top-level settings that change what a row measures: jobs that differ in one cannot share
# a leaderboard (the metric and stats settings are checked separately).
ROW_MEANING_KEYS = ("unit", "exclude_low_confidence")

RowKey = tuple[str, str, str, str]  # document, src_lang, tgt_lang, system
TextKey = tuple[str, str, str]  # document, src_lang, tgt_lang


@dataclass(frozen=True)
class CollectedRow:
    """A leaderboard row and where it came from."""

    row: SystemResult
    job: Job
    hyp_hash: str | None = None  # sha256 of the hypotheses; None without output
    # The job's own paired tests and the hash of the baseline output they were computed
    # against: reused only where the union cannot recompute them (see _from_jobs).
    job_paired: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    job_baseline_hash: str | None = None
    conflict: bool = False  # two jobs produced different outputs for this row

    @property
    def key(self) -> RowKey:
        return (self.row.document, self.row.src_lang, self.row.tgt_lang, self.row.system)


@dataclass(frozen=True)
class SweepSummary:
    sweep_dir: Path
    jobs: list[Job]
    rows: int
    paths: dict[str, Path]

    @property
    def failed_jobs(self) -> list[Job]:
        return [j for j in self.jobs if j.status != "finished"]


@dataclass
class _Settings:
    """What every finished job must agree on for their rows to be comparable (filled job by job)."""

    metric_configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> config
    metric_source: dict[str, Job] = field(default_factory=dict)
    stats: dict[str, Any] | None = None
    stats_source: Job | None = None
    run_keys: dict[str, tuple[Any, Job]] = field(default_factory=dict)  # ROW_MEANING_KEYS: value, first job


# --------------------------------------------------------------------------- public API


def collect_sweep(sweep_dir: Path, *, out_dir: Path | None = None) -> SweepSummary:
    """Merge every job under ``sweep_dir`` and write the merged outputs to ``out_dir``
    (default: ``sweep_dir``). Raises :class:`CollectError` when jobs cannot be merged."""
    sweep_dir = Path(sweep_dir)
    out_dir = Path(out_dir) if out_dir is not None else sweep_dir
    jobs = find_jobs(sweep_dir)
    settings = _Settings()
    collected, texts, warnings = _collect_rows(jobs, sweep_dir, settings)
    stats_cfg = _stats_config(settings, jobs)
    metrics = _build_metrics(settings, jobs)
    rows = _recompute_significance(_merge_duplicates(collected), metrics, stats_cfg)
    result = RunResult(
        rows=tuple(c.row for c in rows),
        metric_names=tuple(metrics),
        metric_info={n: m.info for n, m in metrics.items()},
        baseline=stats_cfg.baseline,
        texts=tuple(texts.values()),
        warnings=tuple(dict.fromkeys(warnings)),
    )
    paths = _write(result, jobs, settings, stats_cfg, sweep_dir, out_dir)
    return SweepSummary(sweep_dir=sweep_dir, jobs=jobs, rows=len(rows), paths=paths)


def _collect_rows(
    jobs: list[Job], sweep_dir: Path, settings: _Settings
) -> tuple[list[CollectedRow], dict[TextKey, DocumentTexts], list[str]]:
    """Every job's rows in job order (before duplicates are merged), the texts, the warnings."""
    texts: dict[TextKey, DocumentTexts] = {}
    warnings: list[str] = []
    per_job: dict[int, list[CollectedRow]] = {}
    for job in jobs:
        if job.status == "finished":
            result = _load_finished_job(job, settings)
            per_job[job.num] = _job_rows(job, result)
            _merge_texts(texts, result.texts, job)
            warnings += result.warnings
    for job in jobs:  # after every finished job, whose texts give the failed rows their size
        if job.status != "finished":
            reason = job.error.error if job.error is not None else unfinished_reason(job, sweep_dir)
            per_job[job.num] = _error_rows(job, reason, texts)
            warnings.append(f"{job.label} {'failed' if job.status == 'failed' else 'did not finish'}: {reason}")
    # In job order, as one run of all the systems would list them.
    return [row for job in jobs for row in per_job[job.num]], texts, warnings


# --------------------------------------------------------------------------- loading a job


def _load_finished_job(job: Job, settings: _Settings) -> RunResult:
    config = read_json(job.dir / "run.json").get("config") or {}
    _check_settings(settings, job, config)
    try:
        result = read_results(job.dir / RESULTS_FILE)
    except MtqeError as exc:
        raise CollectError(f"{job.label}: {exc}") from None
    for row in result.rows:
        for name, res in row.metrics.items():
            if res.score is not None and res.stats is None:
                raise CollectError(
                    f"{job.dir / RESULTS_FILE}: {row.system} has a {name} score without per-segment statistics: "
                    f"significance cannot be recomputed; rerun {job.label}"
                )
    return result


def _job_rows(job: Job, result: RunResult) -> list[CollectedRow]:
    """The job's rows without their significance (recomputed over the union), keeping the
    job's own paired tests for the one case the union cannot recompute."""
    whole = [r for r in result.rows if r.subset == "all"]  # sweeps merge whole documents, not breakdowns
    hashes = {id(r): _hash(r.output.hypotheses) if r.output is not None else None for r in whole}
    rows = []
    for r in whole:
        base = next((b for b in whole if b.system == result.baseline and b.document == r.document
                     and b.pair == r.pair), None)
        rows.append(CollectedRow(
            row=replace(r, paired={}, ranks={}, significance_notes=()),
            job=job,
            hyp_hash=hashes[id(r)],
            job_paired=r.paired,
            job_baseline_hash=hashes[id(base)] if base is not None else None,
        ))
    return rows


def _merge_texts(into: dict[TextKey, DocumentTexts], new: tuple[DocumentTexts, ...], job: Job) -> None:
    """Jobs must have read the same document: same segments, same sources, same references."""
    for found in new:
        known = into.get(found.key)
        if known is None:
            into[found.key] = found
            continue
        doc, src, tgt = found.key
        if known.segment_ids != found.segment_ids or known.sources != found.sources:
            raise CollectError(
                f"{job.label} read a different version of {doc} {src}-{tgt} than the jobs before it "
                f"(segments or sources differ): references/, the alignment settings or the aligner changed "
                f"between jobs; collect jobs with the same corpus settings together"
            )
        for ref_id, stream in found.references.items():
            if ref_id in known.references and known.references[ref_id] != stream:
                raise CollectError(
                    f"{job.label} has a different reference text {ref_id!r} for {doc} {src}-{tgt} "
                    f"than the jobs before it; rerun the sweep"
                )
        into[found.key] = replace(known, references={**found.references, **known.references})


def _hash(hypotheses: tuple[str, ...]) -> str:
    return hashlib.sha256(json.dumps(list(hypotheses), ensure_ascii=False).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- failed jobs


def _error_rows(job: Job, reason: str, texts: dict[TextKey, DocumentTexts]) -> list[CollectedRow]:
    """One error row per document and system the failed job's config selected."""
    cfg = job.config
    src = _lang(OmegaConf.select(cfg, "pair.src_lang", default="?", throw_on_resolution_failure=False))
    tgt = _lang(OmegaConf.select(cfg, "pair.tgt_lang", default="?", throw_on_resolution_failure=False))
    documents = OmegaConf.select(cfg, "documents", default=None, throw_on_resolution_failure=False) or []
    systems = OmegaConf.select(cfg, "system", default=None, throw_on_resolution_failure=False) or {}
    rows = []
    for doc in documents:
        known = texts.get((str(doc), src, tgt))
        for name, scfg in systems.items():
            kind = "existing" if hasattr(scfg, "get") and scfg.get("type") == "existing" else "mt"
            rows.append(CollectedRow(
                row=SystemResult(
                    document=str(doc), src_lang=src, tgt_lang=tgt, system=str(name), kind=kind, status="error",
                    n_segments=len(known.segment_ids) if known else 0, error=reason,
                    notes=(f"from {job.label}",),  # where to look: its directory has the logs
                ),
                job=job,
            ))
    return rows


def _lang(code: Any) -> str:
    try:
        return normalize_lang(str(code))
    except MtqeError:
        return str(code)  # the job may have failed on exactly this code: show it as written


# --------------------------------------------------------------------------- merging


def _merge_duplicates(collected: list[CollectedRow]) -> list[CollectedRow]:
    merged: dict[RowKey, CollectedRow] = {}
    for new in collected:
        old = merged.get(new.key)
        merged[new.key] = new if old is None else _merge_pair(old, new)
    return list(merged.values())


def _merge_pair(old: CollectedRow, new: CollectedRow) -> CollectedRow:
    """The same (document, pair, system) from two jobs."""
    if old.conflict:
        return old
    if old.row.status == "ok" and new.row.status == "ok":
        if old.hyp_hash == new.hyp_hash:
            return old  # the same output (e.g. the community text in every job): keep it once
        return _conflict(old, new)
    if old.row.status == "ok":
        return _note_failure_elsewhere(old, new)
    if new.row.status == "ok":
        return _note_failure_elsewhere(new, old)
    return old


def _note_failure_elsewhere(ok: CollectedRow, failed: CollectedRow) -> CollectedRow:
    # A failed *job* is reported once, in the warnings; a system that failed inside a
    # finished job while it worked in another is worth a note on its row.
    if failed.job.status != "finished":
        return ok
    note = f"failed in {failed.job.label}: {failed.row.error}"
    return replace(ok, row=replace(ok.row, notes=(*ok.row.notes, note)))


def _conflict(old: CollectedRow, new: CollectedRow) -> CollectedRow:
    row = old.row
    error = (
        f"DuplicateSystemError: {row.system} produced different outputs in {old.job.label} and "
        f"{new.job.label} (hypotheses sha256 {old.hyp_hash[:12] if old.hyp_hash else '?'} vs "
        f"{new.hyp_hash[:12] if new.hyp_hash else '?'}); give each configuration its own system name"
    )
    return CollectedRow(
        row=SystemResult(
            document=row.document, src_lang=row.src_lang, tgt_lang=row.tgt_lang, system=row.system,
            kind=row.kind, status="error", n_segments=row.n_segments, error=error, source_text=row.source_text,
        ),
        job=old.job,
        conflict=True,
    )


# --------------------------------------------------------------------------- settings


def _check_settings(settings: _Settings, job: Job, config: Mapping[str, Any]) -> None:
    """Rows are comparable only when every job used the same metric and statistics settings."""
    for name, mcfg in (config.get("metric") or {}).items():
        known = settings.metric_configs.get(name)
        if known is None:
            settings.metric_configs[name] = dict(mcfg)
            settings.metric_source[name] = job
        elif known != dict(mcfg):
            raise CollectError(
                f"metric {name!r} is configured differently in {settings.metric_source[name].label} and "
                f"{job.label} ({_first_difference(known, dict(mcfg))}); their scores are not comparable: "
                f"give each configuration its own metric name, or collect the jobs separately"
            )
    stats = dict(config.get("stats") or {})
    if settings.stats is None:
        settings.stats, settings.stats_source = stats, job
    elif settings.stats != stats:
        raise CollectError(
            f"stats settings differ between {_label(settings.stats_source)} and {job.label} "
            f"({_first_difference(settings.stats, stats)}); significance over the union needs one "
            f"setting: collect the jobs separately"
        )
    for key in ROW_MEANING_KEYS:
        if key not in config:
            continue
        if key not in settings.run_keys:
            settings.run_keys[key] = (config[key], job)
        elif settings.run_keys[key][0] != config[key]:
            raise CollectError(
                f"{key} differs between {_label(settings.run_keys[key][1])} ({settings.run_keys[key][0]!r}) and "
                f"{job.label} ({config[key]!r}): their rows mean different things and one leaderboard cannot "
                f"hold both; collect the jobs separately (e.g. with --out)"
            )


def _label(job: Job | None) -> str:
    return job.label if job is not None else "?"


def _first_difference(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    key = next(k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k))
    return f"{key}: {a.get(key)!r} vs {b.get(key)!r}"


def _stats_config(settings: _Settings, jobs: list[Job]) -> StatsConfig:
    node: Any = settings.stats
    if node is None:  # no job finished: the failed jobs' configs still name the baseline
        node = OmegaConf.select(jobs[0].config, "stats", default=None, throw_on_resolution_failure=False) or {}
    return to_typed(StatsConfig, node, where="stats")


def _build_metrics(settings: _Settings, jobs: list[Job]) -> dict[str, Metric]:
    """Metric instances for ``aggregate`` and metadata; building one loads no model."""
    if settings.metric_configs:
        return {
            name: build_metric(validate_metric_config(name, node)) for name, node in settings.metric_configs.items()
        }
    # No job finished: keep the columns the jobs were configured with, skipping a metric
    # config that is itself broken (it may be why the jobs failed; their errors say so).
    metrics: dict[str, Metric] = {}
    for job in jobs:
        for name, node in (OmegaConf.select(job.config, "metric", default=None) or {}).items():
            if str(name) not in metrics:
                try:
                    metrics[str(name)] = build_metric(validate_metric_config(str(name), node))
                except MtqeError:
                    continue
    return metrics


# --------------------------------------------------------------------------- significance


def _recompute_significance(
    rows: list[CollectedRow], metrics: Mapping[str, Metric], cfg: StatsConfig
) -> list[CollectedRow]:
    """Paired tests vs the baseline and clusters, per (document, pair), over all jobs' rows,
    by the run's own :func:`~mtqe.metrics.scoring.significance` (the bootstrap CIs stay as
    each job computed them), so a merged sweep equals one run of all its systems."""
    groups: dict[TextKey, list[int]] = {}
    for i, c in enumerate(rows):
        groups.setdefault((c.row.document, c.row.src_lang, c.row.tgt_lang), []).append(i)
    out = list(rows)
    for members in groups.values():
        group = [rows[i] for i in members]
        new_rows = significance([c.row for c in group], metrics, cfg, other_refs=_from_jobs(group, cfg))
        for i, c, row in zip(members, group, new_rows):
            out[i] = replace(c, row=row)
    return out


def _from_jobs(group: list[CollectedRow], cfg: StatsConfig):
    """A row scored on other references than the baseline (a leave-one-out human text): the
    test needs it re-scored on the baseline's references, which only a job that ran both did."""
    by_system = {c.row.system: c for c in group}

    def other_refs(row: SystemResult, base: SystemResult, name: str, metric: Metric,
                   refs: tuple[str, ...]) -> OtherRefs:
        if metric.info.needs_reference and not refs:
            return None
        c = by_system[row.system]
        if c.job_baseline_hash is not None and c.job_baseline_hash == by_system[base.system].hyp_hash:
            return c.job_paired.get(name)
        result = row.metrics.get(name)
        if result is None or result.score is None:
            return None
        return (f"{name}: no paired test: scored on {'+'.join(row.references) or 'no reference'}, the "
                f"baseline on {'+'.join(refs)}, and no job ran both; put {cfg.baseline} in the same job")

    return other_refs


# --------------------------------------------------------------------------- writing


def _write(
    result: RunResult,
    jobs: list[Job],
    settings: _Settings,
    stats_cfg: StatsConfig,
    sweep_dir: Path,
    out_dir: Path,
) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: path_under(out_dir, file) for name, file in (
        ("segments", "segments.jsonl"), ("sweep", SWEEP_FILE), ("report", "report.md"),
        ("leaderboard", "leaderboard.csv"),
    )}
    # First, as in a run: every other file is a view of it.
    paths["results"] = write_results(result, out_dir)
    atomic_write_jsonl(paths["segments"], segment_rows(result))
    atomic_write_json(paths["sweep"], _sweep_info(jobs, settings, stats_cfg, sweep_dir, result))
    atomic_write_text(paths["report"], markdown_report(result) + _jobs_markdown(jobs))
    # Last, as for a run: its presence means the merge finished.
    atomic_write_text(paths["leaderboard"], leaderboard_csv(result))
    # Then, as after a run, the HTML report, built from the results just written.
    paths["html"] = write_html_report(out_dir)
    return paths


def _sweep_info(
    jobs: list[Job], settings: _Settings, stats_cfg: StatsConfig, sweep_dir: Path, result: RunResult
) -> dict[str, Any]:
    return {
        "mtqe_sweep_format": 1,
        "sweep_dir": str(sweep_dir.resolve()),
        "rows": len(result.rows),
        "stats": OmegaConf.to_container(OmegaConf.structured(stats_cfg)),
        "metrics": settings.metric_configs,
        # The metrics' registration metadata (also in results.json), for readers of this file.
        "metric_info": {n: dataclasses.asdict(i) for n, i in result.metric_info.items()},
        "warnings": list(result.warnings),
        "jobs": [
            {
                "num": j.num,
                "dir": str(j.dir.relative_to(sweep_dir)) if j.dir.is_relative_to(sweep_dir) else str(j.dir),
                "overrides": list(j.overrides),
                "status": j.status,
                "error": j.error.error if j.error else None,
                "launcher_job_id": j.hydra_job_id,
            }
            for j in jobs
        ],
    }


def _jobs_markdown(jobs: list[Job]) -> str:
    lines = ["## Jobs", "", "| job | overrides | status |", "|---|---|---|"]
    for j in jobs:
        overrides = md_text(" ".join(j.overrides)) or "—"
        status = j.status if j.error is None else f"failed: {j.error.error}"
        lines.append(f"| {j.num} | {overrides} | {md_text(status)} |")
    return "\n".join(lines) + "\n"
