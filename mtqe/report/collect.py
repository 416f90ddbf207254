"""Merge the jobs of a sweep into one leaderboard: ``mtqe collect SWEEP_DIR``.

Also run by :class:`mtqe.hydra_callbacks.CollectSweep` at the end of ``mtqe run -m``.
Writes ``SWEEP_DIR/leaderboard.csv``, ``segments.jsonl`` and ``report.md`` with the schema
of a single run (docs/outputs.md), plus ``sweep.json`` (the jobs and how each ended) and,
after the leaderboard, ``report.html`` (:mod:`mtqe.report.html`).

What is kept and what is recomputed:

* per row (the job's own numbers): scores, signatures, bootstrap CIs, notes on the row;
* over the union of all jobs: paired tests vs the baseline and significance clusters,
  from the per-segment sufficient statistics in each job's ``segments.jsonl``, with the
  metric's ``aggregate`` rebuilt from the job's metric config (cheap: no model loads).
  Systems of different jobs are compared exactly as if one run had scored them all.

A system that appears in several jobs (e.g. ``community`` in each) is kept once when its
hypotheses are identical, else it becomes an error row. A job that failed or did not finish
becomes ``status=error`` rows for the systems its config selected.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from mtqe.config import StatsConfig
from mtqe.config_validation import to_typed
from mtqe.languages import normalize_lang
from mtqe.errors import MtqeError
from mtqe.io import atomic_write_json, atomic_write_jsonl, atomic_write_text
from mtqe.metrics import stats as st
from mtqe.metrics.base import Metric, MetricResult
from mtqe.metrics.registry import build_metric, validate_metric_config
from mtqe.metrics.scoring import assign_significance_ranks, paired_tests
from mtqe.report.html import write_html_report
from mtqe.report.leaderboard import FIXED_COLUMNS, leaderboard_csv
from mtqe.report.markdown import markdown_report
from mtqe.report.segments import segment_rows
from mtqe.report.sweep import CollectError, Job, find_jobs, read_json, unfinished_reason
from mtqe.results import RunResult, SystemResult
from mtqe.systems.base import SystemOutput

NOTE_SEPARATOR = " | "  # how mtqe.report.leaderboard joins a row's notes
SEGMENT_KEYS = ("document", "src_lang", "tgt_lang", "system", "segment", "index", "source", "hypothesis",
                "references", "scores")  # "stats" is checked where a score needs it
SWEEP_FILE = "sweep.json"
# Top-level settings that change what a row measures: jobs that differ in one cannot share
# a leaderboard (the metric and stats settings are checked separately).
ROW_MEANING_KEYS = ("unit", "exclude_low_confidence")

RowKey = tuple[str, str, str, str]  # document, src_lang, tgt_lang, system
TextKey = tuple[str, str, str]  # document, src_lang, tgt_lang


@dataclass
class CollectedRow:
    """A leaderboard row and where it came from."""

    row: SystemResult
    job: Job
    hyp_hash: str | None = None  # sha256 of the hypotheses; None without output
    # The job's own paired tests and the hash of the baseline output they were computed
    # against: reused only where the union cannot recompute them (see _paired_vs_baseline).
    job_paired: dict[str, dict[str, Any]] = field(default_factory=dict)
    job_baseline_hash: str | None = None
    conflict: bool = False  # two jobs produced different outputs for this row

    @property
    def key(self) -> RowKey:
        return (self.row.document, self.row.src_lang, self.row.tgt_lang, self.row.system)


@dataclass
class DocumentTexts:
    """Segment ids, sources and reference texts of one (document, pair), shared by all jobs."""

    segment_ids: list[str]
    sources: list[str]
    references: dict[str, list[str]]


@dataclass
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
    """What every finished job must agree on for their rows to be comparable."""

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
    rows = _merge_duplicates(collected)
    stats_cfg = _stats_config(settings, jobs)
    metrics = _build_metrics(settings, jobs)
    _recompute_significance(rows, metrics, stats_cfg)
    result = RunResult(
        rows=[c.row for c in rows],
        metric_names=list(metrics),
        metric_info={n: m.info for n, m in metrics.items()},
        baseline=stats_cfg.baseline,
        segment_ids={}, sources={}, references={},  # per (document, pair): see _segments
        warnings=list(dict.fromkeys(warnings)),
    )
    paths = _write(result, rows, texts, jobs, settings, stats_cfg, sweep_dir, out_dir)
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
            per_job[job.num], job_texts, job_warnings = _load_finished_job(job, settings)
            _merge_texts(texts, job_texts, job)
            warnings += job_warnings
    for job in jobs:  # after every finished job, whose texts give the failed rows their size
        if job.status != "finished":
            reason = job.error.error if job.error is not None else unfinished_reason(job, sweep_dir)
            per_job[job.num] = _error_rows(job, reason, texts)
            warnings.append(f"{job.label} {'failed' if job.status == 'failed' else 'did not finish'}: {reason}")
    # In job order, as one run of all the systems would list them.
    return [row for job in jobs for row in per_job[job.num]], texts, warnings


# --------------------------------------------------------------------------- loading a job


def _load_finished_job(
    job: Job, settings: _Settings
) -> tuple[list[CollectedRow], dict[TextKey, DocumentTexts], list[str]]:
    info = read_json(job.dir / "run.json")
    config = info.get("config") or {}
    _check_settings(settings, job, config)
    metric_names = list(info.get("metrics") or config.get("metric") or {})
    segments = _read_segments(job.dir / "segments.jsonl")
    by_row: dict[RowKey, list[dict[str, Any]]] = {}
    for seg in segments:
        by_row.setdefault((seg["document"], seg["src_lang"], seg["tgt_lang"], seg["system"]), []).append(seg)
    for segs in by_row.values():
        segs.sort(key=lambda s: s["index"])
    system_configs = config.get("system") or {}
    rows = [
        _row_from_job(job, cells, info, by_row, metric_names, system_configs)
        for cells in _read_leaderboard(job.dir / "leaderboard.csv")
    ]
    baseline = (config.get("stats") or {}).get("baseline")
    for c in rows:
        c.job_baseline_hash = next(
            (b.hyp_hash for b in rows if b.row.system == baseline and b.row.document == c.row.document
             and b.row.pair == c.row.pair), None,
        )
    return rows, _texts_of(by_row, job), [str(w) for w in info.get("warnings") or []]


def _row_from_job(
    job: Job,
    cells: dict[str, str],
    info: dict[str, Any],
    by_row: dict[RowKey, list[dict[str, Any]]],
    metric_names: list[str],
    system_configs: Mapping[str, Any],
) -> CollectedRow:
    key: RowKey = (cells["document"], cells["src_lang"], cells["tgt_lang"], cells["system"])
    row = SystemResult(
        document=key[0], src_lang=key[1], tgt_lang=key[2], system=key[3], kind=cells["kind"],
        status=cells["status"], n_segments=int(cells["n_segments"] or 0),
        references=tuple(r for r in cells["references"].split("+") if r),
        notes=_own_notes(cells.get("notes", ""), metric_names),
        error=cells.get("error") or None,
    )
    entry = (info.get("systems") or {}).get(f"{key[0]}/{key[1]}-{key[2]}/{key[3]}", {})
    segs = by_row.get(key, [])
    collected = CollectedRow(row=row, job=job)
    if row.status != "ok":
        return collected
    if len(segs) != row.n_segments:
        raise CollectError(
            f"{job.dir}: segments.jsonl has {len(segs)} segments for {'/'.join(key)} but leaderboard.csv "
            f"says {row.n_segments}; the job's outputs are inconsistent, rerun it"
        )
    hypotheses = tuple(s["hypothesis"] for s in segs)
    system_cfg = system_configs.get(key[3]) or {}
    row.output = SystemOutput(
        system=key[3], hypotheses=hypotheses, kind=row.kind,
        text_id=system_cfg.get("text") if row.kind == "existing" else None,
        stats=entry.get("stats") or {},
    )
    collected.hyp_hash = _hash(hypotheses)
    for name, m in (entry.get("metrics") or {}).items():
        row.metrics[name] = _metric_result(job, key, name, m, segs)
        if m.get("ci"):
            row.intervals[name] = st.ConfidenceInterval(**m["ci"])
        if m.get("paired_vs_baseline"):
            collected.job_paired[name] = {
                test: st.PairedTestResult(**result) for test, result in m["paired_vs_baseline"].items()
            }
    return collected


def _metric_result(
    job: Job, key: RowKey, name: str, m: Mapping[str, Any], segs: list[dict[str, Any]]
) -> MetricResult:
    if m.get("score") is None:
        return MetricResult(metric=name, score=None, signature=m.get("signature", ""),
                            unavailable=m.get("unavailable"), details=m.get("details") or {})
    if any("stats" not in s for s in segs):
        raise CollectError(
            f"{job.dir / 'segments.jsonl'} has no per-segment `stats` (written by an older mtqe): "
            f"significance cannot be recomputed; rerun {job.label} with this version"
        )
    rows = [s["stats"].get(name) for s in segs]
    if any(r is None for r in rows):
        raise CollectError(
            f"{job.dir / 'segments.jsonl'}: {'/'.join(key)} has a {name} score but segments without "
            f"{name} statistics; rerun {job.label}"
        )
    scores = [s["scores"].get(name) for s in segs]
    return MetricResult(
        metric=name,
        score=float(m["score"]),
        signature=m.get("signature", ""),
        segment_scores=None if any(x is None for x in scores) else tuple(float(x) for x in scores),
        stats=np.asarray(rows, dtype=np.float64),
        unavailable=m.get("unavailable"),
        details=m.get("details") or {},
    )


def _own_notes(cell: str, metric_names: list[str]) -> list[str]:
    """The row's notes without those the leaderboard derives from metrics and paired tests
    (``"<metric>: …"``, ``"no output: see error"``): they are regenerated after the merge."""
    prefixes = tuple(f"{m}: " for m in metric_names)
    return [n for n in cell.split(NOTE_SEPARATOR) if n and not n.startswith(prefixes) and n != "no output: see error"]


def _texts_of(by_row: dict[RowKey, list[dict[str, Any]]], job: Job) -> dict[TextKey, DocumentTexts]:
    texts: dict[TextKey, DocumentTexts] = {}
    for (doc, src, tgt, _system), segs in by_row.items():
        found = DocumentTexts([s["segment"] for s in segs], [s["source"] for s in segs], {})
        for s in segs:
            for ref_id in s["references"]:
                found.references.setdefault(ref_id, [])
        for ref_id, stream in found.references.items():
            stream.extend(s["references"][ref_id] for s in segs)
        _merge_texts(texts, {(doc, src, tgt): found}, job)
    return texts


def _merge_texts(into: dict[TextKey, DocumentTexts], new: dict[TextKey, DocumentTexts], job: Job) -> None:
    """Jobs must have read the same document: same segments, same sources, same references."""
    for key, found in new.items():
        known = into.get(key)
        if known is None:
            into[key] = DocumentTexts(list(found.segment_ids), list(found.sources), dict(found.references))
            continue
        if known.segment_ids != found.segment_ids or known.sources != found.sources:
            raise CollectError(
                f"{job.label} read a different version of {key[0]} {key[1]}-{key[2]} than the jobs before it "
                f"(segments or sources differ): references/, the alignment settings or the aligner changed "
                f"between jobs; collect jobs with the same corpus settings together"
            )
        for ref_id, stream in found.references.items():
            if ref_id in known.references and known.references[ref_id] != stream:
                raise CollectError(
                    f"{job.label} has a different reference text {ref_id!r} for {key[0]} {key[1]}-{key[2]} "
                    f"than the jobs before it; rerun the sweep"
                )
            known.references.setdefault(ref_id, stream)


def _read_leaderboard(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            header = list(reader.fieldnames or [])
    except (OSError, csv.Error) as exc:
        raise CollectError(f"{path}: cannot read it ({exc}); rerun the job") from None
    missing = [c for c in (*FIXED_COLUMNS, "notes", "error") if c not in header]
    if missing:
        raise CollectError(f"{path}: not an mtqe leaderboard (no column {', '.join(missing)}); rerun the job")
    return rows


def _read_segments(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CollectError(f"{path}: cannot read it ({exc}); rerun the job") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise CollectError(f"{path}:{number}: not JSON ({exc}); rerun the job") from None
        missing = [k for k in SEGMENT_KEYS if not isinstance(row, dict) or k not in row]
        if missing:
            raise CollectError(f"{path}:{number}: no {', '.join(missing)}; rerun the job")
        rows.append(row)
    return rows


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
                    notes=[f"from {job.label}"],  # where to look: its directory has the logs
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
        _note_failure_elsewhere(old, new)
        return old
    if new.row.status == "ok":
        _note_failure_elsewhere(new, old)
        return new
    return old


def _note_failure_elsewhere(ok: CollectedRow, failed: CollectedRow) -> None:
    # A failed *job* is reported once, in the warnings; a system that failed inside a
    # finished job while it worked in another is worth a note on its row.
    if failed.job.status == "finished":
        ok.row.notes.append(f"failed in {failed.job.label}: {failed.row.error}")


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
            kind=row.kind, status="error", n_segments=row.n_segments, error=error,
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


def _recompute_significance(rows: list[CollectedRow], metrics: Mapping[str, Metric], cfg: StatsConfig) -> None:
    """Paired tests vs the baseline and clusters, per (document, pair), over all jobs' rows.

    Mirrors :func:`mtqe.metrics.scoring.add_statistics` (without the bootstrap CIs, which
    stay as each job computed them) with its :func:`~mtqe.metrics.scoring.paired_tests` and
    :func:`~mtqe.metrics.scoring.assign_significance_ranks`, so a merged sweep equals one run
    of all its systems.
    """
    groups: dict[TextKey, list[CollectedRow]] = {}
    for c in rows:
        c.row.paired.clear()
        c.row.ranks.clear()
        if c.row.status == "ok":
            groups.setdefault((c.row.document, c.row.src_lang, c.row.tgt_lang), []).append(c)
    for group in groups.values():
        for name, metric in metrics.items():
            _paired_vs_baseline(group, name, metric, cfg)
            assign_significance_ranks([c.row for c in group], name, metric, cfg)


def _paired_vs_baseline(group: list[CollectedRow], name: str, metric: Metric, cfg: StatsConfig) -> None:
    base = next((c for c in group if c.row.system == cfg.baseline), None)
    if base is None:
        return
    base_result = base.row.metrics.get(name)
    if base_result is None or base_result.stats is None:
        for c in group:
            result = c.row.metrics.get(name)
            if c is not base and result is not None and result.score is not None:
                c.row.notes.append(f"{name}: no paired test, baseline {cfg.baseline!r} has no {name} score")
        return
    refs = base.row.references
    for c in group:
        if c is base or c.row.output is None:
            continue
        result = c.row.metrics.get(name)
        if c.row.references == refs:
            if result is None or result.stats is None:
                continue
            c.row.paired[name] = paired_tests(base_result.stats, result.stats, metric, cfg)
            continue
        if metric.info.needs_reference and not refs:
            continue
        # Scored on other references than the baseline (a leave-one-out human text): the test
        # needs this row re-scored on the baseline's references, which only its job could do.
        if c.job_baseline_hash is not None and c.job_baseline_hash == base.hyp_hash:
            if name not in c.job_paired:
                continue
            c.row.paired[name] = c.job_paired[name]
        else:
            if result is not None and result.score is not None:
                c.row.notes.append(
                    f"{name}: no paired test: scored on {'+'.join(c.row.references) or 'no reference'}, the "
                    f"baseline on {'+'.join(refs)}, and no job ran both; put {cfg.baseline} in the same job"
                )
            continue
        c.row.notes.append(f"{name}: paired test on the baseline's references ({'+'.join(refs)})")


# --------------------------------------------------------------------------- writing


def _write(
    result: RunResult,
    rows: list[CollectedRow],
    texts: dict[TextKey, DocumentTexts],
    jobs: list[Job],
    settings: _Settings,
    stats_cfg: StatsConfig,
    sweep_dir: Path,
    out_dir: Path,
) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / file for name, file in (
        ("segments", "segments.jsonl"), ("sweep", SWEEP_FILE), ("report", "report.md"),
        ("leaderboard", "leaderboard.csv"),
    )}
    atomic_write_jsonl(paths["segments"], _segments(result, rows, texts))
    atomic_write_json(paths["sweep"], _sweep_info(jobs, settings, stats_cfg, sweep_dir, len(rows), result))
    atomic_write_text(paths["report"], markdown_report(result) + _jobs_markdown(jobs))
    # Last, as for a run: its presence means the merge finished.
    atomic_write_text(paths["leaderboard"], leaderboard_csv(result))
    # Then, as after a run, the HTML report, built from the files just written.
    paths["html"] = write_html_report(out_dir)
    return paths


def _segments(result: RunResult, rows: list[CollectedRow], texts: dict[TextKey, DocumentTexts]) -> list[dict[str, Any]]:
    """segments.jsonl rows, written per (document, pair): each pair has its own sources."""
    out: list[dict[str, Any]] = []
    for key, doc_texts in texts.items():
        part = RunResult(
            rows=[c.row for c in rows if (c.row.document, c.row.src_lang, c.row.tgt_lang) == key],
            metric_names=result.metric_names, metric_info=result.metric_info, baseline=result.baseline,
            segment_ids={key[0]: doc_texts.segment_ids}, sources={key[0]: doc_texts.sources},
            references={key[0]: doc_texts.references},
        )
        out += segment_rows(part)
    return out


def _sweep_info(
    jobs: list[Job], settings: _Settings, stats_cfg: StatsConfig, sweep_dir: Path, n_rows: int, result: RunResult
) -> dict[str, Any]:
    return {
        "mtqe_sweep_format": 1,
        "sweep_dir": str(sweep_dir.resolve()),
        "rows": n_rows,
        "stats": OmegaConf.to_container(OmegaConf.structured(stats_cfg)),
        "metrics": settings.metric_configs,
        # What report.html needs of run.json, which a sweep directory does not have.
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
        overrides = " ".join(f"`{o}`" for o in j.overrides) or "—"
        status = j.status if j.error is None else f"failed: {j.error.error}"
        lines.append(f"| {j.num} | {overrides} | {status.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
