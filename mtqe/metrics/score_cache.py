"""Content-addressed cache of neural-metric segment scores in SQLite (WAL).

A row holds the score of one model input (e.g. COMET's ``(src, mt, ref)`` triple) under
one *identity*: the scorer's checkpoint hash, package version, precision and input mode
(see :meth:`ScoreCache.register_identity`). Keys are sha256 over the identity hash and
the input texts; the texts themselves are not stored. Rows are written one transaction
per model batch, so an interrupted run resumes without re-scoring finished batches, and
concurrent jobs of a sweep can share one file (WAL + busy timeout). Each row carries a
checksum of its content (key, identity, score, truncation flag): a row whose checksum does
not match (edited, damaged, or written before checksums existed) is a miss and is scored
again, never served as a score.

It also remembers the sha256 of large checkpoint files by (path, size, mtime), so a
multi-GB checkpoint is hashed once per machine, not once per run.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from mtqe.io import sha256_file, sha256_text
from mtqe.metrics.base import ErrorSpan
from mtqe.sqlite_store import MAX_PARAMS, SQLiteStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS segment_scores (
    key TEXT PRIMARY KEY,
    identity_hash TEXT NOT NULL,
    score REAL NOT NULL,
    truncated INTEGER NOT NULL,
    created REAL NOT NULL,
    checksum TEXT,
    extra TEXT
);
CREATE INDEX IF NOT EXISTS segment_scores_identity ON segment_scores(identity_hash);
CREATE TABLE IF NOT EXISTS checkpoint_facts (
    sha256 TEXT PRIMARY KEY,
    facts_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS file_hashes (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
"""

_NONE = "\x00"  # stands for an absent text (e.g. no reference in QE mode)


def score_key(ident_hash: str, texts: Sequence[str | None]) -> str:
    """Key of one model input: the identity plus its texts in a fixed order (None allowed)."""
    parts = [ident_hash, *(_NONE if t is None else t for t in texts)]
    return sha256_text("\x1f".join(parts))


def row_checksum(key: str, ident_hash: str, score: float, truncated: bool, extra: str | None = None) -> str:
    """sha256 of a row's content; ``float.hex`` keeps the score exact. ``extra`` (spans,
    validity) joins the checksum only when present, so rows without it keep their sums."""
    parts = [key, ident_hash, float(score).hex(), str(int(bool(truncated)))]
    if extra is not None:
        parts.append(extra)
    return sha256_text("\x1f".join(parts))


def encode_extra(spans: Sequence[ErrorSpan] | None, valid: bool, more: Mapping[str, Any] | None = None) -> str | None:
    """The ``extra`` column of a row: its error spans, validity and the metric's own extra
    values as JSON (None when plain)."""
    if spans is None and valid and not more:
        return None
    data: dict[str, Any] = {"spans": None if spans is None else [s.to_json() for s in spans], "valid": bool(valid)}
    if more:
        data["more"] = dict(more)
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def decode_extra(extra: str | None) -> tuple[tuple[ErrorSpan, ...] | None, bool, Mapping[str, Any] | None]:
    if extra is None:
        return None, True, None
    data = json.loads(extra)
    spans = data.get("spans")
    more = data.get("more")
    return ((None if spans is None else tuple(ErrorSpan.from_json(s) for s in spans)), bool(data.get("valid", True)),
            more if isinstance(more, dict) else None)


class ScoreCache(SQLiteStore):
    """Segment scores keyed by :func:`score_key`; shared by every run and sweep job."""

    schema = _SCHEMA

    def __init__(self, path: Path, *, busy_timeout_s: float = 60.0, read_only: bool = False) -> None:
        super().__init__(path, busy_timeout_s=busy_timeout_s, read_only=read_only)
        if read_only:  # `mtqe cache stats`: no migration, nothing written
            return
        with closing(self._connect()) as conn, conn:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(segment_scores)")}
            for column in ("checksum", "extra"):  # a file from before checksums: its rows become misses
                if column in columns:
                    continue
                try:
                    conn.execute(f"ALTER TABLE segment_scores ADD COLUMN {column} TEXT")
                except sqlite3.OperationalError as exc:  # another job added it at the same moment
                    if "duplicate column" not in str(exc):
                        raise

    def get_many(self, keys: Sequence[str]) -> dict[str, tuple]:
        """``{key: (score, truncated, spans, valid, extra)}`` for the keys that are present with
        a valid checksum; the score of a row that is not valid is NaN."""
        found: dict[str, tuple] = {}
        with closing(self._connect()) as conn:
            for start in range(0, len(keys), MAX_PARAMS):
                chunk = list(keys[start : start + MAX_PARAMS])
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    "SELECT key, identity_hash, score, truncated, checksum, extra FROM segment_scores "
                    f"WHERE key IN ({marks})",
                    chunk,
                ).fetchall()
                for key, ident, score, trunc, checksum, extra in rows:
                    if not isinstance(score, float) or checksum != row_checksum(key, ident, score, bool(trunc), extra):
                        continue
                    try:
                        spans, valid, more = decode_extra(extra)
                    except (ValueError, KeyError, TypeError):
                        continue  # unreadable extra: a miss, scored again
                    found[key] = (score if valid else float("nan"), bool(trunc), spans, valid, more)
        return found

    def put_many(self, ident_hash: str, rows: Iterable[tuple]) -> int:
        """Store ``(key, score, truncated[, spans, valid[, extra]])`` rows in one transaction; returns how
        many were stored.

        Non-finite scores of valid rows are not stored (SQLite would turn NaN into NULL), so
        they are recomputed next time instead of being served from the cache. A row that is
        not valid (an unreadable answer, deterministic at temperature 0) is stored with score 0.
        """
        now = time.time()
        values = []
        for key, score, trunc, *more in rows:
            spans, valid, own = (list(more) + [None, True, None][len(more):])[:3]
            if not valid:
                score = 0.0
            elif not math.isfinite(score):
                continue
            extra = encode_extra(spans, bool(valid), own)
            values.append((key, ident_hash, float(score), int(bool(trunc)), now,
                           row_checksum(key, ident_hash, score, trunc, extra), extra))
        with closing(self._connect()) as conn, conn:
            conn.executemany(
                "INSERT OR REPLACE INTO segment_scores (key, identity_hash, score, truncated, created, checksum, extra) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                values,
            )
        return len(values)

    def file_sha256(self, path: Path) -> str:
        """sha256 of a file, memoised by (real path, size, mtime_ns)."""
        real = os.path.realpath(path)
        st = os.stat(real)
        with closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT sha256 FROM file_hashes WHERE path = ? AND size = ? AND mtime_ns = ?",
                (real, st.st_size, st.st_mtime_ns),
            ).fetchone()
        if row is not None:
            return str(row[0])
        digest = sha256_file(Path(real))
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?)",
                (real, st.st_size, st.st_mtime_ns, digest),
            )
        return digest

    def checkpoint_facts(self, sha256: str) -> dict[str, Any] | None:
        """What loading the checkpoint with this sha256 revealed (model class, inputs), if known."""
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT facts_json FROM checkpoint_facts WHERE sha256 = ?", (sha256,)).fetchone()
        return json.loads(row[0]) if row is not None else None

    def put_checkpoint_facts(self, sha256: str, facts: dict[str, Any]) -> None:
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT OR REPLACE INTO checkpoint_facts VALUES (?, ?)", (sha256, json.dumps(facts, sort_keys=True))
            )

    def count(self, ident_hash: str | None = None) -> int:
        with closing(self._connect()) as conn:
            if ident_hash is None:
                return int(conn.execute("SELECT COUNT(*) FROM segment_scores").fetchone()[0])
            return int(
                conn.execute(
                    "SELECT COUNT(*) FROM segment_scores WHERE identity_hash = ?", (ident_hash,)
                ).fetchone()[0]
            )
