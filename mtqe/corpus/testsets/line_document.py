"""A line-segmented document → a :class:`ParallelDocument`: line i of every text is segment i."""

from __future__ import annotations

from mtqe.corpus.model import AlignedSegment, AlignmentNote, DocumentSpec, ParallelDocument, TextSpec
from mtqe.corpus.reading import read_raw_bytes, decode_utf8
from mtqe.corpus.testsets.line_info import LineInfo, parse_line_info
from mtqe.corpus.testsets.lines import check_line_counts, empty_line_numbers, split_lines
from mtqe.errors import CorpusError
from mtqe.io import sha256_file


def line_segment_id(number: int) -> str:
    """The id of line ``number`` (1-based): the line number itself, as human judgments cite it."""
    return str(number)


def read_lines(spec: TextSpec) -> tuple[str, ...]:
    """The lines of a registered text (hash and encoding checked; no cleaning)."""
    text = decode_utf8(read_raw_bytes(spec), f"{spec.qualified_id}: {spec.path}", spec.qualified_id)
    if text.startswith("\ufeff"):
        text = text[1:]
    return split_lines(text.replace("\r\n", "\n").replace("\r", "\n"))


def read_document_line_info(document: DocumentSpec) -> tuple[LineInfo, ...] | None:
    """The document's per-line ids and domains, or None when it has none."""
    spec = document.line_info
    if spec is None:
        return None
    if not spec.path.is_file():
        raise CorpusError(f"{document.doc_id}: document-id file {spec.path} not found")
    digest = sha256_file(spec.path)
    if digest != spec.sha256:
        raise CorpusError(
            f"{document.doc_id}: {spec.path} has sha256 {digest}, the manifest records {spec.sha256}; "
            "restore the file or re-register it"
        )
    text = spec.path.read_text(encoding="utf-8").replace("\r\n", "\n")
    return parse_line_info(split_lines(text), where=str(spec.path))


def build_line_document(
    document: DocumentSpec, source_spec: TextSpec, targets: list[TextSpec]
) -> ParallelDocument:
    """Segments straight from the lines; a count mismatch is one error naming every file and count."""
    source = read_lines(source_spec)
    target_lines = {spec.text_id: read_lines(spec) for spec in targets}
    info = read_document_line_info(document)
    counts = {f"{source_spec.text_id} ({source_spec.path.name})": len(source)}
    counts.update({f"{spec.text_id} ({spec.path.name})": len(target_lines[spec.text_id]) for spec in targets})
    if info is not None:
        counts[f"document ids ({document.line_info.path.name})"] = len(info)
    check_line_counts(counts, document=document.doc_id, source=next(iter(counts)))
    segments = tuple(
        AlignedSegment(
            seg_id=line_segment_id(i + 1),
            kind="paragraph",
            source=line,
            targets={text_id: lines[i] for text_id, lines in target_lines.items()},
            shapes={text_id: "1-1" for text_id in target_lines},
            doc_id=info[i].doc_id if info else None,
            domain=info[i].domain if info else None,
        )
        for i, line in enumerate(source)
    )
    notes = tuple(
        AlignmentNote(kind="empty_line", text_id=text_id, where=line_segment_id(number), confidence=1.0)
        for text_id, lines in ((source_spec.text_id, source), *target_lines.items())
        for number in empty_line_numbers(lines)
    )
    return ParallelDocument(
        document=document.doc_id,
        src_lang=source_spec.lang,
        tgt_lang=targets[0].lang,
        source=source_spec,
        targets={spec.text_id: spec for spec in targets},
        segments=segments,
        unit="line",
        notes=notes,
    )
