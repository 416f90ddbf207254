"""Run the selected checks over a system's segments."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from mtqe.diagnostics.model import Diagnostic, Segment
from mtqe.diagnostics.registry import CHECKS, DIAGNOSTIC_NAMES


def diagnose(segments: Sequence[Segment], checks: Sequence[str] | None = None) -> list[tuple[Diagnostic, ...]]:
    """Per segment, every finding of the checks (all registered checks when ``checks`` is None)."""
    selected = [CHECKS.get(name) for name in (checks if checks is not None else list(CHECKS.entries))]
    return [tuple(d for check in selected for d in check.run(segment)) for segment in segments]


def flagged_counts(findings: Sequence[tuple[Diagnostic, ...]]) -> dict[str, int]:
    """Per diagnostic name, how many segments it flags (a segment counts once per name)."""
    counts = Counter(name for per_segment in findings for name in {d.check for d in per_segment})
    return {name: counts.get(name, 0) for name in DIAGNOSTIC_NAMES}
