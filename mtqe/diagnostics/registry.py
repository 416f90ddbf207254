"""The checks: name → (function, description, the severities it can give). The only list of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from mtqe.diagnostics.coverage import check_addition, check_omission
from mtqe.diagnostics.entities import check_entities
from mtqe.diagnostics.language import check_language
from mtqe.diagnostics.length import check_length
from mtqe.diagnostics.model import Diagnostic, Segment
from mtqe.diagnostics.numbers import check_numbers
from mtqe.diagnostics.repetition import check_repetition
from mtqe.registry import Registry, build_registry


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[Segment], list[Diagnostic]]
    description: str
    reports: tuple[str, ...]  # the diagnostic names it can emit (language emits two)


CHECKS: Registry[Check] = build_registry("check", [(c.name, c) for c in (
    Check("omission", check_omission, "source content missing from the output", ("omission",)),
    Check("addition", check_addition, "output content with no source", ("addition",)),
    Check("number", check_numbers, "numbers, dates, percentages differ from the source (normalised across scripts)", ("number",)),
    Check("entity", check_entities, "Latin-script names and acronyms of the source missing", ("entity",)),
    Check("language", check_language, "untranslated text, or text in another language or script", ("untranslated", "wrong_language")),
    Check("repetition", check_repetition, "repetition loops and duplicated n-grams", ("repetition",)),
    Check("length", check_length, "length-ratio outliers against the pair's length model", ("length",)),
)])

# What the leaderboard counts per system (one column per reported name, in this order).
DIAGNOSTIC_NAMES: tuple[str, ...] = tuple(name for check in (CHECKS.get(n) for n in CHECKS.entries) for name in check.reports)
