"""The run: plan (validate everything, load nothing) → produce outputs → score → write.

``plan_run`` turns a composed Hydra config into typed configs and checks documents,
languages, systems and metrics, so a bad config fails in a second with one clear message
before any model loads. ``execute`` does the work and returns a :class:`RunResult`;
:mod:`mtqe.report` writes it.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from mtqe.cache_paths import default_cache_dir
from mtqe.config import RunConfig, StatsConfig
from mtqe.config_validation import to_typed
from mtqe.corpus.align.embeddings import resolve_embedder
from mtqe.corpus.align.report import prepare_documents
from mtqe.corpus.align.sentences import LOW_CONFIDENCE
from mtqe.languages import normalize_lang
from mtqe.corpus.loader import load_parallel_document
from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.model import Manifest, ParallelDocument
from mtqe.errors import ConfigError, MtqeError
from mtqe.metrics.base import Metric
from mtqe.metrics.configs import MetricConfig
from mtqe.metrics.registry import build_metric, validate_metric_config
from mtqe.metrics.scoring import STEPS_PER_METRIC, add_statistics, score_row, subset_count, subset_rows
from mtqe.results import DocumentTexts, RunResult, SystemResult
from mtqe.systems.base import NoProgress, Progress, System, SystemOutput
from mtqe.systems.cache import TranslationCache
from mtqe.systems.configs import SystemConfig, supports_pair
from mtqe.systems.registry import build_system, validate_system_config
from mtqe.systems.text_systems import text_systems
from mtqe.systems.type_settings import (
    apply_type_settings,
    check_type_settings,
    command_line_fields,
)

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class RunPlan:
    run: RunConfig
    manifest: Manifest
    src_lang: str
    tgt_lang: str
    systems: dict[str, SystemConfig]
    metrics: dict[str, MetricConfig]
    cache_dir: Path | None  # translation and score caches; None: caching off
    warnings: tuple[str, ...] = ()
    # system -> the system_settings_by_type values merged into its config ({"dtype": "bfloat16", ...})
    type_settings: dict[str, dict[str, Any]] = field(default_factory=dict)


class Reporter:
    """What the pipeline tells the user while it works (console, progress); silent by default."""

    def info(self, message: str) -> None:
        log.info(message)

    def warning(self, message: str) -> None:
        log.warning(message)

    def progress(self, label: str, total: int) -> Progress:
        return NoProgress()

    def done(self, label: str) -> None:
        pass


def plan_run(cfg: DictConfig | RunConfig, *, overrides: Sequence[str] = (), preflight: bool = True) -> RunPlan:
    """Typed, checked configs of a run. ``overrides``: the command line's Hydra overrides
    (``overrides.task``); a ``system.NAME.FIELD=...`` among them wins over ``system_settings_by_type``.

    Every value is checked (config ``__post_init__``), then every system and metric is built
    (loading nothing) and preflighted for the pair on this machine (local paths, device,
    tokenizer dependencies), so a config that cannot run fails here. ``preflight=False`` skips
    the machine checks: the plan of a job meant for another machine (a GPU node).
    """
    run = cfg if isinstance(cfg, RunConfig) else to_typed(RunConfig, cfg, where="")
    src, tgt = normalize_lang(run.pair.src_lang), normalize_lang(run.pair.tgt_lang)
    if not run.documents:
        raise ConfigError("no document selected: set `documents=[jpus-2022]`")
    # No references_dir: the bundled manifest with ./references/manifest.yaml on top.
    manifest = load_manifest(run.references_dir or None)
    for doc_id in run.documents:
        if doc_id not in manifest.documents:
            where = run.references_dir or "the bundled references and ./references/"
            raise ConfigError(
                f"unknown document {doc_id!r} (in {where}: {', '.join(sorted(manifest.documents))}); "
                f"add it with `mtqe corpus add`"
            )
    systems, type_settings = _typed_systems(run, overrides)
    # Existing texts of the documents are systems without YAML (existing_systems: all | none | [names]).
    systems.update(text_systems(manifest, run.documents, src, tgt, systems, _plain(run.existing_systems)))
    if not systems:
        raise ConfigError("no system selected: choose some, e.g. `system=[community,gemma-3-270m]`")
    for name, scfg in systems.items():
        if not supports_pair(scfg, src, tgt):
            raise ConfigError(
                f"system {name!r} does not support {src}-{tgt} (it supports: {', '.join(scfg.pairs)}); "
                f"drop it or choose another pair"
            )
    metrics = {name: validate_metric_config(name, node) for name, node in run.metric.items()}
    warnings = _preflight(systems, metrics, src, tgt) if preflight else []
    if run.stats.baseline not in systems:
        warnings.append(
            f"stats.baseline={run.stats.baseline!r} is not among the systems ({', '.join(systems)}): "
            "no paired tests; set stats.baseline to one of them"
        )
    cache_dir = None
    if run.use_cache:
        cache_dir = Path(run.cache_dir).expanduser() if run.cache_dir else default_cache_dir()
    return RunPlan(run, manifest, src, tgt, systems, metrics, cache_dir, tuple(warnings), type_settings)


def _typed_systems(
    run: RunConfig, overrides: Sequence[str]
) -> tuple[dict[str, SystemConfig], dict[str, dict[str, Any]]]:
    """Each system's typed config, with ``system_settings_by_type`` merged in (and what it set)."""
    by_type = check_type_settings(run.system_settings_by_type)
    from_command_line = command_line_fields(overrides, run.system)
    systems: dict[str, SystemConfig] = {}
    type_settings: dict[str, dict[str, Any]] = {}
    for name, node in run.system.items():
        if isinstance(node, Mapping):
            node, applied = apply_type_settings(node, by_type, keep=from_command_line.get(name, ()))
            if applied:
                type_settings[name] = applied
        systems[name] = validate_system_config(name, node)
    return systems, type_settings


def _preflight(
    systems: Mapping[str, SystemConfig], metrics: Mapping[str, MetricConfig], src: str, tgt: str
) -> list[str]:
    """Build every system and metric (constructors load nothing) and run its checks for the pair."""
    warnings: list[str] = []
    for name, scfg in systems.items():
        system = build_system(scfg, cache=None)
        try:
            warnings += system.preflight(src, tgt)
        except MtqeError as exc:  # say which system (a backend's message names only the value)
            raise type(exc)(f"system.{name}: {exc}") from None
        finally:
            system.close()
    for mcfg in metrics.values():
        metric = build_metric(mcfg)
        try:
            warnings += metric.preflight(src, tgt)
        finally:
            metric.close()
    return warnings


def _plain(value: Any) -> Any:
    """A list from an OmegaConf ListConfig (``existing_systems=[a,b]``), other values unchanged."""
    return OmegaConf.to_object(value) if OmegaConf.is_config(value) else value


def _produce(system: System, doc: ParallelDocument, reporter: Reporter) -> SystemResult:
    row = SystemResult(
        document=doc.document, src_lang=doc.src_lang, tgt_lang=doc.tgt_lang, system=system.name,
        kind=system.kind, status="ok", n_segments=len(doc.segments), source_text=doc.source.text_id,
    )
    label = f"{system.name} {doc.document} {doc.src_lang}→{doc.tgt_lang}"
    tick = reporter.progress(label, len(doc.segments) if system.kind == "existing" else 0)
    try:
        output = system.produce(doc, progress=tick)
        _check_output(output, doc)
        return replace(row, output=output, notes=(*row.notes, *_empty_output_notes(output, doc)))
    except Exception as exc:  # noqa: BLE001 — a failed system is a row with its error, not a crash
        error = f"{type(exc).__name__}: {exc}"
        reporter.warning(f"{system.name} failed on {doc.document}: {error}")
        if not isinstance(exc, MtqeError):
            log.error("traceback for %s:\n%s", system.name, traceback.format_exc())
        return replace(row, status="error", error=error)
    finally:
        reporter.done(label)


def _empty_output_notes(output: SystemOutput, doc: ParallelDocument) -> list[str]:
    """An empty hypothesis for a non-empty source is scored as empty; say how many there are."""
    empty = [s.seg_id for s, hyp in zip(doc.segments, output.hypotheses) if s.source.strip() and not hyp.strip()]
    if not empty:
        return []
    shown = ", ".join(empty[:5]) + (", …" if len(empty) > 5 else "")
    return [f"{len(empty)} empty hypothesis segment(s) scored as empty ({shown})"]


def _check_output(output: SystemOutput, doc: ParallelDocument) -> None:
    if len(output.hypotheses) != len(doc.segments):
        raise MtqeError(
            f"{output.system} produced {len(output.hypotheses)} outputs for {len(doc.segments)} segments"
        )


def execute(plan: RunPlan, *, reporter: Reporter | None = None) -> RunResult:
    reporter = reporter or Reporter()
    for warning in plan.warnings:
        reporter.warning(warning)
    timings: dict[str, float] = {}
    cache = TranslationCache(plan.cache_dir / "translations.sqlite") if plan.cache_dir else None
    t0 = time.perf_counter()
    # The embedder loads its model only when an n:m alignment needs it (never for strict 1:1 paragraphs).
    embedder, how = resolve_embedder(plan.run.align_embeddings, cache_dir=plan.cache_dir)
    if plan.run.unit == "sentence":
        reporter.info(how)
    docs = [
        load_parallel_document(
            plan.manifest, d, plan.src_lang, plan.tgt_lang,
            unit=plan.run.unit, embedder=embedder, low_confidence=LOW_CONFIDENCE,
            max_text_bytes=plan.run.max_text_bytes,
        )
        for d in plan.run.documents
    ]
    prepared = prepare_documents(docs, exclude_low_confidence=plan.run.exclude_low_confidence, threshold=LOW_CONFIDENCE)
    docs = prepared.documents
    for line in prepared.warnings:
        reporter.warning(line)
    timings["corpus_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    rows: list[SystemResult] = []
    for name, scfg in plan.systems.items():
        system = build_system(scfg, cache=cache)
        try:
            rows.extend(_produce(system, doc, reporter) for doc in docs)
        finally:
            system.close()  # free the model before the next one loads
    timings["translate_s"] = time.perf_counter() - t0
    rows = [_with_exclusion_note(row, prepared.excluded, plan.run.unit) for row in rows]
    texts = tuple(_document_texts(d) for d in docs)
    if plan.run.diagnostics:  # reference-free: needs only sources and outputs
        t0 = time.perf_counter()
        rows = _diagnose(rows, texts, embedder, reporter)
        timings["diagnostics_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    metrics: dict[str, Metric] = {
        name: build_metric(m, cache_dir=plan.cache_dir, manifest=plan.manifest) for name, m in plan.metrics.items()
    }
    # One progress task per metric, over every segment of every system that produced output.
    labels = {name: f"scoring {name}" for name in metrics}
    to_score = sum(r.n_segments for r in rows if r.status == "ok")
    ticks = {name: reporter.progress(label, to_score) for name, label in labels.items()}
    for tick in ticks.values():
        tick.start(to_score)
    scored: list[SystemResult] = []
    # Statistics (CIs, paired tests, clusters) advance their own bar, one step per metric and test.
    groups = sum(1 + subset_count(doc, plan.run.breakdown) for doc in docs)
    stats_steps = groups * len(metrics) * STEPS_PER_METRIC
    stats_tick = reporter.progress("statistics", stats_steps)
    stats_tick.start(stats_steps)
    try:
        for doc in docs:
            doc_rows = add_statistics(
                doc, [_score(doc, r, metrics, ticks, reporter) for r in rows if r.document == doc.document],
                metrics, plan.run.stats, progress=stats_tick,
            )
            scored += doc_rows
            scored += subset_rows(doc, doc_rows, metrics, plan.run.stats, plan.run.breakdown, progress=stats_tick)
    finally:
        for label in labels.values():
            reporter.done(label)
        reporter.done("statistics")
        for metric in metrics.values():
            metric.close()
    timings["score_s"] = time.perf_counter() - t0
    _report_unavailable(scored, reporter)
    t0 = time.perf_counter()
    agreement, delta_agreement = _agreement(scored, metrics, plan.run.stats, reporter)
    if agreement:
        timings["agreement_s"] = time.perf_counter() - t0
    return RunResult(
        rows=tuple(scored),
        metric_names=tuple(metrics),
        metric_info={n: m.info for n, m in metrics.items()},
        baseline=plan.run.stats.baseline,
        texts=texts,
        timings=timings,
        warnings=list(plan.warnings) + prepared.warnings,
        facts={"cache_dir": str(plan.cache_dir) if plan.cache_dir else None, "alignment": prepared.facts,
               "system_settings_by_type": plan.type_settings},
        agreement=agreement,
        delta_agreement=delta_agreement,
    )


def _agreement(rows: list[SystemResult], metrics: Mapping[str, Metric], stats: StatsConfig, reporter: Reporter):
    """Agreement of each automatic metric with each human one (docs/agreement.md); nothing
    when the run has no human metric. Uses only the metrics' aggregates (no model)."""
    from mtqe.metrics.agreement import AgreementSettings, agreement_for_rows, human_metric_names
    from mtqe.metrics.resampling import Scorer
    from mtqe.metrics.stats import fast_paths

    if not human_metric_names(rows, list(metrics)):
        return (), ()
    settings = AgreementSettings(bootstrap_samples=stats.bootstrap_samples,
                                 randomization_samples=stats.randomization_samples,
                                 seed=stats.seed, confidence=stats.confidence)
    scorers = {name: Scorer(m.aggregate, **fast_paths(m)) for name, m in metrics.items()}
    label = "agreement with human judgments"
    tick = reporter.progress(label, 0)
    try:
        return agreement_for_rows(rows, list(metrics), {n: m.info for n, m in metrics.items()}, scorers,
                                  stats.baseline, settings, progress=tick)
    finally:
        reporter.done(label)


def _document_texts(d: ParallelDocument) -> DocumentTexts:
    line_info = any(s.doc_id or s.domain for s in d.segments)
    return DocumentTexts(
        document=d.document, src_lang=d.src_lang, tgt_lang=d.tgt_lang,
        segment_ids=tuple(s.seg_id for s in d.segments), sources=tuple(d.sources),
        references={r: tuple(d.target_segments(r)) for r in d.targets},
        doc_ids=tuple(s.doc_id for s in d.segments) if line_info else (),
        domains=tuple(s.domain for s in d.segments) if line_info else (),
    )


def _diagnose(rows: list[SystemResult], texts, embedder, reporter: Reporter) -> list[SystemResult]:
    """The reference-free checks of mtqe.diagnostics on every output (docs/diagnostics.md)."""
    from mtqe.diagnostics.rows import diagnose_rows

    label = "diagnostics"
    total = sum(r.n_segments for r in rows if r.output is not None)
    tick = reporter.progress(label, total)
    tick.start(total)
    try:
        return diagnose_rows(rows, {t.key: t for t in texts}, embedder=embedder, advance=tick.advance)
    finally:
        reporter.done(label)


def _with_exclusion_note(row: SystemResult, excluded: Mapping[str, Any], unit: str) -> SystemResult:
    if not excluded.get(row.document):
        return row
    note = (f"{len(excluded[row.document])} low-confidence {unit} link(s) excluded "
            "from scoring (run.json facts.alignment)")
    return replace(row, notes=(*row.notes, note))


def _score(doc: ParallelDocument, row: SystemResult, metrics: Mapping[str, Metric],
           ticks: Mapping[str, Progress], reporter: Reporter) -> SystemResult:
    if row.status != "ok":
        return row
    reporter.info(f"scoring {row.system} on {doc.document}")
    return score_row(doc, row, metrics, progress=ticks)


def _report_unavailable(rows: list[SystemResult], reporter: Reporter) -> None:
    """Say once per metric and reason why cells are empty (never a silent blank)."""
    seen: set[tuple[str, str]] = set()
    for row in rows:
        for name, result in row.metrics.items():
            if result.unavailable and (name, result.unavailable) not in seen:
                seen.add((name, result.unavailable))
                reporter.warning(f"{name} empty for {row.system}: {result.unavailable}")


def resolved_config(cfg: DictConfig) -> dict[str, Any]:
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
