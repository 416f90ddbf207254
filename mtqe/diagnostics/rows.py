"""Diagnostics for the rows of a run: each system's output against its document's sources."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from mtqe.diagnostics.model import Segment
from mtqe.diagnostics.run import diagnose
from mtqe.diagnostics.xsim import add_unit_similarities
from mtqe.results import DocumentTexts, SystemResult


def diagnose_rows(
    rows: Sequence[SystemResult],
    texts: Mapping[tuple[str, str, str], DocumentTexts],
    *,
    embedder=None,
    checks: Sequence[str] | None = None,
    advance: Callable[[int], None] | None = None,
) -> list[SystemResult]:
    """New rows with ``diagnostics`` filled for every row that has output."""
    from mtqe.corpus.segment import split_sentences

    out = []
    for row in rows:
        if row.output is None:
            out.append(row)
            continue
        doc = texts[(row.document, row.src_lang, row.tgt_lang)]
        flags = row.output.segment_flags or (frozenset(),) * len(doc.sources)
        segments = [
            Segment(src, hyp, row.src_lang, row.tgt_lang, flag)
            for src, hyp, flag in zip(doc.sources, row.output.hypotheses, flags)
        ]
        segments = add_unit_similarities(segments, embedder, split_sentences)
        out.append(replace(row, diagnostics=tuple(diagnose(segments, checks))))
        if advance is not None:
            advance(len(segments))
    return out
