"""Shared base of mtqe's SQLite caches (translations, metric scores).

WAL journal + busy timeout: several processes (jobs of a sweep) can read and write one file
at once. A connection per operation keeps instances safe across forks.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any, Mapping

from mtqe.io import sha256_text

IDENTITIES_SCHEMA = """
CREATE TABLE IF NOT EXISTS identities (
    identity_hash TEXT PRIMARY KEY,
    identity_json TEXT NOT NULL
);
"""

# SQLite's limit on bound parameters is 999 in older builds: stay well below it.
MAX_PARAMS = 500


def identity_json(identity: Mapping[str, Any]) -> str:
    return json.dumps(identity, sort_keys=True, ensure_ascii=False, default=str)


def identity_hash(identity: Mapping[str, Any]) -> str:
    return sha256_text(identity_json(identity))


class SQLiteStore:
    """A SQLite file with a schema, plus the ``identities`` table every cache keeps."""

    schema: str = ""

    def __init__(self, path: Path, *, busy_timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn, conn:
            conn.executescript(self.schema + IDENTITIES_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def register_identity(self, identity: Mapping[str, Any]) -> str:
        """Store what a set of rows was computed with (for stats and pruning); return its hash."""
        ident_hash = identity_hash(identity)
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT OR IGNORE INTO identities(identity_hash, identity_json) VALUES (?, ?)",
                (ident_hash, identity_json(identity)),
            )
        return ident_hash

    def size_bytes(self) -> int:
        """The database with its WAL and shared-memory files."""
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
