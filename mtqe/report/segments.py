"""segments.jsonl (per segment and system) and translations/ (one file per system output)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mtqe.io import atomic_write_jsonl, atomic_write_text, path_under, safe_file_name
from mtqe.results import RunResult, finite_or_none

TRANSLATIONS_DIR = "translations"


def segment_rows(result: RunResult) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for row in result.rows:
        if row.output is None or row.subset != "all":  # a subset row's segments are its document's
            continue
        texts = result.texts_for(row.document, row.src_lang, row.tgt_lang)
        for i, hyp in enumerate(row.output.hypotheses):
            rows.append({
                "document": row.document,
                "src_lang": row.src_lang,
                "tgt_lang": row.tgt_lang,
                "source_text": row.source_text,
                "system": row.system,
                "segment": texts.segment_ids[i],
                "index": i,
                "source": texts.sources[i],
                "hypothesis": hyp,
                **({"doc_id": texts.doc_ids[i], "domain": texts.domains[i]} if texts.doc_ids else {}),
                "references": {r: texts.references[r][i] for r in row.references},
                "scores": {
                    name: (finite_or_none(res.segment_scores[i]) if res.segment_scores is not None else None)
                    for name, res in row.metrics.items()
                },
                # The segment's row of sufficient statistics (MetricResult.stats), for anyone
                # resampling a selection of segments without re-scoring.
                "stats": {
                    name: (res.stats[i].tolist() if res.stats is not None else None)
                    for name, res in row.metrics.items()
                },
                # Error spans a metric marked in the hypothesis (XCOMET, LLM judges), per metric.
                "error_spans": {
                    name: [span.to_json() for span in res.segment_spans[i]]
                    for name, res in row.metrics.items() if res.segment_spans is not None
                },
                # Reference-free findings (docs/diagnostics.md); [] when clean or not run.
                "diagnostics": [d.to_json() for d in row.diagnostics[i]] if row.diagnostics else [],
            })
    return rows


def write_segments(result: RunResult, out_dir: Path) -> Path:
    path = path_under(out_dir, "segments.jsonl")
    atomic_write_jsonl(path, segment_rows(result))
    return path


def translation_file_name(document: str, src: str, tgt: str, system: str) -> str:
    """``<document>.<src>-<tgt>.<system>.txt``, made a safe file name (:func:`mtqe.io.safe_file_name`)."""
    return safe_file_name(f"{document}.{src}-{tgt}.{system}") + ".txt"


def write_translations(result: RunResult, out_dir: Path) -> list[Path]:
    """One hypothesis per line, in segment order (newlines inside a hypothesis become spaces)."""
    paths = []
    for row in result.rows:
        if row.output is None or row.subset != "all":
            continue
        name = translation_file_name(row.document, row.src_lang, row.tgt_lang, row.system)
        path = path_under(out_dir, TRANSLATIONS_DIR, name)
        atomic_write_text(path, "".join(h.replace("\n", " ") + "\n" for h in row.output.hypotheses))
        paths.append(path)
    return paths
