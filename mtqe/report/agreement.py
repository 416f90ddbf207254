"""The metric–human agreement of a run as files and report text: agreement.csv, the
``<metric>_human_agree`` leaderboard cells and the "Which metric to trust here" sections.

Only views of values the scoring side computed (:mod:`mtqe.metrics.agreement` stores them in
the results as plain :class:`~mtqe.metrics.agreement_values.AgreementStat` and
:class:`~mtqe.metrics.agreement_values.DeltaAgreement`); nothing is computed here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from mtqe.io import atomic_write_text, path_under
from mtqe.report.escape import csv_cell, md_text
from mtqe.results import AgreementStat, RunResult, SystemResult

AGREEMENT_FILE = "agreement.csv"
AGREEMENT_COLUMNS = ["document", "pair", "metric", "human", "statistic", "value", "ci_low", "ci_high",
                     "n_systems", "n_segments", "note"]
HUMAN_AGREE_SUFFIX = "_human_agree"
# What each statistic is called in the report (docs/agreement.md defines them).
LABELS = {
    "sys_pearson": "system Pearson r",
    "sys_kendall_tau_b": "system Kendall τ-b",
    "sys_pairwise_accuracy": "system pairwise accuracy",
    "sys_soft_pairwise_accuracy": "system soft pairwise accuracy",
    "seg_kendall_tau_b_item": "segment Kendall τ-b (by item)",
    "seg_acc_eq_item": "segment acc_eq (by item, tie-calibrated)",
}
READING = ("1.0 = the metric orders the systems (or a segment's translations) exactly as the humans; "
           "accuracies of 0.5 and correlations of 0 are chance. Intervals: 95% bootstrap over segments; "
           "with few systems they are wide. Definitions: docs/agreement.md.")


def _fmt(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def agreement_csv(result: RunResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AGREEMENT_COLUMNS)
    for a in result.agreement:
        writer.writerow([csv_cell(v) for v in (
            a.document, a.pair, a.metric, a.human, a.statistic, _fmt(a.value), _fmt(a.ci_low), _fmt(a.ci_high),
            str(a.n_systems), str(a.n_segments), a.note)])
    return buffer.getvalue()


def write_agreement(result: RunResult, out_dir: Path) -> Path | None:
    """agreement.csv, only for a run with a human metric (no empty file otherwise)."""
    if not result.agreement:
        return None
    path = path_under(out_dir, AGREEMENT_FILE)
    atomic_write_text(path, agreement_csv(result))
    return path


# --------------------------------------------------------------------------- leaderboard


def agree_metrics(result: RunResult) -> list[str]:
    """The metrics that get a ``<metric>_human_agree`` column: the automatic ones of a run with
    a human metric (none otherwise)."""
    humans = result.human_metric_names
    return [m for m in result.metric_names if m not in humans] if humans else []


def human_agree_cells(result: RunResult, row: SystemResult) -> tuple[dict[str, str], list[str]]:
    """A row's ``<metric>_human_agree`` cells (against the run's first human metric) and the
    notes that explain the empty ones."""
    metrics = agree_metrics(result)
    if not metrics:
        return {}, []
    human = result.human_metric_names[0]
    cells = {f"{m}{HUMAN_AGREE_SUFFIX}": "" for m in metrics}
    notes: list[str] = []
    if row.subset != "all":
        return cells, [f"{HUMAN_AGREE_SUFFIX[1:]}: only on whole-document rows (subset=all)"]
    found = set()
    for d in result.delta_agreement:
        if (d.document, d.src_lang, d.tgt_lang, d.system, d.human) != (
                row.document, row.src_lang, row.tgt_lang, row.system, human) or d.metric not in metrics:
            continue
        found.add(d.metric)
        cells[f"{d.metric}{HUMAN_AGREE_SUFFIX}"] = _fmt(d.probability)
        if d.probability is None and d.note:
            notes.append(f"{d.metric}{HUMAN_AGREE_SUFFIX}: {d.note}")
    if row.status == "ok" and row.system != result.baseline:
        # e.g. a sweep merge, which does not recompute the agreement: say so, never a silent blank
        notes += [f"{m}{HUMAN_AGREE_SUFFIX}: not computed for this result (see the job's own run)"
                  for m in metrics if m not in found]
    return cells, notes


# --------------------------------------------------------------------------- report.md


def markdown_section(result: RunResult, document: str, src_lang: str, tgt_lang: str) -> list[str]:
    """The "Which metric to trust here" lines of one (document, pair), or none."""
    stats = [a for a in result.agreement if (a.document, a.src_lang, a.tgt_lang) == (document, src_lang, tgt_lang)]
    if not stats:
        return []
    lines = ["### Which metric to trust here", "",
             "Agreement of each metric with the human judgments of this run. " + READING, ""]
    lines += ["| metric | human | statistic | value | 95% CI | systems | segments | note |",
              "|---|---|---|---|---|---|---|---|"]
    own, shared = split_notes(stats)
    for a, note in zip(stats, own):
        ci = f"[{a.ci_low:.3f}, {a.ci_high:.3f}]" if a.ci_low is not None and a.ci_high is not None else "—"
        value = "—" if a.value is None else f"{a.value:.3f}"
        lines.append(f"| {md_text(a.metric)} | {md_text(a.human)} | {LABELS.get(a.statistic, a.statistic)} | "
                     f"{value} | {ci} | {a.n_systems} | {a.n_segments} | {md_text(note)} |")
    if shared:
        lines += [""] + [f"- {md_text(n)}" for n in shared]
    deltas = [d for d in result.delta_agreement
              if (d.document, d.src_lang, d.tgt_lang) == (document, src_lang, tgt_lang)]
    if deltas:
        lines += ["", "Reading a delta: the share of this run's judged system pairs with at least this "
                  "|delta| on which the metric and the humans prefer the same system.", "",
                  "| system | metric | delta vs baseline | humans agree | pairs | note |", "|---|---|---|---|---|---|"]
        for d in deltas:
            delta = "—" if d.delta is None else f"{d.delta:+.4g}"
            prob = "—" if d.probability is None else f"{d.probability:.2f} ({d.n_agree}/{d.n_pairs})"
            lines.append(f"| {md_text(d.system)} | {md_text(d.metric)} | {delta} | {prob} | {d.n_pairs} | "
                         f"{md_text(d.note)} |")
    lines.append("")
    return lines


def split_notes(stats: Sequence[AgreementStat]) -> tuple[list[str], list[str]]:
    """Each statistic's own note, and the notes every statistic of the same metric shares
    (left-out systems and segments), listed once in the report instead of on every line."""
    parts = [[p for p in a.note.split("; ") if p] for a in stats]
    own, shared = [], []
    by_metric: dict[tuple[str, str], list[list[str]]] = {}
    for a, p in zip(stats, parts):
        by_metric.setdefault((a.metric, a.human), []).append(p)
    common = {key: set.intersection(*(set(p) for p in lists)) if len(lists) > 1 else set()
              for key, lists in by_metric.items()}
    for a, p in zip(stats, parts):
        own.append("; ".join(x for x in p if x not in common[a.metric, a.human]))
    for (metric, human), notes in common.items():
        first = by_metric[metric, human][0]
        shared += [f"{metric} vs {human}: {n}" for n in first if n in notes]
    return own, shared


def system_points(rows: Sequence[SystemResult], metric: str, human: str) -> list[tuple[str, float, float]]:
    """(system, metric score, human score) of the rows with both, for the scatter plots."""
    points = []
    for row in rows:
        m, h = row.metrics.get(metric), row.metrics.get(human)
        if row.status == "ok" and m is not None and h is not None and m.score is not None and h.score is not None:
            points.append((row.system, float(m.score), float(h.score)))
    return points
