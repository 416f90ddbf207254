"""Data model of the corpus stage: manifest entries, cleaned texts, aligned segments.

Everything here is immutable; later stages receive a :class:`ParallelDocument` and never
reach back into files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Mapping

ROLES: tuple[str, ...] = ("source", "reference", "existing")
BlockKind = Literal["title", "heading", "paragraph"]


@dataclass(frozen=True)
class Provenance:
    """Where a text comes from. ``origin`` is how it reached this repository."""

    origin: str
    url: str | None = None
    publisher: str | None = None
    translator: str | None = None
    date: str | None = None
    licence: str | None = None
    notes: str | None = None
    # Added for the corpus manifest: the text a translation was made from (e.g. the White House
    # page a community translation names), and the other people credited in the file as
    # (role, name) pairs, e.g. ("reviewer", "文乐"). A tuple keeps the dataclass hashable.
    source_url: str | None = None
    credits: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FetchSpec:
    """Where a text not shipped with the repository can be downloaded (``mtqe corpus fetch``)."""

    url: str
    sha256: str  # of the downloaded bytes, checked before anything is written
    # Set by `mtqe corpus fetch-url`: when this hash was first seen and trusted (ISO UTC time).
    first_fetched: str | None = None


# How much of its source a target text covers: ``full`` (a translation of the whole text) or
# ``excerpt`` (a text quoting parts of it: uncovered source is left unlinked, not forced).
COVERAGES: tuple[str, ...] = ("full", "excerpt")


@dataclass(frozen=True)
class TextSpec:
    """One text of a document as listed in the manifest (raw bytes on disk, not yet cleaned)."""

    document: str
    text_id: str
    lang: str
    roles: frozenset[str]
    path: Path
    sha256: str
    cleaner: str
    provenance: Provenance
    # Added for n:m alignment and fetching (manifest keys `coverage:` and `fetch:`).
    coverage: str = "full"
    fetch: FetchSpec | None = None
    # The name shown for the text as a system (keeps case and punctuation: "GPT-4"); default: its id.
    name: str | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.text_id

    @property
    def qualified_id(self) -> str:
        return f"{self.document}/{self.text_id}"

    def has_role(self, role: str) -> bool:
        return role in self.roles


SEGMENTATIONS: tuple[str, ...] = ("aligned", "lines")


@dataclass(frozen=True)
class LineInfoSpec:
    """The per-line document ids / domains file of a line-segmented document."""

    path: Path
    sha256: str


JUDGMENT_PROTOCOLS: tuple[str, ...] = ("da", "esa", "mqm", "sqm")
JUDGMENT_FORMATS: tuple[str, ...] = ("csv", "wmt-da", "wmt-esa", "mqm-tsv")


@dataclass(frozen=True)
class JudgmentsSpec:
    """Human scores of a document's systems (``mtqe corpus add-judgments``), stored normalised
    as JSONL at ``path``; ``source_file`` / ``source_sha256`` name the file they were read from."""

    document: str
    name: str
    protocol: str
    format: str
    path: Path
    sha256: str
    source_file: str
    source_sha256: str
    provenance: Provenance


@dataclass(frozen=True)
class DocumentSpec:
    doc_id: str
    title: str
    texts: Mapping[str, TextSpec]
    # Added for the corpus manifest: ISO date of the document (YYYY, YYYY-MM or YYYY-MM-DD).
    date: str | None = None
    # "aligned": texts are cleaned, segmented and aligned; "lines": a pre-segmented test set
    # whose line i of every text is segment i (mtqe.corpus.testsets).
    segmentation: str = "aligned"
    line_info: LineInfoSpec | None = None
    # Human judgments by name (`judgments:` in the manifest; mtqe.corpus.judgments reads them).
    judgments: Mapping[str, JudgmentsSpec] = field(default_factory=dict)

    def texts_in(self, lang: str) -> list[TextSpec]:
        return [t for t in self.texts.values() if t.lang == lang]


@dataclass(frozen=True)
class Manifest:
    root: Path
    documents: Mapping[str, DocumentSpec]


@dataclass(frozen=True)
class Block:
    """A unit of cleaned text: the document title, a section heading or a body paragraph."""

    kind: BlockKind
    text: str


@dataclass(frozen=True)
class Removal:
    """A piece of the raw text that cleaning dropped, and why (``mtqe corpus show --removed``)."""

    text: str
    reason: str


@dataclass(frozen=True)
class CleanText:
    spec: TextSpec
    blocks: tuple[Block, ...]
    removed: tuple[Removal, ...] = ()


@dataclass(frozen=True)
class AlignedSegment:
    """One scoring unit: a source segment and, per target-language text id, its counterpart."""

    seg_id: str
    kind: BlockKind
    source: str
    targets: Mapping[str, str] = field(default_factory=dict)
    # Added for n:m alignment: the lowest link confidence behind this segment over all targets
    # (1.0 for the strict 1:1 paragraph check), and each target's link shape ("1-1", "2-1", …).
    confidence: float = 1.0
    shapes: Mapping[str, str] = field(default_factory=dict)
    # Per text evaluated as a system: "omission" (it has no counterpart here: empty hypothesis) and
    # "addition" (its text with no source was attached here). See corpus/align/scoring_segments.py.
    flags: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Line-aligned test sets: the document id and domain of this line (WMT .docs), if known.
    doc_id: str | None = None
    domain: str | None = None


NoteKind = Literal["low_confidence", "uncovered", "target_only", "partial", "empty_line", "strict_fallback"]


@dataclass(frozen=True)
class AlignmentNote:
    """Something about the alignment a reader of the results must know.

    ``low_confidence``: a scored segment whose link confidence is below the threshold;
    ``uncovered``: source text with no counterpart in a target (not scored);
    ``target_only``: target text with no source (not scored);
    ``partial``: a segment one target covers only in part (its confidence is 0);
    ``empty_line``: a line-aligned text has an empty line there (kept and scored as empty);
    ``strict_fallback``: the two texts have the same block structure but some paragraph pairs'
    length ratios are out of the calibrated band, so the n:m aligner paired the paragraphs
    instead of the strict 1:1 check (``where`` lists those blocks, ``confidence`` is the lowest
    link confidence of that text's alignment).
    """

    kind: NoteKind
    text_id: str
    where: str  # segment id, or the unit ids of the source / target text
    confidence: float
    source: str = ""
    target: str = ""

    def describe(self, width: int = 40) -> str:
        def cut(text: str) -> str:
            return text if len(text) <= width else text[:width] + "…"

        parts = [f"{self.kind} {self.where} ({self.text_id}, confidence {self.confidence:.2f})"]
        if self.source:
            parts.append(f"src {cut(self.source)!r}")
        if self.target:
            parts.append(f"tgt {cut(self.target)!r}")
        return ": ".join(parts[:1]) + (": " + " ↔ ".join(parts[1:]) if len(parts) > 1 else "")


@dataclass(frozen=True)
class ParallelDocument:
    """A document for one language pair, aligned segment by segment.

    ``targets`` holds every human text in the target language (by text id) with its roles:
    those with role ``reference`` are references, those with role ``existing`` are also
    systems whose output is read rather than generated.
    """

    document: str
    src_lang: str
    tgt_lang: str
    source: TextSpec
    targets: Mapping[str, TextSpec]
    segments: tuple[AlignedSegment, ...]
    # Added for n:m alignment: the scoring unit and what the alignment could not settle.
    unit: str = "paragraph"
    notes: tuple[AlignmentNote, ...] = ()

    @property
    def sources(self) -> list[str]:
        return [s.source for s in self.segments]

    def target_segments(self, text_id: str) -> list[str]:
        return [s.targets[text_id] for s in self.segments]

    def reference_ids(self) -> list[str]:
        return sorted(t for t, spec in self.targets.items() if spec.has_role("reference"))
