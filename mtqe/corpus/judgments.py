"""Human judgments of a document's systems: the frozen :class:`Judgments` value and its file.

``mtqe corpus add-judgments`` (:mod:`mtqe.corpus.testsets.add_judgments`) reads a rating file,
averages the ratings of each (system, segment) and stores the result normalised, one JSON
object a line, at ``references/texts/DOC/judgments/NAME.jsonl``::

    {"system": "GPT-4", "segment": "12", "score": 71.5, "raters": 2, "z": 0.31}

``segment`` is the segment id (the 1-based line number of a line-aligned test set);
``raters`` how many ratings were averaged (null when the file gave one aggregated score);
``z`` the mean z-normalised score when the file had one (else null). An item without a
rating has no line: nothing is imputed. The manifest records the file's sha256, checked on
every load.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from mtqe.corpus.model import Manifest
from mtqe.errors import CorpusError
from mtqe.io import sha256_bytes


@dataclass(frozen=True)
class Judgment:
    """The human score of one system's segment: the mean over ``raters`` ratings."""

    score: float
    raters: int | None = None  # None: the source file held one already aggregated score
    z: float | None = None


@dataclass(frozen=True)
class Judgments:
    """One named set of human judgments of a document: (system, segment id) → :class:`Judgment`."""

    document: str
    name: str
    protocol: str
    items: Mapping[tuple[str, str], Judgment]

    def systems(self) -> tuple[str, ...]:
        return tuple(sorted({system for system, _ in self.items}))

    @property
    def has_z(self) -> bool:
        """Every judgment carries a z-score (a set with some missing has none to use)."""
        return bool(self.items) and all(j.z is not None for j in self.items.values())

    def for_system(self, system: str, segment_ids: Sequence[str]) -> tuple[Judgment | None, ...]:
        """Per segment id, the system's judgment or None (not judged)."""
        return tuple(self.items.get((system, seg)) for seg in segment_ids)


def average_ratings(ratings: Iterable[tuple[str, str, float, float | None, bool]]) -> dict[tuple[str, str], Judgment]:
    """(system, segment, score, z, rater known) rows → one :class:`Judgment` per item: the
    mean score (and mean z when every rating of the item has one) over its ratings."""
    grouped: dict[tuple[str, str], list[tuple[float, float | None, bool]]] = defaultdict(list)
    for system, segment, score, z, counted in ratings:
        grouped[(system, segment)].append((score, z, counted))
    out = {}
    for key, rows in grouped.items():
        zs = [z for _, z, _ in rows]
        out[key] = Judgment(
            score=math.fsum(s for s, _, _ in rows) / len(rows),
            raters=len(rows) if all(c for _, _, c in rows) else None,
            z=math.fsum(zs) / len(zs) if all(z is not None for z in zs) else None,  # type: ignore[misc]
        )
    return out


def _segment_key(segment: str) -> tuple[int, str]:
    return (int(segment), "") if segment.isdigit() else (1 << 62, segment)


def judgments_jsonl(items: Mapping[tuple[str, str], Judgment]) -> bytes:
    """The normalised file: one line per judged item, by system then segment."""
    lines = [
        json.dumps({"system": system, "segment": segment, "score": j.score, "raters": j.raters, "z": j.z},
                   ensure_ascii=False)
        for (system, segment), j in sorted(items.items(), key=lambda kv: (kv[0][0], _segment_key(kv[0][1])))
    ]
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def parse_judgments_jsonl(data: bytes, where: str) -> dict[tuple[str, str], Judgment]:
    items: dict[tuple[str, str], Judgment] = {}
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            key = (str(row["system"]), str(row["segment"]))
            judgment = Judgment(
                score=float(row["score"]), raters=None if row.get("raters") is None else int(row["raters"]),
                z=None if row.get("z") is None else float(row["z"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CorpusError(f"{where}:{number}: not a judgment line ({exc}); re-add the judgments") from None
        if key in items:
            raise CorpusError(f"{where}:{number}: {key[0]} segment {key[1]} is listed twice")
        items[key] = judgment
    return items


def load_judgments(manifest: Manifest, document: str, name: str) -> Judgments:
    """The judgments ``name`` of ``document`` (file hash-checked); one clear error otherwise."""
    doc = manifest.documents.get(document)
    if doc is None:
        raise CorpusError(f"unknown document {document!r}: no human judgments")
    spec = doc.judgments.get(name)
    if spec is None:
        have = ", ".join(sorted(doc.judgments)) or "none"
        raise CorpusError(
            f"{document} has no human judgments named {name!r} (it has: {have}); add them with "
            f"`mtqe corpus add-judgments {document} --file F --protocol da|esa|mqm|sqm --name {name}`"
        )
    if not spec.path.is_file():
        raise CorpusError(f"{document}: judgments file {spec.path} not found")
    data = spec.path.read_bytes()
    digest = sha256_bytes(data)
    if digest != spec.sha256:
        raise CorpusError(
            f"{document}: {spec.path} has sha256 {digest}, the manifest records {spec.sha256}; "
            "restore the file or add the judgments again"
        )
    return Judgments(document=document, name=name, protocol=spec.protocol,
                     items=MappingProxyType(parse_judgments_jsonl(data, str(spec.path))))
