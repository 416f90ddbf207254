"""The values a check reads and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["major", "minor"]
SEVERITIES: tuple[str, ...] = ("major", "minor")


@dataclass(frozen=True)
class Diagnostic:
    """One finding: ``span`` is (start, end) in the hypothesis, or None when it is about what is missing."""

    check: str
    severity: str
    detail: str
    span: tuple[int, int] | None = None

    def to_json(self) -> dict:
        return {"check": self.check, "severity": self.severity, "detail": self.detail,
                "span": list(self.span) if self.span else None}

    @staticmethod
    def from_json(data: dict) -> "Diagnostic":
        span = data.get("span")
        return Diagnostic(str(data["check"]), str(data["severity"]), str(data["detail"]),
                          (int(span[0]), int(span[1])) if span else None)


@dataclass(frozen=True)
class Segment:
    """What a check sees: one source segment, one hypothesis, the pair, and alignment flags.

    ``flags`` come from the corpus stage for an existing translation (``omission``: the text has
    no counterpart of this source segment; ``addition``: it has text here with no source).
    """

    source: str
    hypothesis: str
    src_lang: str
    tgt_lang: str
    flags: frozenset[str] = field(default_factory=frozenset)
    # Cross-lingual similarity of each hypothesis sentence to the source, where an embedder has
    # measured it (segments whose link gave them extra sentences: see xsim.add_unit_similarities).
    unit_similarities: tuple[float, ...] = ()
