"""Score every system of one (document, pair) with every metric, then add statistics.

Reference semantics:
* a system is scored against every reference text of the document in the target language;
* a human text that is itself a reference is scored leave-one-out, against the others;
* with no reference left, reference-based metrics are empty *with the reason*.

Paired tests compare each system with the baseline on the baseline's reference set, so that
a leave-one-out human row and an MT row are judged against the same references.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from mtqe.config import StatsConfig
from mtqe.corpus.model import ParallelDocument
from mtqe.errors import MtqeError
from mtqe.metrics import stats as st
from mtqe.metrics.base import Metric, MetricInput, MetricResult
from mtqe.progress import CountingProgress, NoProgress, Progress
from mtqe.results import SystemResult


def references_for(doc: ParallelDocument, row: SystemResult) -> list[str]:
    own = row.output.text_id if row.output is not None else None
    return [ref for ref in doc.reference_ids() if ref != own]


def metric_input(doc: ParallelDocument, hypotheses, reference_ids: list[str]) -> MetricInput:
    return MetricInput(
        sources=doc.sources,
        hypotheses=list(hypotheses),
        references=[doc.target_segments(r) for r in reference_ids],
        reference_ids=reference_ids,
        src_lang=doc.src_lang,
        tgt_lang=doc.tgt_lang,
    )


def score_row(
    doc: ParallelDocument,
    row: SystemResult,
    metrics: Mapping[str, Metric],
    *,
    progress: Mapping[str, Progress] | None = None,
) -> None:
    """Fill ``row.metrics`` (one result per metric, never silently missing).

    ``progress`` (by metric name, optional) advances by this row's segments for each metric:
    as the metric reports them, and the rest once it returns (also when it could not run).
    """
    if row.output is None:
        raise ValueError(f"score_row: {row.system} produced no output (status {row.status})")
    refs = references_for(doc, row)
    row.references = tuple(refs)
    if not refs:
        row.notes.append(
            f"no {doc.tgt_lang} reference other than its own text: reference-based metrics are empty "
            f"until another {doc.tgt_lang} reference of {doc.document} is added to references/"
            if row.kind == "existing"
            else f"no {doc.tgt_lang} reference for {doc.document}: reference-based metrics are empty"
        )
    data = metric_input(doc, row.output.hypotheses, refs)
    for name, metric in metrics.items():
        tick = CountingProgress((progress or {}).get(name) or NoProgress())
        if metric.info.needs_reference and not refs:
            row.metrics[name] = MetricResult.not_available(
                name, metric.signature(), "no reference other than the system's own text (leave-one-out)"
                if row.kind == "existing" else "no reference"
            )
        else:
            try:
                row.metrics[name] = metric.score(data, progress=tick)
            except MtqeError as exc:
                row.metrics[name] = MetricResult.not_available(name, metric.signature(), str(exc))
        tick.complete(len(data.hypotheses))


def add_statistics(
    doc: ParallelDocument,
    rows: list[SystemResult],
    metrics: Mapping[str, Metric],
    cfg: StatsConfig,
) -> None:
    """Bootstrap CIs for every score; paired tests vs the baseline; significance clusters."""
    ok_rows = [r for r in rows if r.status == "ok"]
    for name, metric in metrics.items():
        for row in ok_rows:
            result = row.metrics.get(name)
            if result is None or result.score is None or result.stats is None:
                continue
            row.intervals[name] = st.bootstrap_ci(
                result.stats, metric.aggregate, n_samples=cfg.bootstrap_samples,
                seed=cfg.seed, confidence=cfg.confidence,
            )
        _paired_vs_baseline(doc, ok_rows, name, metric, cfg)
        assign_significance_ranks(ok_rows, name, metric, cfg)


def _baseline_row(rows: list[SystemResult], baseline: str) -> SystemResult | None:
    return next((r for r in rows if r.system == baseline), None)


def _stats_on_refs(doc: ParallelDocument, row: SystemResult, metric: Metric, refs: list[str]):
    """Segment statistics of ``row`` against exactly ``refs`` (re-scored if its own refs differ)."""
    result = row.metrics.get(metric.info.name)
    if result is not None and result.stats is not None and list(row.references) == refs:
        return result.stats
    if metric.info.needs_reference and not refs:
        return None
    if row.output is not None and row.output.text_id in refs:
        return None  # a human text is never scored against itself
    rescored = metric.score(metric_input(doc, row.output.hypotheses, refs))
    return rescored.stats


def _paired_vs_baseline(doc, rows, name: str, metric: Metric, cfg: StatsConfig) -> None:
    base = _baseline_row(rows, cfg.baseline)
    if base is None:
        return
    base_result = base.metrics.get(name)
    if base_result is None or base_result.stats is None:
        for row in rows:
            if row is not base and row.metrics.get(name) and row.metrics[name].score is not None:
                row.notes.append(f"{name}: no paired test, baseline {cfg.baseline!r} has no {name} score")
        return
    refs = list(base.references)
    for row in rows:
        if row is base or row.output is None:
            continue
        stats = _stats_on_refs(doc, row, metric, refs)
        if stats is None:
            continue
        row.paired[name] = paired_tests(base_result.stats, stats, metric, cfg)
        if list(row.references) != refs:
            row.notes.append(f"{name}: paired test on the baseline's references ({'+'.join(refs)})")


def paired_tests(base_stats: np.ndarray, stats: np.ndarray, metric: Metric, cfg: StatsConfig) -> dict[str, Any]:
    """Paired bootstrap and approximate randomization of ``stats`` against the baseline's
    ``base_stats`` (segment statistics on the same references), as stored in ``row.paired``."""
    return {
        "bootstrap": st.paired_bootstrap(
            base_stats, stats, metric.aggregate, n_samples=cfg.bootstrap_samples, seed=cfg.seed
        ),
        "randomization": st.paired_approximate_randomization(
            base_stats, stats, metric.aggregate, n_samples=cfg.randomization_samples, seed=cfg.seed
        ),
    }


def assign_significance_ranks(rows: list[SystemResult], name: str, metric: Metric, cfg: StatsConfig) -> None:
    """Set ``row.ranks[name]`` for the rows with a ``name`` score: rows scored on the same
    references are ranked together, and systems not significantly different share a rank."""
    groups: dict[tuple[str, ...], list[SystemResult]] = {}
    for row in rows:
        result = row.metrics.get(name)
        if result is not None and result.score is not None and result.stats is not None:
            groups.setdefault(row.references, []).append(row)
    for group in groups.values():
        scores = {r.system: r.metrics[name].score for r in group}
        pvalues = {}
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                test = st.paired_approximate_randomization(
                    a.metrics[name].stats, b.metrics[name].stats, metric.aggregate,
                    n_samples=cfg.randomization_samples, seed=cfg.seed,
                )
                pvalues[(a.system, b.system)] = test.p_value
                pvalues[(b.system, a.system)] = test.p_value
        ranks = st.significance_clusters(
            scores, pvalues, higher_is_better=metric.info.higher_is_better, alpha=cfg.alpha
        )
        for row in group:
            row.ranks[name] = ranks[row.system]
