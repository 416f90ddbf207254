"""Readers of human-judgment files: each turns one file layout into :class:`Rating` rows.

Layouts (docs/judgments.md says more):

* ``csv`` — a header, then ``system,segment,score`` with optional ``rater`` and ``z``
  columns; one row per rating (several raters of one item: several rows);
* ``wmt-da`` / ``wmt-esa`` — mt-metrics-eval's segment-level human score files
  (``human-scores/SRC-TGT.NAME.seg.score``): one ``SYSTEM SCORE`` line per segment,
  whitespace-separated, a block of lines per system in segment order, ``None`` for a
  segment without a score (the layout WMT's DA and ESA scores are distributed in);
* ``mqm-tsv`` — Google's MQM annotation TSV (github.com/google/wmt-mqm-human-evaluation):
  ``system doc doc_id seg_id rater source target category severity [metadata]``, one line
  per marked error (``no-error`` rows for clean segments), ``seg_id`` the 1-based segment
  number in the test set; turned into a per-rater MQM score by :func:`mqm_penalty`.

Every reader raises one :class:`~mtqe.errors.CorpusError` naming the file and line.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass

from mtqe.errors import CorpusError

# MQM error weights of Freitag et al. (2021), "Experts, Errors, and Context", as used for the
# WMT MQM data and by mt-metrics-eval's score_mqm.py: minor 1, major 5, neutral 0,
# non-translation 25 (whatever its severity label), minor Fluency/Punctuation 0.1. "critical"
# is not in that scheme; it weighs 25 as in the MQM 2.0 scoring model (equal to a
# non-translation, the worst error the WMT scheme knows).
MQM_SEVERITY_WEIGHTS = {"minor": 1.0, "major": 5.0, "critical": 25.0, "neutral": 0.0, "no-error": 0.0}
MQM_NON_TRANSLATION = 25.0
MQM_MINOR_PUNCTUATION = 0.1
_MQM_COLUMNS = ("system", "doc", "doc_id", "seg_id", "rater", "source", "target", "category", "severity")
_MISSING = ("", "none", "nan", "na", "n/a")


@dataclass(frozen=True)
class Rating:
    """One rater's score of one system's segment (``rater`` None: the file does not say;
    ``z``: the z-normalised score when the file gives one)."""

    system: str
    segment: str
    score: float
    rater: str | None = None
    z: float | None = None
    where: str = ""  # file:line, for error messages


def read_ratings(data: bytes, fmt: str, *, origin: str) -> list[Rating]:
    """The ratings in ``data`` (a file's bytes) read as layout ``fmt``."""
    text = _decode(data, origin)
    if fmt == "csv":
        return _read_csv(text, origin)
    if fmt in ("wmt-da", "wmt-esa"):
        return _read_wmt_seg_scores(text, origin)
    if fmt == "mqm-tsv":
        return _read_mqm_tsv(text, origin)
    raise CorpusError(f"unknown judgments format {fmt!r}; use csv, wmt-da, wmt-esa or mqm-tsv")


def _decode(data: bytes, origin: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{origin}: not UTF-8 ({exc}); save it as UTF-8") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def _number(value: str, where: str, what: str) -> float | None:
    """A finite float, None for an empty / ``None`` cell, else one clear error."""
    if value.strip().lower() in _MISSING:
        return None
    try:
        number = float(value)
    except ValueError:
        raise CorpusError(f"{where}: {what} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise CorpusError(f"{where}: {what} {value!r} is not a finite number")
    return number


def _read_csv(text: str, origin: str) -> list[Rating]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in ("system", "segment", "score") if c not in header]
    if missing:
        raise CorpusError(
            f"{origin}: csv judgments need a header with columns system,segment,score (optional rater, z); "
            f"missing {', '.join(missing)} (header: {','.join(header) or 'none'})"
        )
    reader.fieldnames = header
    out = []
    for number, row in enumerate(reader, start=2):
        where = f"{origin}:{number}"
        if None in row or any(row.get(c) is None for c in ("system", "segment", "score")):
            raise CorpusError(f"{where}: expected {len(header)} columns ({','.join(header)})")
        score = _number(row["score"], where, "score")
        if score is None:
            continue  # an item without a score is not judged
        z = _number(row["z"], where, "z") if row.get("z") is not None else None
        rater = (row.get("rater") or "").strip() or None
        out.append(Rating(row["system"].strip(), row["segment"].strip(), score, rater, z, where))
    return out


def _read_wmt_seg_scores(text: str, origin: str) -> list[Rating]:
    out = []
    position: dict[str, int] = defaultdict(int)
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        fields = line.split()
        where = f"{origin}:{number}"
        if len(fields) != 2:
            raise CorpusError(
                f"{where}: expected 'SYSTEM SCORE' (a segment-level mt-metrics-eval score file), got {line!r}"
            )
        system, value = fields
        position[system] += 1  # the n-th line of a system's block is segment n
        score = _number(value, where, "score")
        if score is not None:
            out.append(Rating(system, str(position[system]), score, None, None, where))
    if not position:
        raise CorpusError(f"{origin}: no 'SYSTEM SCORE' line in it")
    return out


def segment_counts_wmt(data: bytes, origin: str) -> dict[str, int]:
    """Lines per system of a WMT segment-level score file (each block must cover every segment)."""
    counts: dict[str, int] = defaultdict(int)
    for line in _decode(data, origin).split("\n"):
        if line.strip():
            counts[line.split()[0]] += 1
    return dict(counts)


def mqm_penalty(severity: str, category: str) -> float | None:
    """The weight of one MQM error (None: an unknown severity)."""
    sev, cat = severity.strip().lower(), category.strip().lower()
    if cat.rstrip("!") == "non-translation":
        return MQM_NON_TRANSLATION
    if cat in ("no-error", "no error") or sev in ("no-error", "no error"):
        return 0.0
    if sev == "minor" and cat.startswith("fluency/punctuation"):
        return MQM_MINOR_PUNCTUATION
    return MQM_SEVERITY_WEIGHTS.get(sev)


def _read_mqm_tsv(text: str, origin: str) -> list[Rating]:
    lines = text.split("\n")
    columns: dict[str, int] = {c: i for i, c in enumerate(_MQM_COLUMNS)}
    start = 0
    if lines and lines[0].lower().startswith("system\t"):
        header = [h.strip().lower() for h in lines[0].split("\t")]
        if "seg_id" not in header and "global_seg_id" in header:
            header[header.index("global_seg_id")] = "seg_id"
        missing = [c for c in ("system", "seg_id", "rater", "category", "severity") if c not in header]
        if missing:
            raise CorpusError(f"{origin}: MQM TSV header lacks {', '.join(missing)}")
        columns, start = {c: header.index(c) for c in header}, 1
    penalties: dict[tuple[str, str, str], float] = {}
    first_at: dict[tuple[str, str, str], str] = {}
    unknown: dict[str, str] = {}
    for number, line in enumerate(lines[start:], start=start + 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        where = f"{origin}:{number}"
        if len(fields) <= max(columns[c] for c in ("system", "seg_id", "rater", "category", "severity")):
            raise CorpusError(f"{where}: expected the tab-separated MQM columns {' '.join(_MQM_COLUMNS)}")
        get = {c: fields[columns[c]].strip() for c in ("system", "seg_id", "rater", "category", "severity")}
        weight = mqm_penalty(get["severity"], get["category"])
        if weight is None:
            unknown.setdefault(get["severity"], where)
            continue
        key = (get["system"], get["seg_id"], get["rater"])
        penalties[key] = penalties.get(key, 0.0) + weight
        first_at.setdefault(key, where)
    if unknown:
        shown = ", ".join(f"{s!r} ({w})" for s, w in unknown.items())
        raise CorpusError(f"{origin}: unknown MQM severities {shown}; known: minor, major, critical, neutral, no-error")
    if not penalties:
        raise CorpusError(f"{origin}: no MQM annotation line in it")
    # The MQM score is the negated penalty: higher is better, like every other protocol.
    return [Rating(s, seg, -p if p else 0.0, rater or None, None, first_at[(s, seg, rater)])
            for (s, seg, rater), p in penalties.items()]
