"""From unit alignments (one per target text) to the scoring segments of a ParallelDocument.

Every target text has its own links over the same source units. A segment is the smallest
run of source units that no link of any target cuts in two, so each target contributes one
text per segment: the n:m units of a link are joined (``join_sentences`` for sentences, a
line break for blocks). Segment ids name the first source block and, for the sentence
unit, the segment's position inside that block: ``p012`` / ``p012.s03``. Ids are assigned
before anything is dropped, so they are stable whatever the notes say.

What is not scored is never silently gone; it becomes an :class:`AlignmentNote`:

* a segment that some target does not cover at all (only 1-0 links) → ``uncovered``, dropped
  (nothing to compare with);
* a segment that some target covers only in part → kept with confidence 0, ``partial``;
* target units with no source (0-1 links) → ``target_only``, not scored;
* for a text that is evaluated as a system and is not a reference (``evaluated``), what it
  leaves out is its omission and what it adds its addition: a segment it does not cover is
  kept with an empty hypothesis and the flag ``omission`` (for that text only), and its
  target-only units are appended to the neighbouring segment's hypothesis with the flag
  ``addition``, so precision-based metrics see them;
* a kept segment with confidence below the threshold → ``low_confidence`` (kept; the pipeline
  drops it when the run says ``exclude_low_confidence: true``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

from mtqe.corpus.align.units import Unit, UnitAlignment
from mtqe.corpus.model import AlignedSegment, AlignmentNote
from mtqe.corpus.segment import join_sentences

BLOCK_JOINER = "\n"  # n:m paragraphs stay recognisable as paragraphs inside one segment


@dataclass(frozen=True)
class BuiltSegments:
    segments: tuple[AlignedSegment, ...]
    notes: tuple[AlignmentNote, ...]


def unit_id(unit: Unit, unit_name: str, position_in_block: int) -> str:
    block = f"p{unit.block:03d}"
    return block if unit_name == "paragraph" else f"{block}.s{position_in_block:02d}"


def build_segments(
    alignments: Mapping[str, UnitAlignment],
    *,
    unit: str,
    src_lang: str,
    tgt_lang: str,
    low_confidence: float,
    evaluated: frozenset[str] = frozenset(),
) -> BuiltSegments:
    """Merge the per-target alignments (same source units) into segments and notes.

    ``evaluated``: text ids read as systems only (role ``existing`` without ``reference``).
    """
    if not alignments:
        return BuiltSegments((), ())
    src_units = next(iter(alignments.values())).src
    cuts = _common_cuts(alignments, len(src_units))
    notes: list[AlignmentNote] = []
    segments: list[AlignedSegment] = []
    per_block: dict[int, int] = {}
    positions: list[dict[str, list[int]]] = []  # per kept segment: text id -> its target unit indices
    flags: list[dict[str, set[str]]] = []
    for start, end in zip(cuts, cuts[1:]):
        first = src_units[start]
        seg_id = unit_id(first, unit, per_block.get(first.block, 0))
        per_block[first.block] = per_block.get(first.block, 0) + 1
        source = _join([u.text for u in src_units[start:end]], unit, src_lang)
        targets: dict[str, str] = {}
        shapes: dict[str, str] = {}
        confidence = 1.0
        dropped = False
        pending: list[AlignmentNote] = []
        seg_positions: dict[str, list[int]] = {}
        seg_flags: dict[str, set[str]] = {}
        for text_id, alignment in alignments.items():
            links = [l for l in alignment.links if l.src_indices and start <= l.src_indices[0] < end]
            matched = [l for l in links if l.tgt_indices]
            if not matched:
                notes.append(AlignmentNote("uncovered", text_id, seg_id, min(l.confidence for l in links), source=source))
                if text_id in evaluated:  # the text's own omission: scored as an empty hypothesis
                    targets[text_id], shapes[text_id] = "", f"{end - start}-0"
                    seg_flags[text_id] = {"omission"}
                else:
                    dropped = True
                continue
            tgt_positions = [j for l in matched for j in l.tgt_indices]
            seg_positions[text_id] = tgt_positions
            if text_id in evaluated and len(tgt_positions) > end - start:
                seg_flags.setdefault(text_id, set()).add("extra_units")  # evidence for the addition check
            targets[text_id] = _join([alignment.tgt[j].text for j in tgt_positions], unit, tgt_lang)
            shapes[text_id] = f"{end - start}-{len(tgt_positions)}"
            link_confidence = min(l.confidence for l in matched)
            if len(matched) < len(links):
                pending.append(AlignmentNote("partial", text_id, seg_id, 0.0, source=source, target=targets[text_id]))
                link_confidence = 0.0
                if text_id in evaluated:
                    seg_flags.setdefault(text_id, set()).add("omission")
            elif link_confidence < low_confidence:
                pending.append(AlignmentNote(
                    "low_confidence", text_id, seg_id, link_confidence, source=source, target=targets[text_id]
                ))
            confidence = min(confidence, link_confidence)
        if dropped:
            continue
        # Notes of a dropped segment would be noise: "uncovered" already says it all.
        notes += pending
        segments.append(AlignedSegment(seg_id, first.kind, source, targets, confidence=confidence, shapes=shapes))
        positions.append(seg_positions)
        flags.append(seg_flags)
    for text_id, alignment in alignments.items():
        notes += _target_only(text_id, alignment, unit, tgt_lang)
    for text_id in evaluated & set(alignments):
        _attach_additions(segments, positions, flags, text_id, alignments[text_id], unit, tgt_lang)
    segments = [
        replace(seg, flags={t: frozenset(f) for t, f in seg_flags.items()}) if seg_flags else seg
        for seg, seg_flags in zip(segments, flags)
    ]
    return BuiltSegments(tuple(segments), tuple(notes))


def _attach_additions(
    segments: list[AlignedSegment],
    positions: list[dict[str, list[int]]],
    flags: list[dict[str, set[str]]],
    text_id: str,
    alignment: UnitAlignment,
    unit: str,
    tgt_lang: str,
) -> None:
    """Append each target-only run of ``text_id`` to the segment holding the target unit before it
    (or prepend it to the one after, at the start), flagged ``addition``."""
    for link in alignment.links:
        if link.src_indices or not link.tgt_indices or not segments:
            continue
        first, added = link.tgt_indices[0], _join([alignment.tgt[j].text for j in link.tgt_indices], unit, tgt_lang)
        before = [i for i, p in enumerate(positions) if p.get(text_id) and max(p[text_id]) < first]
        index = before[-1] if before else next(
            (i for i, p in enumerate(positions) if p.get(text_id)), 0
        )
        current = segments[index].targets.get(text_id, "")
        joined = [current, added] if before else [added, current]
        text = _join([t for t in joined if t], unit, tgt_lang)
        segments[index] = replace(segments[index], targets={**segments[index].targets, text_id: text})
        flags[index].setdefault(text_id, set()).add("addition")


def _common_cuts(alignments: Mapping[str, UnitAlignment], n_src: int) -> list[int]:
    """Positions 0 < k < n where no target's link spans source units k-1 and k, plus 0 and n."""
    blocked: set[int] = set()
    for alignment in alignments.values():
        for link in alignment.links:
            blocked.update(link.src_indices[1:])
    return [0] + [k for k in range(1, n_src) if k not in blocked] + ([n_src] if n_src else [])


def _target_only(text_id: str, alignment: UnitAlignment, unit: str, tgt_lang: str) -> list[AlignmentNote]:
    notes = []
    for link in alignment.links:
        if link.src_indices:
            continue
        units = [alignment.tgt[j] for j in link.tgt_indices]
        where = "target " + ", ".join(unit_id(u, unit, u.index) for u in units)
        notes.append(AlignmentNote(
            "target_only", text_id, where, link.confidence, target=_join([u.text for u in units], unit, tgt_lang)
        ))
    return notes


def _join(texts: list[str], unit: str, lang: str) -> str:
    return join_sentences(texts, lang) if unit == "sentence" else BLOCK_JOINER.join(texts)
