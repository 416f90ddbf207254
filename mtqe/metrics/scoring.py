"""Score every system of one (document, pair) with every metric, then add statistics.

Reference semantics:
* a system is scored against every reference text of the document in the target language;
* a human text that is itself a reference is scored leave-one-out, against the others;
* with no reference left, reference-based metrics are empty *with the reason*.

Paired tests compare each system with the baseline on the baseline's reference set, so that
a leave-one-out human row and an MT row are judged against the same references.

Rows are immutable: every function returns new :class:`~mtqe.results.SystemResult` values.
:func:`significance` is the one place paired tests and clusters are computed, for a run
(:func:`add_statistics`) and for a sweep merge (:mod:`mtqe.collect`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Union

import numpy as np

from mtqe.config import StatsConfig
from mtqe.corpus.model import ParallelDocument
from mtqe.errors import MtqeError
from mtqe.metrics import stats as st
from mtqe.metrics.base import Metric, MetricInput, MetricResult
from mtqe.progress import CountingProgress, NoProgress, Progress
from mtqe.results import SystemResult

# What a row scored on other references than the baseline contributes to its paired test:
# its segment statistics on the baseline's references, tests computed elsewhere (a sweep
# job that ran both), a note saying why there is no test, or None (no test, nothing to say).
OtherRefs = Union[np.ndarray, Mapping[str, st.PairedTestResult], str, None]
OtherRefsFn = Callable[[SystemResult, SystemResult, str, Metric, tuple[str, ...]], OtherRefs]  # row, baseline, metric


def references_for(doc: ParallelDocument, row: SystemResult) -> list[str]:
    own = row.output.text_id if row.output is not None else None
    return [ref for ref in doc.reference_ids() if ref != own]


def metric_input(doc: ParallelDocument, hypotheses, reference_ids: list[str], system: str = "") -> MetricInput:
    return MetricInput(
        sources=doc.sources,
        hypotheses=list(hypotheses),
        references=[doc.target_segments(r) for r in reference_ids],
        reference_ids=reference_ids,
        src_lang=doc.src_lang,
        tgt_lang=doc.tgt_lang,
        document=doc.document,
        system=system,
        segment_ids=tuple(s.seg_id for s in doc.segments),
    )


def score_row(
    doc: ParallelDocument,
    row: SystemResult,
    metrics: Mapping[str, Metric],
    *,
    progress: Mapping[str, Progress] | None = None,
) -> SystemResult:
    """``row`` with one result per metric (never silently missing) and its references.

    ``progress`` (by metric name, optional) advances by this row's segments for each metric:
    as the metric reports them, and the rest once it returns (also when it could not run).
    """
    if row.output is None:
        raise ValueError(f"score_row: {row.system} produced no output (status {row.status})")
    refs = references_for(doc, row)
    notes = list(row.notes)
    if not refs:
        notes.append(
            f"no {doc.tgt_lang} reference other than its own text: reference-based metrics are empty "
            f"until another {doc.tgt_lang} reference of {doc.document} is added to references/"
            if row.kind == "existing"
            else f"no {doc.tgt_lang} reference for {doc.document}: reference-based metrics are empty"
        )
    data = metric_input(doc, row.output.hypotheses, refs, row.system)
    results = dict(row.metrics)
    for name, metric in metrics.items():
        tick = CountingProgress((progress or {}).get(name) or NoProgress())
        if metric.info.needs_reference and not refs:
            results[name] = MetricResult.not_available(
                name, metric.signature(), "no reference other than the system's own text (leave-one-out)"
                if row.kind == "existing" else "no reference"
            )
        else:
            try:
                results[name] = metric.score(data, progress=tick)
            except MtqeError as exc:
                results[name] = MetricResult.not_available(name, metric.signature(), str(exc))
            # What a metric wants the reader to know of this row (an LLM judge's unreadable answers).
            notes.extend(f"{name}: {note}" for note in results[name].details.get("notes", ()))
        tick.complete(len(data.hypotheses))
    return replace(row, references=tuple(refs), notes=tuple(notes), metrics=results)


def add_statistics(
    doc: ParallelDocument,
    rows: Sequence[SystemResult],
    metrics: Mapping[str, Metric],
    cfg: StatsConfig,
    *,
    progress: Progress | None = None,
) -> tuple[SystemResult, ...]:
    """``rows`` with bootstrap CIs for every score, paired tests vs the baseline and
    significance clusters (rows that are not ``ok`` come back unchanged). ``progress``
    advances by one per statistics step (:data:`STEPS_PER_METRIC` per metric)."""
    rows = with_intervals(rows, metrics, cfg, progress=progress)
    return significance(rows, metrics, cfg, other_refs=rescore_on(doc), progress=progress)


# CIs, paired tests vs the baseline, clusters: the steps a progress bar counts per metric.
STEPS_PER_METRIC = 3


def with_intervals(
    rows: Sequence[SystemResult], metrics: Mapping[str, Metric], cfg: StatsConfig,
    *, progress: Progress | None = None,
) -> tuple[SystemResult, ...]:
    """Bootstrap CIs of every ok row's scores: per metric, one shared draw for all rows
    (each interval equals :func:`~mtqe.metrics.stats.bootstrap_ci` of that row alone)."""
    intervals: dict[int, dict[str, Any]] = {i: dict(r.intervals) for i, r in enumerate(rows)}
    for name, metric in metrics.items():
        scored = {i: r.metrics[name].stats for i, r in enumerate(rows) if _has_stats(r, name)}
        if progress is not None:
            progress.advance(1)
        if not scored:
            continue
        found = st.bootstrap_ci_many(
            {str(i): s for i, s in scored.items()}, metric.aggregate, n_samples=cfg.bootstrap_samples,
            seed=cfg.seed, confidence=cfg.confidence, **st.fast_paths(metric),
        )
        for i in scored:
            intervals[i][name] = found[str(i)]
    return tuple(replace(r, intervals=intervals[i]) if r.status == "ok" else r for i, r in enumerate(rows))


def _has_stats(row: SystemResult, name: str) -> bool:
    result = row.metrics.get(name)
    return row.status == "ok" and result is not None and result.score is not None and result.stats is not None


def rescore_on(doc: ParallelDocument) -> OtherRefsFn:
    """For a run: re-score a row on the baseline's references (never a human text on itself)."""

    def other_refs(
        row: SystemResult, base: SystemResult, name: str, metric: Metric, refs: tuple[str, ...]
    ) -> OtherRefs:
        if metric.info.needs_reference and not refs:
            return None
        if row.output is None or row.output.text_id in refs:
            return None  # a human text is never scored against itself
        return metric.score(metric_input(doc, row.output.hypotheses, list(refs), row.system)).stats

    return other_refs


def significance(
    rows: Sequence[SystemResult],
    metrics: Mapping[str, Metric],
    cfg: StatsConfig,
    *,
    other_refs: OtherRefsFn,
    progress: Progress | None = None,
) -> tuple[SystemResult, ...]:
    """Paired tests vs ``cfg.baseline`` and clusters over ``rows`` (one document and pair).

    Replaces each row's ``paired``, ``ranks`` and ``significance_notes``; ``other_refs``
    says what to do for a row scored on other references than the baseline.
    """
    paired: dict[int, dict[str, Any]] = {i: {} for i in range(len(rows))}
    ranks: dict[int, dict[str, int]] = {i: {} for i in range(len(rows))}
    notes: dict[int, list[str]] = {i: [] for i in range(len(rows))}
    ok = [i for i, r in enumerate(rows) if r.status == "ok"]
    for name, metric in metrics.items():
        _paired_vs_baseline(rows, ok, name, metric, cfg, other_refs, paired, notes)
        if progress is not None:
            progress.advance(1)
        for i, rank in assign_significance_ranks([rows[i] for i in ok], name, metric, cfg).items():
            ranks[ok[i]][name] = rank
        if progress is not None:
            progress.advance(1)
    return tuple(
        replace(row, paired=paired[i], ranks=ranks[i], significance_notes=tuple(notes[i]))
        for i, row in enumerate(rows)
    )


def _paired_vs_baseline(
    rows: Sequence[SystemResult],
    ok: list[int],
    name: str,
    metric: Metric,
    cfg: StatsConfig,
    other_refs: OtherRefsFn,
    paired: dict[int, dict[str, Any]],
    notes: dict[int, list[str]],
) -> None:
    """Fill ``paired[i][name]`` and ``notes[i]`` for the ``ok`` rows (indices into ``rows``)."""
    base_i = next((i for i in ok if rows[i].system == cfg.baseline), None)
    if base_i is None:
        return
    base = rows[base_i]
    base_result = base.metrics.get(name)
    if base_result is None or base_result.stats is None:
        for i in ok:
            result = rows[i].metrics.get(name)
            if i != base_i and result is not None and result.score is not None:
                notes[i].append(f"{name}: no paired test, baseline {cfg.baseline!r} has no {name} score")
        return
    refs = base.references
    same_refs = {
        str(i): rows[i].metrics[name].stats for i in ok
        if i != base_i and rows[i].output is not None and rows[i].references == refs and _has_stats(rows[i], name)
    }
    if same_refs:  # one shared set of resamples and trials for every system
        for key, tests in paired_tests_many(base_result.stats, same_refs, metric, cfg).items():
            paired[int(key)][name] = tests
    for i in ok:
        row = rows[i]
        if i == base_i or row.output is None or row.references == refs:
            continue
        found = other_refs(row, base, name, metric, refs)
        if isinstance(found, str):
            notes[i].append(found)
            continue
        if found is None:
            continue
        paired[i][name] = found if isinstance(found, Mapping) else paired_tests(base_result.stats, found, metric, cfg)
        notes[i].append(f"{name}: paired test on the baseline's references ({'+'.join(refs)})")


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


def paired_tests_many(
    base_stats: np.ndarray, stats_by_key: Mapping[str, np.ndarray], metric: Metric, cfg: StatsConfig
) -> dict[str, dict[str, Any]]:
    """:func:`paired_tests` of several systems against the baseline, on shared draws."""
    return st.paired_tests_many(
        base_stats, stats_by_key, metric.aggregate, bootstrap_samples=cfg.bootstrap_samples,
        randomization_samples=cfg.randomization_samples, seed=cfg.seed, **st.fast_paths(metric),
    )


def assign_significance_ranks(
    rows: Sequence[SystemResult], name: str, metric: Metric, cfg: StatsConfig
) -> dict[int, int]:
    """Significance cluster (1 = best) by position in ``rows``, for the rows with a ``name``
    score: rows scored on the same references are ranked together, and systems not
    significantly different share a rank."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, row in enumerate(rows):
        result = row.metrics.get(name)
        if result is not None and result.score is not None and result.stats is not None:
            groups.setdefault(row.references, []).append(i)
    out: dict[int, int] = {}
    for group in groups.values():
        scores = {rows[i].system: rows[i].metrics[name].score for i in group}
        pvalues = {}
        # Every pair at once, on one set of trials (each p equals the pair's own test).
        tests = st.pairwise_randomization(
            {rows[i].system: rows[i].metrics[name].stats for i in group}, metric.aggregate,
            n_samples=cfg.randomization_samples, seed=cfg.seed, **st.fast_paths(metric),
        )
        for (a, b), test in tests.items():
            pvalues[(a, b)] = pvalues[(b, a)] = test.p_value
        ranks = st.significance_clusters(
            scores, pvalues, higher_is_better=metric.info.higher_is_better, alpha=cfg.alpha
        )
        for i in group:
            out[i] = ranks[rows[i].system]
    return out


# --------------------------------------------------------------------------- breakdowns

BREAKDOWNS = ("domain", "doc")


def subset_rows(
    doc: ParallelDocument,
    rows: Sequence[SystemResult],
    metrics: Mapping[str, Metric],
    cfg: StatsConfig,
    breakdown: Sequence[str],
    *,
    progress: Progress | None = None,
) -> tuple[SystemResult, ...]:
    """Rows per domain (``domain=news``) and per document id (``doc=ID``) of a test set with
    per-line ids: every score, CI, paired test and cluster computed on that subset's segments
    alone (the metric's ``aggregate`` on the subset's statistics: equal to scoring those lines)."""
    out: list[SystemResult] = []
    for label, index in _subsets(doc, breakdown):
        part = replace(doc, segments=tuple(doc.segments[i] for i in index))
        sub = tuple(_restrict(row, index, label, metrics) for row in rows)
        sub = with_intervals(sub, metrics, cfg, progress=progress)
        out += significance(sub, metrics, cfg, other_refs=rescore_on(part), progress=progress)
    return tuple(out)


def subset_count(doc: ParallelDocument, breakdown: Sequence[str]) -> int:
    """How many breakdown rows groups :func:`subset_rows` will compute (for a progress total)."""
    return len(_subsets(doc, breakdown))


def _subsets(doc: ParallelDocument, breakdown: Sequence[str]) -> list[tuple[str, np.ndarray]]:
    found: list[tuple[str, np.ndarray]] = []
    for kind in breakdown:
        values = [s.domain if kind == "domain" else s.doc_id for s in doc.segments]
        if all(v is None for v in values):
            continue
        for value in dict.fromkeys(v for v in values if v is not None):
            found.append((f"{kind}={value}", np.array([i for i, v in enumerate(values) if v == value])))
    return found


def _restrict(row: SystemResult, index: np.ndarray, label: str, metrics: Mapping[str, Metric]) -> SystemResult:
    """``row`` on the segments ``index`` only (statistics sliced; scores re-aggregated)."""
    if row.output is None:
        return replace(row, subset=label, n_segments=len(index), intervals={}, paired={}, ranks={})
    results = {}
    for name, result in row.metrics.items():
        if result.stats is None or result.score is None:
            results[name] = result
            continue
        stats = np.asarray(result.stats)[index]
        score = metrics[name].aggregate(stats)
        if not np.isfinite(score):  # e.g. no judged segment in this subset: no score, nothing imputed
            results[name] = MetricResult.not_available(name, result.signature, f"no segment of {label} has a score")
            continue
        segment = None if result.segment_scores is None else tuple(result.segment_scores[i] for i in index)
        spans = None if result.segment_spans is None else tuple(result.segment_spans[i] for i in index)
        results[name] = replace(result, score=score, stats=stats, segment_scores=segment, segment_spans=spans)
    output = replace(row.output, hypotheses=tuple(row.output.hypotheses[i] for i in index),
                     segment_flags=tuple(row.output.segment_flags[i] for i in index) if row.output.segment_flags else ())
    return replace(
        row, subset=label, n_segments=len(index), output=output, metrics=results, intervals={}, paired={},
        ranks={}, diagnostics=tuple(row.diagnostics[i] for i in index) if row.diagnostics else (),
        notes=(f"subset {label}: {len(index)} segments",),
    )
