"""report.md: the leaderboard for terminals and repositories, empty cells explained.

Every text from the run (names, references, notes, warnings) is escaped for Markdown
(:func:`mtqe.report.escape.md_text`), so a renderer shows it literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mtqe.io import atomic_write_text, path_under
from mtqe.report.agreement import markdown_section
from mtqe.report.escape import md_text
from mtqe.results import RunResult, SystemResult


def format_cell(row: SystemResult, name: str) -> str:
    result = row.metrics.get(name)
    if row.status != "ok":
        return "error"
    if result is None or result.score is None:
        return "—"
    text = f"{result.score:.2f}" if abs(result.score) >= 1.5 else f"{result.score:.4f}"
    ci = row.intervals.get(name)
    if ci is not None:
        text += f" [{ci.low:.2f}, {ci.high:.2f}]" if abs(result.score) >= 1.5 else f" [{ci.low:.4f}, {ci.high:.4f}]"
    if name in row.ranks:
        text += f" (#{row.ranks[name]})"
    return text


def markdown_report(result: RunResult) -> str:
    lines = ["# mtqe leaderboard", ""]
    groups: dict[tuple[str, str], list[SystemResult]] = {}
    for row in result.rows:
        key = (row.document, row.pair if row.subset == "all" else f"{row.pair} · {row.subset}")
        groups.setdefault(key, []).append(row)
    for (document, pair), rows in groups.items():
        lines += [f"## {md_text(document)} · {md_text(pair)}", ""]
        header = ["system", "kind", "segments", "references", *map(md_text, result.metric_names)]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for row in rows:
            cells = [md_text(row.system), md_text(row.kind), str(row.n_segments),
                     md_text("+".join(row.references)) or "—"]
            cells += [format_cell(row, m) for m in result.metric_names]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        lines.append("Scores with 95% bootstrap confidence intervals; (#k) is the significance cluster "
                     "(systems not significantly different share a rank).")
        lines += _span_counts(rows, result.metric_names)
        notes = [(row.system, n) for row in rows for n in _notes(row, result.metric_names)]
        if notes:
            lines += ["", "### Notes", ""]
            lines += [f"- **{md_text(system)}**: {md_text(note)}" for system, note in notes]
        lines.append("")
        if rows[0].subset == "all":
            lines += markdown_section(result, rows[0].document, rows[0].src_lang, rows[0].tgt_lang)
    if result.warnings:
        lines += ["## Warnings", ""] + [f"- {md_text(w)}" for w in result.warnings] + [""]
    return "\n".join(lines)


SPAN_SEVERITIES = ("minor", "major", "critical")  # as mtqe.metrics.base.SEVERITIES


def _span_counts(rows: list[SystemResult], metric_names: Sequence[str]) -> list[str]:
    """Error spans per severity, per system and metric that marks them (XCOMET, an LLM judge)."""
    table = []
    for row in rows:
        for name in metric_names:
            res = row.metrics.get(name)
            if res is None or res.segment_spans is None:
                continue
            found = [span.severity for spans in res.segment_spans for span in spans]
            counts = [str(found.count(s)) for s in SPAN_SEVERITIES]
            marked = sum(1 for spans in res.segment_spans if spans)
            table.append(f"| {md_text(row.system)} | {md_text(name)} | {' | '.join(counts)} | "
                         f"{marked} of {len(res.segment_spans)} |")
    if not table:
        return []
    return ["", "### Error spans", "",
            "| system | metric | minor | major | critical | segments with spans |", "|---|---|---|---|---|---|",
            *table]


def _notes(row: SystemResult, metric_names: Sequence[str]) -> list[str]:
    notes = list(row.all_notes)
    if row.error:
        notes.append(f"error: {row.error}")
    for name in metric_names:
        res = row.metrics.get(name)
        if res is not None and res.unavailable:
            notes.append(f"{name} empty: {res.unavailable}")
    return notes


def write_markdown_report(result: RunResult, out_dir: Path) -> Path:
    path = path_under(out_dir, "report.md")
    atomic_write_text(path, markdown_report(result))
    return path
