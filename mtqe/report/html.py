"""report.html: a standalone page people read — leaderboard, charts, and the segments side by side.

Built from a run directory's ``results.json`` (:mod:`mtqe.report.load`), so it can be rebuilt
for any finished run with ``mtqe report DIR``. Standalone: CSS, JS and charts (inline SVG)
are in the file, nothing is fetched from the network. Every piece of text from the run is
escaped with :func:`html.escape`; scores for the sorting script are JSON with ``<>&`` escaped.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mtqe.diagnostics.registry import DIAGNOSTIC_NAMES
from mtqe.io import atomic_write_text
from mtqe.report.agreement import LABELS, READING, split_notes
from mtqe.report.charts import Bar, bar_chart_svg, colour_for, distribution_svg, scatter_svg
from mtqe.report.diff import char_diff_html
from mtqe.report.load import (
    Group,
    LeaderboardRow,
    MetricCell,
    RunData,
    RunDirError,
    SegmentRecord,
    SegmentSlot,
    SweepJobInfo,
    load_run,
)

REPORT_NAME = "report.html"
SHOWN_VERSIONS = ("mtqe", "sacrebleu", "unbabel-comet", "transformers")  # the rest is in run.json
ORDERS = (
    ("doc", "document order"),
    ("desc", "A − B, largest first"),
    ("asc", "A − B, smallest first"),
    ("abs", "|A − B|, largest first"),
)


def write_html_report(run_dir: Path, *, out: Path | None = None,
                      compare: tuple[str, str] | None = None) -> Path:
    """Write ``run_dir/report.html`` (or ``out``) from the run's files; returns its path.

    ``compare``: the two systems whose per-segment score difference orders the segment view
    (default: the first two systems with segment scores). Raises :class:`RunDirError` for a
    missing or invalid run file and for a ``compare`` system the run does not have.
    """
    run = load_run(Path(run_dir))
    if compare is not None and compare[0] == compare[1]:
        raise RunDirError(f"--compare needs two different systems, got {compare[0]!r} twice")
    if compare is not None:
        unknown = [s for s in compare if s not in run.systems()]
        if unknown:
            raise RunDirError(f"--compare: no system {', '.join(map(repr, unknown))} in {run_dir}; "
                              f"systems of this run: {', '.join(run.systems())}")
    path = Path(out) if out is not None else Path(run_dir) / REPORT_NAME
    atomic_write_text(path, render_report(run, compare=compare))
    return path


def render_report(run: RunData, *, compare: tuple[str, str] | None = None) -> str:
    groups = run.groups()
    title = ("mtqe sweep report — " if run.meta.jobs is not None else "mtqe report — ") + ", ".join(dict.fromkeys(f"{g.document} {g.src_lang}→{g.tgt_lang}" for g in groups))
    body = [f"<h1>{_e(title)}</h1>", _run_summary(run)]
    if len(groups) > 1:
        body.append("<nav><ul>" + "".join(
            f'<li><a href="#g{i}">{_e(g.document)} · {_e(g.src_lang)}→{_e(g.tgt_lang)}</a></li>'
            for i, g in enumerate(groups)) + "</ul></nav>")
    body += [_group_section(run, g, f"g{i}", compare) for i, g in enumerate(groups)]
    return PAGE.format(title=_e(title), css=CSS, body="\n".join(body), js=JS)


# --------------------------------------------------------------------------- run summary


def _run_summary(run: RunData) -> str:
    meta = run.meta
    if meta.jobs is not None:  # a merged sweep: sweep.json, no run.json
        ended = ", ".join(f"{n} {s}" for s, n in Counter(j.status for j in meta.jobs).items())
        facts = [("sweep directory", str(run.run_dir.resolve())), ("jobs", f"{len(meta.jobs)} ({ended})"),
                 ("baseline of the paired tests", meta.baseline)]
    else:
        facts = [("run directory", str(run.run_dir.resolve())), ("started", meta.started),
                 ("finished", meta.finished), ("git commit", meta.git_commit or "unknown"),
                 ("baseline of the paired tests", meta.baseline)]
    versions = ", ".join(f"{k} {v}" for k, v in meta.versions.items() if v and k in SHOWN_VERSIONS)
    if versions:
        facts.append(("versions", versions))
    if meta.timings_s:
        facts.append(("timings", ", ".join(f"{k} {v:.1f} s" for k, v in meta.timings_s.items())))
    parts = ['<dl class="facts">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts) + "</dl>"]
    parts.append('<table class="metrics-legend"><tr><th>metric</th><th>direction</th><th>what it is</th></tr>'
                 + "".join(f"<tr><td>{_e(m.name)}</td><td>{_direction(m.higher_is_better)}</td>"
                           f"<td>{_e(m.description)}</td></tr>" for m in run.metrics.values()) + "</table>")
    if meta.warnings:
        parts.append('<div class="warnings"><h2>Warnings</h2><ul>'
                     + "".join(f"<li>{_e(w)}</li>" for w in meta.warnings) + "</ul></div>")
    if meta.jobs:
        parts.append(_jobs_table(meta.jobs))
    return "\n".join(parts)


_ERROR_CLASS = ' class="status-error"'


def _jobs_table(jobs: tuple[SweepJobInfo, ...]) -> str:
    """The jobs of a sweep: each one's directory (its own run and report), overrides and end."""
    rows = "".join(
        f"<tr><td>{j.num}</td><td>{_e(j.dir)}</td><td>{_e(' '.join(j.overrides) or '—')}</td>"
        f"<td{'' if j.status == 'finished' else _ERROR_CLASS}>"
        f"{_e(j.status)}{_e(': ' + j.error) if j.error else ''}</td></tr>"
        for j in jobs
    )
    return ('<h2>Jobs</h2><table class="jobs"><tr><th>job</th><th>directory</th><th>overrides</th>'
            f"<th>status</th></tr>{rows}</table>")


def _direction(higher_is_better: bool) -> str:
    return "↑ higher is better" if higher_is_better else "↓ lower is better"


# --------------------------------------------------------------------------- one (document, pair)


def _group_section(run: RunData, group: Group, gid: str, compare: tuple[str, str] | None) -> str:
    colours = {row.system: colour_for(i) for i, row in enumerate(group.rows)}
    return "\n".join([
        f'<section class="group" id="{gid}">',
        f"<h2>{_e(group.document)} · {_e(group.src_lang)} → {_e(group.tgt_lang)}</h2>",
        _source_line(group),
        "<h3>Leaderboard</h3>",
        _leaderboard(run, group, gid),
        _diagnostics_table(group),
        "<h3>Scores by metric</h3>",
        *(_metric_charts(run, group, m, colours, f"{gid}-{k}") for k, m in enumerate(run.metric_names)),
        _trust_section(run, group, colours, gid),
        "<h3>Segments</h3>",
        _segment_view(run, group, gid, colours, compare),
        "</section>",
    ])


def _source_line(group: Group) -> str:
    """Which source text the section was scored from (a document may have one per language)."""
    if not group.source_texts:
        return ""
    names = ", ".join(f"{text} ({group.src_lang})" for text in group.source_texts)
    return f'<p class="source-text">Source text: {_e(names)}</p>'


def _diagnostics_table(group: Group) -> str:
    """Segments flagged per diagnostic and system (reference-free checks, docs/diagnostics.md)."""
    counts: dict[str, dict[str, int]] = {}
    for row in group.rows:
        records = group.segments.get(row.system) or ()
        if any(r.diagnostics for r in records) or records:
            per = counts.setdefault(row.system, {})
            for record in records:
                for check in {d["check"] for d in record.diagnostics}:
                    per[check] = per.get(check, 0) + 1
    if not counts:
        return ""
    names = [n for n in DIAGNOSTIC_NAMES]
    head = "".join(f"<th>{_e(n)}</th>" for n in names)
    body = "".join(
        f"<tr><th>{_e(system)}</th>" + "".join(
            f'<td class="num{" flagged" if per.get(n) else ""}">{per.get(n, 0)}</td>' for n in names) + "</tr>"
        for system, per in counts.items()
    )
    return ('<h3>Diagnostics</h3><p class="note">Segments flagged per check, without a reference '
            "(docs/diagnostics.md). Filter the segment view below by a check to read them.</p>"
            f'<table class="diagnostics"><tr><th>system</th>{head}</tr>{body}</table>')


def _leaderboard(run: RunData, group: Group, gid: str) -> str:
    metrics = run.metric_names
    head1 = "".join(f'<th colspan="3" class="metric">{_e(m)} {_arrow(run, m)}</th>' for m in metrics)
    head2 = "".join('<th>score [95% CI]</th><th>rank</th><th>p vs baseline<br><small>bootstrap / AR</small></th>'
                    for _ in metrics)
    rows = []
    for r, row in enumerate(group.rows):
        cells = [
            (f'<th class="system" scope="row"><span class="dot" style="background:{colour_for(r)}"></span>'
             f'{_e(row.system)}{" <small>(baseline)</small>" if row.system == row.baseline else ""}</th>'),
            f"<td>{_e(row.kind)}</td>",
            f'<td class="status-{_e(row.status)}">{_e(row.status)}</td>',
            f'<td class="num">{row.n_segments}</td>',
            f"<td>{_e(' + '.join(row.references)) or '—'}</td>",
        ]
        for m in metrics:
            cells += _metric_cells(row, m, row.metrics[m], f"{gid}-n{r}")
        rows.append(f'<tr data-system="{_e(row.system)}">' + "".join(cells) + "</tr>")
    table = (
        '<div class="scroll"><table class="leaderboard">'
        f'<thead><tr><th rowspan="2">system</th><th rowspan="2">kind</th><th rowspan="2">status</th>'
        f'<th rowspan="2">segments</th><th rowspan="2">references</th>{head1}</tr><tr>{head2}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        '<p class="explain">Corpus scores with 95% bootstrap confidence intervals. Rank: significance cluster '
        "among systems scored on the same references (1 is best; systems not significantly different share a "
        "rank). p-values: paired bootstrap and approximate randomization against the baseline. "
        "“—”: empty cell, explained in the notes below.</p>"
    )
    return table + _notes(group, gid) + _signatures(run, group)


def _metric_cells(row: LeaderboardRow, metric: str, cell: MetricCell, note_id: str) -> list[str]:
    if row.status != "ok":
        return ['<td class="empty" colspan="3">no output (see notes)</td>']
    if cell.score is None:
        reason = _notes_about(row, metric)
        return [(f'<td class="empty" colspan="3" title="{_e(" | ".join(reason))}">'
                 f'<a href="#{note_id}">—</a></td>')]
    score = _fmt(cell.score)
    if cell.ci_low is not None and cell.ci_high is not None:
        score += f'<br><span class="ci">[{_fmt(cell.ci_low)}, {_fmt(cell.ci_high)}]</span>'
    rank = f"#{cell.rank}" if cell.rank is not None else "—"
    if row.system == row.baseline:
        p = "baseline"
    elif cell.p_bootstrap is None and cell.p_randomization is None:
        p = f'<a href="#{note_id}" title="{_e(" | ".join(_notes_about(row, metric)))}">—</a>'
    else:
        p = f"{_fmt_p(cell.p_bootstrap)} / {_fmt_p(cell.p_randomization)}"
    return [f'<td class="num">{score}</td>', f'<td class="num">{rank}</td>', f'<td class="num">{p}</td>']


def _notes_about(row: LeaderboardRow, metric: str) -> list[str]:
    """The row's notes about ``metric`` (``metric: …``), or all of them when none is specific."""
    specific = [n for n in row.notes if n.startswith(f"{metric}:")]
    return specific or list(row.notes)


def _notes(group: Group, gid: str) -> str:
    items = []
    for r, row in enumerate(group.rows):
        notes = list(row.notes) + ([f"error: {row.error}"] if row.error else [])
        if notes:
            items.append(f'<li id="{gid}-n{r}"><b>{_e(row.system)}</b><ul>'
                         + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul></li>")
    if not items:
        return ""
    return '<div class="notes"><h4>Notes</h4><ul>' + "".join(items) + "</ul></div>"


def _signatures(run: RunData, group: Group) -> str:
    head = "".join(f"<th>{_e(m)}</th>" for m in run.metric_names)
    rows = "".join(
        f"<tr><th scope=\"row\">{_e(row.system)}</th>"
        + "".join(f"<td><code>{_e(row.metrics[m].signature)}</code></td>" for m in run.metric_names) + "</tr>"
        for row in group.rows
    )
    return (f'<details class="signatures"><summary>Metric signatures</summary><div class="scroll">'
            f"<table><tr><th>system</th>{head}</tr>{rows}</table></div></details>")


def _arrow(run: RunData, metric: str) -> str:
    return "↑" if run.metrics[metric].higher_is_better else "↓"


# --------------------------------------------------------------------------- agreement


def _trust_section(run: RunData, group: Group, colours: dict[str, str], gid: str) -> str:
    """"Which metric to trust here": agreement with the human judgments (docs/agreement.md)."""
    key = (group.document, group.src_lang, group.tgt_lang)
    stats = [a for a in run.agreement if (a.document, a.src_lang, a.tgt_lang) == key]
    if not stats:
        return ""
    own, shared = split_notes(stats)
    rows = "".join(
        f"<tr><td>{_e(a.metric)}</td><td>{_e(a.human)}</td><td>{_e(LABELS.get(a.statistic, a.statistic))}</td>"
        f"<td>{'—' if a.value is None else f'{a.value:.3f}'}</td>"
        f"<td>{'—' if a.ci_low is None or a.ci_high is None else f'[{a.ci_low:.3f}, {a.ci_high:.3f}]'}</td>"
        f"<td>{a.n_systems}</td><td>{a.n_segments}</td><td>{_e(note)}</td></tr>"
        for a, note in zip(stats, own))
    parts = ['<div class="agreement"><h3>Which metric to trust here</h3>',
             f"<p>Agreement of each metric with the human judgments of this run. {_e(READING)}</p>",
             '<table class="agreement-table"><tr><th>metric</th><th>human</th><th>statistic</th><th>value</th>'
             f"<th>95% CI</th><th>systems</th><th>segments</th><th>note</th></tr>{rows}</table>"]
    if shared:
        parts.append('<ul class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in shared) + "</ul>")
    deltas = [d for d in run.delta_agreement if (d.document, d.src_lang, d.tgt_lang) == key]
    if deltas:
        cells = "".join(
            f"<tr><td>{_e(d.system)}</td><td>{_e(d.metric)}</td>"
            f"<td>{'—' if d.delta is None else _e(f'{d.delta:+.4g}')}</td>"
            f"<td>{'—' if d.probability is None else f'{d.probability:.2f} ({d.n_agree}/{d.n_pairs})'}</td>"
            f"<td>{_e(d.note)}</td></tr>" for d in deltas)
        parts.append("<p>Reading a delta: the share of this run's judged system pairs with at least this |delta| "
                     "on which the metric and the humans prefer the same system.</p>"
                     '<table class="agreement-table"><tr><th>system</th><th>metric</th><th>delta vs baseline</th>'
                     f"<th>humans agree</th><th>note</th></tr>{cells}</table>")
    figures = []
    for k, (metric, human) in enumerate(dict.fromkeys((a.metric, a.human) for a in stats)):
        points = [(row.system, row.metrics[metric].score, row.metrics[human].score) for row in group.rows
                  if metric in row.metrics and human in row.metrics
                  and row.metrics[metric].score is not None and row.metrics[human].score is not None]
        if points:
            figures.append(_figure(
                scatter_svg(points, colours, metric=metric, human=human,
                            metric_higher_is_better=run.metrics[metric].higher_is_better,
                            chart_id=f"{gid}-agree-{k}"),
                f"{metric} against {human}: system scores ({len(points)} systems with both)."))
    if figures:
        parts.append('<div class="chart-row">' + "".join(figures) + "</div>")
    return "".join(parts) + "</div>"


# --------------------------------------------------------------------------- charts


def _metric_charts(run: RunData, group: Group, metric: str, colours: dict[str, str], cid: str) -> str:
    meta = run.metrics[metric]
    bars = [Bar(row.system, row.metrics[metric].score, row.metrics[metric].ci_low,
                row.metrics[metric].ci_high, colours[row.system])
            for row in group.rows if row.metrics[metric].score is not None]
    missing = [row for row in group.rows if row.metrics[metric].score is None]
    parts = [(f'<div class="metric-charts" data-metric="{_e(metric)}"><h4>{_e(metric)} '
              f'<small>{_direction(meta.higher_is_better)}</small></h4>')]
    if not bars:
        parts.append(_no_scores_note(f"No {metric} score for any system here, so no chart:", missing, metric))
        return "".join(parts) + "</div>"
    parts.append('<div class="chart-row">')
    parts.append(_figure(bar_chart_svg(bars, metric=metric, higher_is_better=meta.higher_is_better,
                                       chart_id=f"{cid}-bar"),
                         f"Corpus {metric} with 95% confidence intervals." + _without(missing)))
    series = _segment_series(group, metric)
    if series:
        parts.append(_figure(
            distribution_svg(series, colours, metric=metric, chart_id=f"{cid}-dist"),
            f"Distribution of segment-level {metric} per system."
            + (" Segment BLEU is sentence-BLEU, for inspection: the corpus score is not their mean."
               if metric == "bleu" else "")))
    else:
        parts.append('<p class="note">No segment-level scores for this metric.</p>')
    return "".join(parts) + "</div></div>"


def _figure(svg: str, caption: str) -> str:
    return f'<figure class="chart">{svg}<figcaption>{_e(caption)}</figcaption></figure>'


def _without(missing: list[LeaderboardRow]) -> str:
    if not missing:
        return ""
    return " Not shown (no score, see the notes): " + ", ".join(r.system for r in missing) + "."


def _no_scores_note(lead: str, rows: list[LeaderboardRow], metric: str) -> str:
    reasons = "".join(
        f"<li><b>{_e(r.system)}</b>: {_e(' | '.join(_notes_about(r, metric)) or r.error or 'no reason recorded')}</li>"
        for r in rows)
    return f'<div class="note"><p>{_e(lead)}</p><ul>{reasons}</ul></div>'


def _segment_series(group: Group, metric: str) -> dict[str, list[float]]:
    series = {}
    for row in group.rows:
        values = [s.scores[metric] for s in group.segments.get(row.system, ())
                  if s.scores.get(metric) is not None]
        if values:
            series[row.system] = values
    return series


# --------------------------------------------------------------------------- segment view


@dataclass(frozen=True)
class _Comparison:
    metric: str
    a: str
    b: str


def _segment_view(run: RunData, group: Group, gid: str, colours: dict[str, str],
                  compare: tuple[str, str] | None) -> str:
    systems = [row.system for row in group.rows if group.segments.get(row.system)]
    if not systems:
        return '<p class="note">No system produced output here, so there are no segments to show.</p>'
    slots = group.slots()
    if len(slots) * len(systems) > INLINE_CELLS:
        return _paged_segment_view(run, group, gid, slots, systems)
    scores = {m: _score_columns(slots, systems, m) for m in run.metric_names}
    choice, note = _default_comparison(run, scores, compare)
    hidden = [row for row in group.rows if row.system not in systems]
    parts = [f'<div class="segment-view" id="{gid}-segments">']
    if hidden:
        parts.append('<p class="note">Not shown (no output): '
                     + ", ".join(f"{_e(r.system)} ({_e(r.status)})" for r in hidden) + ".</p>")
    if note:
        parts.append(f'<p class="note">{_e(note)}</p>')
    parts.append(_controls(run, scores, systems, choice))
    parts.append(_span_legend(r for slot in slots for r in slot.outputs.values()))
    data = {"scores": scores, "metric": choice.metric if choice else None,
            "a": choice.a if choice else None, "b": choice.b if choice else None}
    parts.append(f'<script type="application/json" class="segment-scores">{_json_for_script(data)}</script>')
    parts.append(_segments_table(run, group, slots, systems, colours, scores, choice))
    return "".join(parts) + "</div>"


# Above this many (segment, system) cells the segment view is paged: the texts travel once as
# gzip-compressed JSON and the browser renders one page at a time (no character diffs there).
INLINE_CELLS = 4000
PAGE_SIZE = 25


def _paged_segment_view(run: RunData, group: Group, gid: str, slots: list[SegmentSlot], systems: list[str]) -> str:
    import base64
    import gzip

    ref_ids = list(dict.fromkeys(k for s in slots for k in s.references))
    # One row per segment, its texts side by side: the outputs of a segment are alike, and
    # gzip's 32 KB window compresses them against each other.
    data = {
        "refIds": ref_ids, "systems": systems, "metrics": list(run.metric_names), "page": PAGE_SIZE,
        "rows": [
            [s.segment, s.source, [s.references.get(r, "") for r in ref_ids],
             [s.outputs[n].hypothesis if n in s.outputs else None for n in systems],
             [[None if n not in s.outputs else _round(s.outputs[n].scores.get(m)) for n in systems]
              for m in run.metric_names],
             [[[d["check"], d["severity"], d["detail"]] for d in s.outputs[n].diagnostics] if n in s.outputs else []
              for n in systems],
             [_packed_spans(s.outputs[n]) if n in s.outputs else [] for n in systems]]
            for s in slots
        ],
    }
    packed = base64.b64encode(gzip.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":"))
                                            .encode("utf-8"), mtime=0)).decode("ascii")
    checks = "".join(f'<option value="{_e(n)}">{_e(n)}</option>' for n in DIAGNOSTIC_NAMES)
    return (
        f'<div class="segment-view paged" id="{gid}-segments">'
        f'<p class="note">{len(slots)} segments × {len(systems)} systems: shown {PAGE_SIZE} segments per page, '
        "rendered in the browser from compressed data (no character differences at this size; "
        "segments.jsonl has everything).</p>"
        '<div class="controls">page <button class="prev">◀</button> <span class="pos"></span> '
        '<button class="next">▶</button> · show segments flagged by <select class="diag-filter">'
        f'<option value="">(any or none)</option>{checks}</select></div>'
        + _span_legend(r for s in slots for r in s.outputs.values())
        + f'<script type="application/octet-stream" class="segment-pack">{packed}</script>'
        f'<div class="scroll"><table class="segments" lang="{_e(group.tgt_lang)}"></table></div></div>'
    )


def _packed_spans(rec: SegmentRecord) -> list:
    """[[metric, [[start, end, severity, title], ...]], ...] for the metrics with spans here."""
    return [[metric, [[int(d["start"]), int(d["end"]),
                       d["severity"] if d["severity"] in SPAN_SEVERITIES else "minor", _span_title(d)]
                      for d in spans]]
            for metric, spans in rec.error_spans.items() if spans]


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _score_columns(slots: list[SegmentSlot], systems: list[str], metric: str) -> dict[str, list[float | None]]:
    """system -> its score per slot (None: no score), for the systems with any score."""
    columns = {}
    for system in systems:
        column = [None if system not in slot.outputs else slot.outputs[system].scores.get(metric)
                  for slot in slots]
        if any(v is not None for v in column):
            columns[system] = column
    return columns


def _default_comparison(run: RunData, scores: dict[str, dict[str, list[float | None]]],
                        compare: tuple[str, str] | None) -> tuple[_Comparison | None, str]:
    """(metric, A, B) of the initial Δ column, and a note when there is none or --compare cannot apply."""
    note = ""
    if compare is not None:
        for m in run.metric_names:
            if compare[0] in scores[m] and compare[1] in scores[m]:
                return _Comparison(m, *compare), ""
        note = (f"--compare {compare[0]} {compare[1]}: these two systems have no segment scores for the same "
                "metric here; the default comparison is shown instead. ")
    for m in run.metric_names:
        scored = list(scores[m])
        if len(scored) >= 2:
            return _Comparison(m, scored[0], scored[1]), note.strip()
    return None, (note + "Sorting by a score difference needs two systems with segment scores for the same "
                  "metric; this section has none, so segments are in document order.").strip()


def _controls(run: RunData, scores: dict[str, dict[str, list[float | None]]], systems: list[str],
              choice: _Comparison | None) -> str:
    toggle = ('<label><input type="checkbox" class="show-del" checked> show reference text missing from an '
              "output (<del>struck through</del>; <ins>underlined</ins>: in the output, not in the reference)</label>"
              ' <label>show segments flagged by <select class="diag-filter"><option value="">(any or none)</option>'
              + "".join(f'<option value="{_e(n)}">{_e(n)}</option>' for n in DIAGNOSTIC_NAMES)
              + "</select></label>")
    if choice is None:
        return f'<div class="controls">{toggle}</div>'
    metrics = [m for m in run.metric_names if scores[m]]
    scored = [s for s in systems if any(s in scores[m] for m in metrics)]

    def select(cls: str, options: list[tuple[str, str]], chosen: str) -> str:
        return (f'<select class="{cls}">' + "".join(
            f'<option value="{_e(v)}"{" selected" if v == chosen else ""}>{_e(label)}</option>'
            for v, label in options) + "</select>")

    return (
        '<div class="controls">Order segments by the difference in '
        + select("metric", [(m, m) for m in metrics], choice.metric)
        + " between A = " + select("sys-a", [(s, s) for s in scored], choice.a)
        + " and B = " + select("sys-b", [(s, s) for s in scored], choice.b)
        + ": " + select("order", list(ORDERS), "doc")
        + f"<br>{toggle}</div>"
    )


def _segments_table(run: RunData, group: Group, slots: list[SegmentSlot], systems: list[str],
                    colours: dict[str, str], scores: dict[str, dict[str, list[float | None]]],
                    choice: _Comparison | None) -> str:
    head = (f'<thead><tr><th>segment<br><small class="delta-head">{_delta_head(choice)}</small></th>'
            f"<th>source ({_e(group.src_lang)})</th><th>reference / system</th>"
            f"<th>text ({_e(group.tgt_lang)})</th><th>segment scores</th>"
            "</tr></thead>")
    bodies = []
    for i, slot in enumerate(slots):
        delta = _delta(scores, choice, i)
        # (tr attributes, cells) pairs: the segment id and the source span all rows of the segment.
        rows = [('class="ref"', (f'<td class="label">reference<br><b>{_e(ref_id)}</b></td>'
                                 f'<td class="text" lang="{_e(group.tgt_lang)}">{_e(text)}</td><td></td>'))
                for ref_id, text in slot.references.items()]
        rows += [(f'class="sys" data-system="{_e(s)}" data-checks="{_e(_checks_of(slot.outputs.get(s)))}"',
                  _system_cells(run, group, s, slot.outputs.get(s), colours[s])) for s in systems]
        span = len(rows)
        shared = (f'<th class="seg-id" rowspan="{span}" scope="rowgroup">{_e(slot.segment)}'
                  f'<div class="delta" title="score difference A − B">{_e(_fmt_delta(delta))}</div></th>'
                  f'<td class="source text" rowspan="{span}" lang="{_e(group.src_lang)}">{_e(slot.source)}</td>')
        trs = "".join(f"<tr {attrs}>{shared if k == 0 else ''}{cells}</tr>" for k, (attrs, cells) in enumerate(rows))
        # data-index: the position in the JSON score arrays, which is also document order.
        bodies.append(f'<tbody data-index="{i}" data-delta="{"" if delta is None else repr(delta)}">{trs}</tbody>')
    return f'<div class="scroll"><table class="segments">{head}{"".join(bodies)}</table></div>'


def _checks_of(rec: SegmentRecord | None) -> str:
    return " ".join(sorted({d["check"] for d in rec.diagnostics})) if rec is not None else ""


def _diagnostic_badges(rec: SegmentRecord) -> str:
    if not rec.diagnostics:
        return ""
    items = []
    for d in rec.diagnostics:
        span = d.get("span")
        quoted = f" «{_e(rec.hypothesis[span[0]:span[1]])}»" if span else ""
        items.append(f'<li class="diag {_e(d["severity"])}" data-check="{_e(d["check"])}">'
                     f'<b>{_e(d["check"])}</b> ({_e(d["severity"])}): {_e(d["detail"])}{quoted}</li>')
    return f'<ul class="diags">{"".join(items)}</ul>'


def _marked(text: str, diagnostics: tuple[dict, ...]) -> str:
    """The hypothesis with the flagged spans in <mark> (spans that overlap are merged)."""
    spans = sorted((d["span"][0], d["span"][1]) for d in diagnostics if d.get("span"))
    out, pos = [], 0
    for start, end in spans:
        start = max(start, pos)
        if start >= end:
            continue
        out += [_e(text[pos:start]), f"<mark>{_e(text[start:end])}</mark>"]
        pos = end
    return "".join(out) + _e(text[pos:])


# Severities of error spans (mtqe.metrics.base.SEVERITIES; the report reads results, not metrics).
SPAN_SEVERITIES = ("minor", "major", "critical")


def _error_spans(rec: SegmentRecord) -> str:
    """Per metric that marked errors in this hypothesis (XCOMET, an LLM judge): the hypothesis
    again with its error spans in <mark>, one class per severity, confidence in the tooltip."""
    lines = [
        f'<div class="espans" data-metric="{_e(metric)}"><span class="espans-metric">{_e(metric)}</span> '
        f"{_span_marked(rec.hypothesis, spans)}</div>"
        for metric, spans in rec.error_spans.items() if spans
    ]
    return "".join(lines)


def _span_marked(text: str, spans: list[dict]) -> str:
    """``text`` with each span [start, end) in a <mark>; a span overlapping an earlier one is cut."""
    out, pos = [], 0
    for span in sorted(spans, key=lambda d: (int(d["start"]), int(d["end"]))):
        start, end = max(int(span["start"]), pos), min(int(span["end"]), len(text))
        if start >= end:
            continue
        severity = span["severity"] if span["severity"] in SPAN_SEVERITIES else "minor"
        out += [_e(text[pos:start]),
                f'<mark class="espan {severity}" data-severity="{severity}" title="{_e(_span_title(span))}">'
                f"{_e(text[start:end])}</mark>"]
        pos = end
    return "".join(out) + _e(text[pos:])


def _span_title(span: dict) -> str:
    parts = [str(span["severity"])]
    if span.get("category"):
        parts.append(str(span["category"]))
    if span.get("confidence") is not None:
        parts.append(f"confidence {float(span['confidence']):.2f}")
    return " · ".join(parts)


def _span_legend(records) -> str:
    """The colour key of the error-span marks, when any hypothesis here has spans."""
    if not any(spans for rec in records for spans in rec.error_spans.values()):
        return ""
    marks = " ".join(f'<mark class="espan {s}">{s}</mark>' for s in SPAN_SEVERITIES)
    return (f'<p class="span-legend">Error spans marked by a metric (under each output, per metric): {marks}; '
            "hover a mark for its confidence.</p>")


def _system_cells(run: RunData, group: Group, system: str, rec: SegmentRecord | None, colour: str) -> str:
    label = f'<td class="label"><span class="dot" style="background:{colour}"></span><b>{_e(system)}</b></td>'
    if rec is None:
        return f'{label}<td class="text">(no output for this segment)</td><td></td>'
    diff = None
    if rec.references:
        # The first of the references this system was scored against (leave-one-out may
        # exclude its own text), so the highlighting matches what the metrics saw.
        ref_id, ref = next(iter(rec.references.items()))
        diff = char_diff_html(rec.hypothesis, ref)
        text = diff if diff is not None else _e(rec.hypothesis)
        title = f"differences against {ref_id}" if diff is not None else "too long to highlight differences"
    else:
        text, title = _e(rec.hypothesis), "no reference for this system (nothing to compare against)"
    if any(d.get("span") for d in rec.diagnostics) and (not rec.references or diff is None):
        text = _marked(rec.hypothesis, rec.diagnostics)  # flagged spans; the diff view quotes them below
    scores = "<br>".join(f"{_e(m)} {_e(_fmt_opt(rec.scores.get(m)))}" for m in run.metric_names)
    return (f'{label}<td class="text hyp" lang="{_e(group.tgt_lang)}" title="{_e(title)}">{text}'
            f'{_error_spans(rec)}{_diagnostic_badges(rec)}</td><td class="num scores">{scores}</td>')


def _delta(scores: dict[str, dict[str, list[float | None]]], choice: _Comparison | None, i: int) -> float | None:
    if choice is None:
        return None
    per_system = scores.get(choice.metric, {})
    a, b = per_system.get(choice.a), per_system.get(choice.b)
    if a is None or b is None or i >= len(a) or i >= len(b) or a[i] is None or b[i] is None:
        return None
    return a[i] - b[i]


def _delta_head(choice: _Comparison | None) -> str:
    if choice is None:
        return ""
    return f"Δ {_e(choice.metric)} A − B ({_e(choice.a)} − {_e(choice.b)})"


# --------------------------------------------------------------------------- formatting


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _fmt(value: float) -> str:
    # Same convention as report.md: 0–100 scales with 2 decimals, 0–1 scales with 4.
    return f"{value:.2f}" if abs(value) >= 1.5 else f"{value:.4f}"


def _fmt_opt(value: float | None) -> str:
    return "—" if value is None else _fmt(value)


def _fmt_p(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def _fmt_delta(value: float | None) -> str:
    if value is None:
        return ""
    text = _fmt(value)
    if float(text) == 0:  # no "+0.0000" / "-0.0000" for float noise (sentence-BLEU of 1e-16)
        return _fmt(0.0)
    return ("+" if value > 0 else "") + text


def _json_for_script(data: object) -> str:
    """JSON safe inside <script>: no ``</script>`` or ``<!--`` can be formed from the data."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


# --------------------------------------------------------------------------- page template

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mtqe">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
{body}
<script>{js}</script>
</body>
</html>
"""

# CJK-capable fonts first for each platform (macOS, Windows, Linux) so Japanese and Chinese
# render without tofu; the lang attributes on text cells pick Japanese vs Chinese glyph forms.
CSS = """
:root { --font: system-ui, -apple-system, "Segoe UI", "Helvetica Neue", Arial, "Hiragino Sans",
  "Hiragino Kaku Gothic ProN", "PingFang SC", "Yu Gothic", "Meiryo", "Microsoft YaHei",
  "Noto Sans CJK JP", "Noto Sans CJK SC", "Source Han Sans", "WenQuanYi Micro Hei",
  "Droid Sans Fallback", sans-serif; }
body { font-family: var(--font); margin: 1.5rem auto; max-width: 1400px; padding: 0 1rem; color: #222;
  line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: .2rem; margin-top: 2.5rem; }
h3 { margin-top: 2rem; }
h4 { margin: 1.2rem 0 .4rem; }
small { color: #666; font-weight: normal; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; font-size: .9rem; }
.facts dt { color: #666; } .facts dd { margin: 0; word-break: break-all; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { border: 1px solid #ddd; padding: .3rem .5rem; vertical-align: top; text-align: left; }
thead th { background: #f4f4f4; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.ci { color: #666; font-size: .85em; }
.empty { color: #999; text-align: center; }
.empty a, .num a { color: #999; text-decoration: none; }
.status-error { color: #b00020; font-weight: bold; }
.dot { display: inline-block; width: .7em; height: .7em; border-radius: 50%; margin-right: .35em; }
.scroll { overflow-x: auto; }
.leaderboard th.metric { text-align: center; }
.leaderboard th.system { white-space: nowrap; }
.explain, .note, figcaption { color: #555; font-size: .85rem; }
.note { background: #fff8e1; border-left: 3px solid #f0b400; padding: .4rem .7rem; }
.notes { font-size: .85rem; } .notes li:target { background: #fff8e1; }
.warnings { background: #fdecea; padding: .2rem 1rem; }
.warnings h2 { font-size: 1.1rem; border: 0; margin-top: .6rem; }
.metrics-legend { margin-top: .8rem; }
.chart-row { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1rem; }
figure.chart { margin: 0; }
figure.chart svg { width: 100%; height: auto; }
figure.chart svg text { font-family: var(--font) !important; }
.controls { background: #f4f7fb; border: 1px solid #dde5ef; padding: .5rem .8rem; margin: .5rem 0;
  font-size: .9rem; line-height: 2; }
table.segments { width: 100%; table-layout: fixed; }
table.segments thead th:nth-child(1) { width: 7rem; }
table.segments thead th:nth-child(2) { width: 30%; }
table.segments thead th:nth-child(3) { width: 11rem; }
table.segments thead th:nth-child(5) { width: 8rem; }
table.segments tbody { border-top: 3px solid #bbb; }
.seg-id { background: #fafafa; font-weight: normal; overflow-wrap: anywhere; }
.delta { font-variant-numeric: tabular-nums; color: #333; font-weight: bold; margin-top: .3rem; }
.text { white-space: pre-wrap; word-break: break-word; }
tr.ref td { background: #f7fbf7; }
.label { font-size: .85rem; overflow-wrap: anywhere; }
tr.sys[data-role="A"] .label b::after { content: " (A)"; color: #1f77b4; }
tr.sys[data-role="B"] .label b::after { content: " (B)"; color: #d62728; }
ins { background: #d4f7d4; text-decoration: underline #2a8a2a; }
del { background: #fbdada; color: #8a1f1f; }
.hide-del del { display: none; }
ul.diags { margin: .3em 0 0; padding-left: 1.2em; font-size: .85em; }
li.diag.major { color: #b00020; }
li.diag.minor { color: #8a6d00; }
td.hyp mark { background: #ffe08a; }
.espans { margin-top: .3em; font-size: .9em; }
.espans-metric { color: #666; font-size: .8em; }
mark.espan { border-bottom: 2px solid; padding: 0 1px; cursor: help; }
mark.espan.minor, td.hyp mark.espan.minor { background: #fff3b0; border-color: #c9a400; }
mark.espan.major, td.hyp mark.espan.major { background: #ffd0a0; border-color: #e06c00; }
mark.espan.critical, td.hyp mark.espan.critical { background: #f4a0a8; border-color: #b00020; font-weight: bold; }
.span-legend { font-size: .85rem; color: #555; }
table.diagnostics td.flagged { background: #fde8e8; font-weight: bold; }
.scores { font-size: .8rem; }
"""

# Sorting and the comparison choice are the only things that need JS; without it the page
# still shows everything, in document order, with the default Δ. The URL hash may preset the
# controls (#order=abs&metric=chrf&a=X&b=Y), which also lets a headless browser test sorting.
JS = r"""
(function () {
  "use strict";
  var params = {};
  location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
    var i = kv.indexOf("=");
    if (i > 0) { params[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1)); }
  });
  function fmt(d) {
    if (d === null) { return ""; }
    var s = Math.abs(d) >= 1.5 ? d.toFixed(2) : d.toFixed(4);
    if (Number(s) === 0) { return (0).toFixed(4); }
    return d > 0 ? "+" + s : s;
  }
  function preset(select, value) {
    if (!select || value === undefined) { return; }
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) { select.value = value; }
    }
  }
  function esc(t) {
    return String(t).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  // The same marking as _span_marked in html.py: offsets are characters (code points) of the text.
  function markSpans(text, spans) {
    var chars = Array.from(text), out = "", pos = 0;
    spans.slice().sort(function (x, y) { return x[0] - y[0] || x[1] - y[1]; }).forEach(function (sp) {
      var start = Math.max(sp[0], pos), end = Math.min(sp[1], chars.length);
      if (start >= end) { return; }
      out += esc(chars.slice(pos, start).join("")) + '<mark class="espan ' + esc(sp[2]) + '" data-severity="' + esc(sp[2]) +
        '" title="' + esc(sp[3]) + '">' + esc(chars.slice(start, end).join("")) + "</mark>";
      pos = end;
    });
    return out + esc(chars.slice(pos).join(""));
  }
  document.querySelectorAll(".segment-view.paged").forEach(function (view) {
    var node = view.querySelector("script.segment-pack");
    var bytes = Uint8Array.from(atob(node.textContent.trim()), function (c) { return c.charCodeAt(0); });
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    new Response(stream).json().then(function (d) {
      var table = view.querySelector("table.segments"), pos = view.querySelector(".pos");
      var filter = view.querySelector("select.diag-filter"), page = 0, shown = [];
      function flagged(row) {
        return !filter.value || row[5].some(function (ds) { return ds.some(function (x) { return x[0] === filter.value; }); });
      }
      function render() {
        shown = d.rows.filter(flagged);
        var pages = Math.max(1, Math.ceil(shown.length / d.page));
        page = Math.min(page, pages - 1);
        pos.textContent = (page + 1) + " / " + pages + " (" + shown.length + " segments)";
        var html = "<thead><tr><th>segment</th><th>source</th><th>reference / system</th><th>text</th><th>scores</th></tr></thead>";
        shown.slice(page * d.page, (page + 1) * d.page).forEach(function (row) {
          var rows = d.refIds.map(function (r, k) {
            return '<tr class="ref"><td class="label">reference<br><b>' + esc(r) + '</b></td><td class="text">' + esc(row[2][k]) + "</td><td></td></tr>";
          });
          d.systems.forEach(function (s, k) {
            var hyp = row[3][k];
            var diags = row[5][k].map(function (x) {
              return '<li class="diag ' + esc(x[1]) + '" data-check="' + esc(x[0]) + '"><b>' + esc(x[0]) + "</b> (" + esc(x[1]) + "): " + esc(x[2]) + "</li>";
            }).join("");
            var sc = d.metrics.map(function (m, j) { var v = row[4][j][k]; return esc(m) + " " + (v === null ? "" : v); }).join("<br>");
            var spans = (row[6] || [])[k] || [];
            var marked = spans.map(function (ms) {
              return '<div class="espans" data-metric="' + esc(ms[0]) + '"><span class="espans-metric">' + esc(ms[0]) + "</span> " + markSpans(hyp || "", ms[1]) + "</div>";
            }).join("");
            rows.push('<tr class="sys" data-system="' + esc(s) + '"><td class="label"><b>' + esc(s) + '</b></td><td class="text hyp">' +
              (hyp === null ? "(no output)" : esc(hyp)) + marked + (diags ? '<ul class="diags">' + diags + "</ul>" : "") +
              '</td><td class="num scores">' + sc + "</td></tr>");
          });
          var head = '<th class="seg-id" rowspan="' + rows.length + '">' + esc(row[0]) + '</th><td class="source text" rowspan="' + rows.length + '">' + esc(row[1]) + "</td>";
          html += "<tbody>" + rows.map(function (r, k) { return k ? r : r.replace(/^<tr([^>]*)>/, "<tr$1>" + head); }).join("") + "</tbody>";
        });
        table.innerHTML = html;
      }
      view.querySelector(".prev").addEventListener("click", function () { page = Math.max(0, page - 1); render(); });
      view.querySelector(".next").addEventListener("click", function () { page += 1; render(); });
      filter.addEventListener("change", function () { page = 0; render(); });
      render();
      view.setAttribute("data-rendered", "1");
    });
  });
  document.querySelectorAll(".segment-view:not(.paged)").forEach(function (view) {
    var table = view.querySelector("table.segments");
    var toggle = view.querySelector("input.show-del");
    if (toggle) {
      toggle.addEventListener("change", function () { view.classList.toggle("hide-del", !toggle.checked); });
    }
    var diagFilter = view.querySelector("select.diag-filter");
    if (diagFilter) {
      diagFilter.addEventListener("change", function () {
        var want = diagFilter.value;
        view.querySelectorAll("table.segments tbody").forEach(function (body) {
          var hit = !want || Array.prototype.some.call(body.querySelectorAll("tr.sys"), function (tr) {
            return (" " + tr.getAttribute("data-checks") + " ").indexOf(" " + want + " ") >= 0;
          });
          body.style.display = hit ? "" : "none";
        });
      });
    }
    var dataNode = view.querySelector("script.segment-scores");
    var metric = view.querySelector("select.metric");
    if (!dataNode || !metric || !table) { return; }
    var data = JSON.parse(dataNode.textContent);
    var a = view.querySelector("select.sys-a"), b = view.querySelector("select.sys-b");
    var order = view.querySelector("select.order");
    preset(metric, params.metric); preset(a, params.a); preset(b, params.b); preset(order, params.order);
    function delta(i) {
      var per = data.scores[metric.value] || {};
      var x = (per[a.value] || [])[i], y = (per[b.value] || [])[i];
      return (x === null || x === undefined || y === null || y === undefined) ? null : x - y;
    }
    function update() {
      var bodies = Array.prototype.slice.call(table.tBodies);
      bodies.forEach(function (body) {
        var d = delta(Number(body.getAttribute("data-index")));
        body.setAttribute("data-delta", d === null ? "" : String(d));
        body.querySelector(".delta").textContent = fmt(d);
        body.querySelectorAll("tr.sys").forEach(function (tr) {
          var s = tr.getAttribute("data-system");
          tr.setAttribute("data-role", s === a.value ? "A" : (s === b.value ? "B" : ""));
        });
      });
      var head = view.querySelector(".delta-head");
      if (head) { head.textContent = "Δ " + metric.value + " A − B (" + a.value + " − " + b.value + ")"; }
      var key = function (body) {
        var v = body.getAttribute("data-delta");
        return v === "" ? null : Number(v);
      };
      var mode = order.value;
      bodies.sort(function (x, y) {
        var ix = Number(x.getAttribute("data-index")), iy = Number(y.getAttribute("data-index"));
        if (mode === "doc") { return ix - iy; }
        var dx = key(x), dy = key(y);
        if (dx === null || dy === null) { return (dx === null) - (dy === null) || ix - iy; }
        var diff = mode === "desc" ? dy - dx : (mode === "asc" ? dx - dy : Math.abs(dy) - Math.abs(dx));
        return diff || ix - iy;
      });
      bodies.forEach(function (body) { table.appendChild(body); });
    }
    [metric, a, b, order].forEach(function (s) { s.addEventListener("change", update); });
    update();
  });
  document.documentElement.setAttribute("data-report-ready", "1");
})();
"""
