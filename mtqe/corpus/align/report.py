"""What a run says about its alignment: warnings, facts for run.json, and the exclusion rule.

Kept out of the pipeline so that the rule "low-confidence segments are listed, and dropped
from scoring only when the run asks for it" lives in one tested place.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from mtqe.corpus.model import ParallelDocument

# How many notes a console warning quotes before "… and N more" (run.json lists them all).
SHOWN_IN_WARNING = 5


@dataclass(frozen=True)
class PreparedDocuments:
    documents: list[ParallelDocument]
    warnings: list[str]
    facts: dict[str, Any]  # document -> what the alignment did (for run.json "facts.alignment")
    excluded: dict[str, list[str]]  # document -> ids of segments dropped from scoring


def prepare_documents(docs: list[ParallelDocument], *, exclude_low_confidence: bool, threshold: float) -> PreparedDocuments:
    """Apply the exclusion rule and describe every document's alignment notes."""
    kept_docs: list[ParallelDocument] = []
    warnings: list[str] = []
    facts: dict[str, Any] = {}
    excluded: dict[str, list[str]] = {}
    for doc in docs:
        low = [s for s in doc.segments if s.confidence < threshold]
        dropped = [s.seg_id for s in low] if exclude_low_confidence else []
        if dropped and len(dropped) == len(doc.segments):
            # Scoring nothing would hide the problem behind empty cells; keep them and say so.
            warnings.append(f"{doc.document}: every segment is low-confidence; none excluded")
            dropped = []
        if dropped:
            doc = dataclasses.replace(doc, segments=tuple(s for s in doc.segments if s.seg_id not in set(dropped)))
        kept_docs.append(doc)
        excluded[doc.document] = dropped
        facts[doc.document] = {
            "unit": doc.unit,
            "segments_scored": len(doc.segments),
            "low_confidence_threshold": threshold,
            "low_confidence_excluded": dropped,
            "shapes": _shape_counts(doc),
            "notes": [
                {"kind": n.kind, "text": n.text_id, "where": n.where, "confidence": round(n.confidence, 4),
                 "source": n.source, "target": n.target}
                for n in doc.notes
            ],
        }
        warnings += _warnings(doc, dropped)
    return PreparedDocuments(kept_docs, warnings, facts, excluded)


def _shape_counts(doc: ParallelDocument) -> dict[str, int]:
    counts: dict[str, int] = {}
    for segment in doc.segments:
        for shape in segment.shapes.values():
            counts[shape] = counts.get(shape, 0) + 1
    return dict(sorted(counts.items()))


def _warnings(doc: ParallelDocument, dropped: list[str]) -> list[str]:
    lines = []
    for kind, label in (
        ("low_confidence", "low-confidence link(s)"),
        ("partial", "segment(s) a target covers only in part"),
        ("uncovered", "source segment(s) without counterpart, not scored"),
        ("target_only", "target unit(s) without source, not scored"),
        ("strict_fallback", "target text(s) whose paragraph length ratios were out of band, aligned n:m instead of 1:1"),
    ):
        notes = [n for n in doc.notes if n.kind == kind]
        if not notes:
            continue
        shown = "; ".join(n.describe() for n in notes[:SHOWN_IN_WARNING])
        more = f"; … and {len(notes) - SHOWN_IN_WARNING} more" if len(notes) > SHOWN_IN_WARNING else ""
        lines.append(f"{doc.document} ({doc.unit}): {len(notes)} {label}: {shown}{more}")
    if dropped:
        lines.append(f"{doc.document}: excluded from scoring (exclude_low_confidence): {', '.join(dropped)}")
    return lines
