"""Charts of the HTML report, drawn by matplotlib without pyplot, as inline SVG strings.

SVG rather than PNG: it stays sharp when zoomed and keeps text as text (``svg.fonttype:
none``), so the browser draws labels with the page's CJK-capable fonts. No pyplot, and
matplotlib settings only inside ``rc_context``: drawing a chart changes no global state.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# A colour per system, by its position in the group, so a system has the same colour in
# every chart of a section (matplotlib's tab10).
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)
WIDTH_IN = 7.0


@dataclass(frozen=True)
class Bar:
    system: str
    score: float
    ci_low: float | None
    ci_high: float | None
    colour: str


def colour_for(position: int) -> str:
    return PALETTE[position % len(PALETTE)]


def bar_chart_svg(bars: list[Bar], *, metric: str, higher_is_better: bool, chart_id: str) -> str:
    """Horizontal bars (corpus scores) with 95% CI whiskers; ``chart_id`` must be unique in the page."""
    if not bars:
        raise ValueError("bar_chart_svg needs at least one bar")
    with _report_style(chart_id):
        fig, ax = _new_axes(len(bars))
        ys = list(range(len(bars)))[::-1]  # first system on top, as in the table
        ax.barh(ys, [b.score for b in bars], color=[b.colour for b in bars], height=0.6, alpha=0.85)
        for y, bar in zip(ys, bars):
            if bar.ci_low is None or bar.ci_high is None:
                continue
            # Drawn from the interval itself, not as ± errors around the score: a percentile
            # bootstrap interval need not contain the point estimate (see stats.ConfidenceInterval).
            ax.hlines(y, bar.ci_low, bar.ci_high, color="#222222", linewidth=1.4)
            ax.vlines([bar.ci_low, bar.ci_high], y - 0.15, y + 0.15, color="#222222", linewidth=1.4)
        for y, bar in zip(ys, bars):
            right = max(bar.score, bar.ci_high if bar.ci_high is not None else bar.score, 0.0)
            ax.annotate(_fmt(bar.score), (right, y), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=9)
        ax.set_yticks(ys, [b.system for b in bars])
        values = [v for b in bars for v in (b.score, b.ci_low, b.ci_high) if v is not None]
        low, high = min(0.0, *values), max(0.0, *values)
        span = (high - low) or 1.0
        ax.set_xlim(low - (0.02 * span if low < 0 else 0.0), high + 0.18 * span)
        direction = "higher is better" if higher_is_better else "lower is better"
        ax.set_xlabel(f"{metric} (corpus score, 95% CI; {direction})")
        ax.axvline(0, color="#888888", linewidth=0.8)
        ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
        ax.set_axisbelow(True)
        return _svg(fig)


def scatter_svg(points: list[tuple[str, float, float]], colours: dict[str, str], *, metric: str, human: str,
                metric_higher_is_better: bool, chart_id: str) -> str:
    """Metric (x) against human (y) system scores, one labelled dot per system."""
    if not points:
        raise ValueError("scatter_svg needs at least one system")
    with _report_style(chart_id):
        from matplotlib.figure import Figure

        fig = Figure(figsize=(4.2, 3.4), layout="constrained")
        ax = fig.add_subplot()
        ax.spines[["top", "right"]].set_visible(False)
        for system, x, y in points:
            ax.scatter([x], [y], s=28, color=colours.get(system, PALETTE[0]), zorder=3)
            ax.annotate(system, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=8)
        ax.margins(x=0.18, y=0.12)  # room for the labels of the outermost dots
        direction = "higher is better" if metric_higher_is_better else "lower is better"
        ax.set_xlabel(f"{metric} ({direction})")
        ax.set_ylabel(f"{human} (system mean)")
        ax.grid(color="#e5e5e5", linewidth=0.8)
        ax.set_axisbelow(True)
        return _svg(fig)


MAX_DOTS = 3000  # segment dots drawn in one chart; more make the SVG large and unreadable


def distribution_svg(series: dict[str, list[float]], colours: dict[str, str], *, metric: str,
                     chart_id: str) -> str:
    """Box plot of segment scores per system, with the segments as dots over it."""
    if not series:
        raise ValueError("distribution_svg needs at least one system")
    import numpy as np

    names = list(series)
    with _report_style(chart_id):
        fig, ax = _new_axes(len(names))
        ys = list(range(len(names)))[::-1]
        boxes = ax.boxplot([series[n] for n in names], positions=ys, widths=0.55, patch_artist=True,
                           showfliers=False, medianprops={"color": "#222222"}, **_horizontal())
        for patch, name in zip(boxes["boxes"], names):
            patch.set_facecolor(colours[name])
            patch.set_alpha(0.35)
        # A local, seeded generator: the jitter is the same on every rebuild of the report.
        rng = np.random.default_rng(0)
        dots = sum(len(v) for v in series.values()) <= MAX_DOTS  # above: boxes only (an aggregate)
        for y, name in zip(ys if dots else (), names):
            values = series[name]
            ax.scatter(values, y + rng.uniform(-0.18, 0.18, len(values)), s=9, color=colours[name],
                       alpha=0.7, linewidths=0)
        ax.set_yticks(ys, names)
        ax.set_xlabel(f"{metric} per segment (box: quartiles; line: median"
                      + ("; dots: segments)" if dots else f"; over {MAX_DOTS} segments: no dots)"))
        ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
        ax.set_axisbelow(True)
        return _svg(fig)


@contextmanager
def _report_style(chart_id: str) -> Iterator[None]:
    """Report rc settings for the duration of one chart (restored on exit)."""
    import matplotlib

    with matplotlib.rc_context(_rc(chart_id)):
        yield


def _new_axes(n_rows: int) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    # A bare Figure is drawn by the Agg-based SVG backend without pyplot: no backend switch,
    # no figure registry to leak.
    fig = Figure(figsize=(WIDTH_IN, 0.9 + 0.45 * n_rows), layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _svg(fig: Figure) -> str:
    """The figure as an SVG element, without the XML prologue, ready to inline in HTML."""
    buffer = io.StringIO()
    # metadata Date=None: the same run gives a byte-identical report.
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _horizontal() -> dict[str, object]:
    """boxplot's horizontal switch: ``vert=False`` is deprecated from matplotlib 3.11, and its
    replacement ``orientation`` only exists from 3.10 (pyproject allows >= 3.8)."""
    import matplotlib

    major, minor = (int(x) for x in matplotlib.__version__.split(".")[:2])
    return {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}


def _rc(chart_id: str) -> dict[str, object]:
    return {
        "svg.fonttype": "none",
        # Element ids in matplotlib's SVG are hashes salted with this: a salt per chart keeps
        # ids unique across the many SVGs inlined into one page, and stable between builds.
        "svg.hashsalt": f"mtqe-{chart_id}",
        "font.size": 10,
        "font.family": "sans-serif",
        # Text stays text in the SVG: a short list, and the page's CSS supplies CJK fallbacks.
        "font.sans-serif": ["DejaVu Sans", "Arial"],
    }


def _fmt(value: float) -> str:
    return f"{value:.2f}" if abs(value) >= 1.5 else f"{value:.4f}"
