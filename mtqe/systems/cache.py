"""Content-addressed translation cache in SQLite (WAL).

Key: sha256 over the translator's identity (model id + revision or file hash, backend,
decoding parameters, prompt), the language pair and the source text. Rows are written per
batch, so an interrupted run resumes without translating finished batches again, and
concurrent jobs of a sweep can share one file (WAL + busy timeout).

Each row carries a checksum of its content (:func:`mtqe.sqlite_store.row_checksum` over key
and output), and the key is recomputed from the stored identity, languages and source: a row
that was edited or damaged is a miss (translated again and rewritten), never a wrong output.
Rows of files written before checksums existed have none and are misses too.
"""

from __future__ import annotations

import logging
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from mtqe.io import sha256_text
from mtqe.sqlite_store import MAX_PARAMS, SQLiteStore, identity_hash, row_checksum

log = logging.getLogger(__name__)

__all__ = ["CacheStats", "TranslationCache", "entry_key", "identity_hash"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    key TEXT PRIMARY KEY,
    identity_hash TEXT NOT NULL,
    src_lang TEXT NOT NULL,
    tgt_lang TEXT NOT NULL,
    source TEXT NOT NULL,
    output TEXT NOT NULL,
    created REAL NOT NULL,
    checksum TEXT
);
CREATE INDEX IF NOT EXISTS translations_identity ON translations(identity_hash);
"""


def entry_key(ident_hash: str, src_lang: str, tgt_lang: str, source: str) -> str:
    return sha256_text(f"{ident_hash}\x1f{src_lang}\x1f{tgt_lang}\x1f{source}")


@dataclass(frozen=True)
class CacheStats:
    path: Path
    entries: int
    identities: int
    size_bytes: int
    per_identity: list[tuple[str, int]]  # (identity json, entries)


class TranslationCache(SQLiteStore):
    """Translations keyed by :func:`entry_key`; one file shared by every run and sweep job."""

    schema = _SCHEMA

    def _migrate(self) -> None:
        with closing(self._connect()) as conn, conn:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(translations)")}
            if "checksum" not in columns:
                conn.execute("ALTER TABLE translations ADD COLUMN checksum TEXT")

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        """Outputs of the keys that are cached and intact (a row failing its checks is left out)."""
        found: dict[str, str] = {}
        rejected = 0
        with self.guard(), closing(self._connect()) as conn:
            for start in range(0, len(keys), MAX_PARAMS):
                chunk = list(keys[start : start + MAX_PARAMS])
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    "SELECT key, identity_hash, src_lang, tgt_lang, source, output, checksum "
                    f"FROM translations WHERE key IN ({marks})", chunk
                ).fetchall()
                for key, ident, src_lang, tgt_lang, source, output, checksum in rows:
                    if _intact(key, ident, src_lang, tgt_lang, source, output, checksum):
                        found[key] = output
                    else:
                        rejected += 1
        if rejected:
            log.warning("%s: %d cached translation(s) failed their checksum and are translated again",
                        self.path, rejected)
        return found

    def put_many(
        self, ident_hash: str, src_lang: str, tgt_lang: str, pairs: Iterable[tuple[str, str]]
    ) -> int:
        """Store (source, output) pairs in one transaction; returns how many were given."""
        now = time.time()
        rows = []
        for src, out in pairs:
            key = entry_key(ident_hash, src_lang, tgt_lang, src)
            rows.append((key, ident_hash, src_lang, tgt_lang, src, out, now, row_checksum(key, out)))
        with self.guard(), closing(self._connect()) as conn, conn:
            conn.executemany(
                "INSERT OR REPLACE INTO translations "
                "(key, identity_hash, src_lang, tgt_lang, source, output, created, checksum) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
        return len(rows)

    def stats(self) -> CacheStats:
        with self.guard(), closing(self._connect()) as conn:
            entries = conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
            per = conn.execute(
                "SELECT i.identity_json, COUNT(t.key) FROM identities i "
                "LEFT JOIN translations t ON t.identity_hash = i.identity_hash "
                "GROUP BY i.identity_hash ORDER BY COUNT(t.key) DESC"
            ).fetchall()
        return CacheStats(self.path, entries, len(per), self.size_bytes(), [(j, n) for j, n in per])

    def count_since(self, since: float) -> int:
        """Rows written at or after the Unix time ``since`` (what an interrupted run kept)."""
        with self.guard(), closing(self._connect()) as conn:
            return conn.execute("SELECT COUNT(*) FROM translations WHERE created >= ?", (since,)).fetchone()[0]

    def prune(self, *, older_than_days: float | None = None, model_substring: str | None = None) -> int:
        """Delete entries older than N days and/or whose identity mentions a model; returns count."""
        clauses, params = [], []
        if older_than_days is not None:
            clauses.append("created < ?")
            params.append(time.time() - older_than_days * 86400)
        if model_substring:
            clauses.append(
                "identity_hash IN (SELECT identity_hash FROM identities WHERE identity_json LIKE ?)"
            )
            params.append(f"%{model_substring}%")
        if not clauses:
            raise ValueError("prune needs --older-than-days and/or --model (refusing to delete everything)")
        with self.guard():
            with closing(self._connect()) as conn, conn:
                deleted = conn.execute(f"DELETE FROM translations WHERE {' AND '.join(clauses)}", params).rowcount
            with closing(self._connect()) as conn:
                conn.execute("VACUUM")
        return deleted


def _intact(key: str, ident: str, src_lang: str, tgt_lang: str, source: str, output: str,
            checksum: str | None) -> bool:
    """The row is what :meth:`TranslationCache.put_many` wrote: its key and checksum still match."""
    return key == entry_key(ident, src_lang, tgt_lang, source) and checksum == row_checksum(key, output)
