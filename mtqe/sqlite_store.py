"""Shared base of mtqe's SQLite caches (translations, metric scores).

WAL journal + busy timeout: several processes (jobs of a sweep) can read and write one file
at once. A connection per operation keeps instances safe across forks.

Every sqlite3 or file-system failure leaves this module as one :class:`CacheError` that names
the file and what to do (:func:`cache_error`, :meth:`SQLiteStore.guard`): a cache is
disposable, so the remedy is always to move it away, point ``cache_dir`` elsewhere or free space.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import tempfile
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

from mtqe.errors import CacheError, CacheNotWritableError, DiskFullError
from mtqe.io import sha256_text

IDENTITIES_SCHEMA = """
CREATE TABLE IF NOT EXISTS identities (
    identity_hash TEXT PRIMARY KEY,
    identity_json TEXT NOT NULL
);
"""

# SQLite's limit on bound parameters is 999 in older builds: stay well below it.
MAX_PARAMS = 500

_CORRUPT = ("file is not a database", "malformed", "not a database", "file is encrypted")
_READ_ONLY = ("readonly", "read-only", "unable to open database file", "access permission denied")
_FULL = ("database or disk is full",)


def identity_json(identity: Mapping[str, Any]) -> str:
    return json.dumps(identity, sort_keys=True, ensure_ascii=False, default=str)


def identity_hash(identity: Mapping[str, Any]) -> str:
    return sha256_text(identity_json(identity))


def row_checksum(*fields: object) -> str:
    """sha256 over a row's content fields (unit-separator joined).

    Stored beside the row and recomputed on read: a row edited by hand or damaged on disk no
    longer matches and is treated as a miss, so it cannot change a score silently.
    """
    return sha256_text("\x1f".join("" if f is None else str(f) for f in fields))


def cache_error(path: Path, exc: BaseException) -> CacheError:
    """The one-line error for a failed operation on the cache file ``path``."""
    text = str(exc).lower()
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC or any(s in text for s in _FULL):
        return DiskFullError(
            f"no space left to write the cache {path}: free space on {mount_point(path.parent)}, "
            f"or set cache_dir=<a folder on another disk> (or use_cache=false)"
        )
    if isinstance(exc, PermissionError) or isinstance(exc, OSError) and exc.errno == errno.EROFS \
            or any(s in text for s in _READ_ONLY):
        return CacheNotWritableError(
            f"cannot write the cache {path} ({exc}): set cache_dir=<a writable folder>, "
            f"or make {path.parent} writable (or use_cache=false)"
        )
    if any(s in text for s in _CORRUPT):
        return CacheError(
            f"the cache {path} is damaged ({exc}): move or delete {path} (and its -wal/-shm files); "
            "it is only a cache, the next run recomputes what it held"
        )
    if "locked" in text:
        return CacheError(
            f"the cache {path} stayed locked by another process ({exc}): wait for the other run to "
            "finish, or set cache_dir=<another folder>"
        )
    return CacheError(f"the cache {path} failed ({type(exc).__name__}: {exc}): move or delete {path}, "
                      "or set cache_dir=<another folder>")


def mount_point(path: Path) -> Path:
    """The mount point holding ``path`` (what to free space on)."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def cache_dir_unwritable(folder: Path) -> str | None:
    """Why ``folder`` (and the cache files in it) cannot be written, or None when they can.

    Tried for real (create a folder, a temporary file, open existing files for writing):
    permission bits alone say nothing on a read-only mount or for root.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
        for existing in folder.glob("*.sqlite*"):
            with open(existing, "r+b"):
                pass
    except OSError as exc:
        return f"{exc.strerror or exc} ({exc.filename or folder})"
    return None


class SQLiteStore:
    """A SQLite file with a schema, plus the ``identities`` table every cache keeps.

    ``read_only``: open an existing file for reading only (``mtqe cache stats``): no schema is
    created and nothing is written, so it works on a read-only folder.
    """

    schema: str = ""

    def __init__(self, path: Path, *, busy_timeout_s: float = 60.0, read_only: bool = False) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self.read_only = read_only
        self._ro_flag = "mode=ro"
        if read_only:
            try:
                with self.guard(), closing(self._connect()) as conn:
                    conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            except CacheNotWritableError:
                # A read-only folder: a WAL reader cannot create the -shm file there, so read
                # the main file as immutable (rows still only in a -wal file are not seen).
                self._ro_flag = "immutable=1"
            with self.guard(), closing(self._connect()) as conn:
                conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # corrupt: fail here
            return
        with self.guard():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as conn, conn:
                conn.executescript(self.schema + IDENTITIES_SCHEMA)
            self._migrate()

    def _migrate(self) -> None:
        """Bring an older file's tables up to :attr:`schema` (subclasses add columns here)."""

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turn a sqlite3 or OS failure inside the block into one :class:`CacheError` line."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            raise cache_error(self.path, exc) from None

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            uri = f"{self.path.resolve().as_uri()}?{self._ro_flag}"
            return sqlite3.connect(uri, uri=True, timeout=self.busy_timeout_s)
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def register_identity(self, identity: Mapping[str, Any]) -> str:
        """Store what a set of rows was computed with (for stats and pruning); return its hash."""
        ident_hash = identity_hash(identity)
        with self.guard(), closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT OR IGNORE INTO identities(identity_hash, identity_json) VALUES (?, ?)",
                (ident_hash, identity_json(identity)),
            )
        return ident_hash

    @property
    def unread_wal(self) -> bool:
        """Opened immutable with a non-empty -wal file beside it: counts may miss its rows."""
        wal = self.path.with_name(self.path.name + "-wal")
        return self._ro_flag == "immutable=1" and wal.exists() and wal.stat().st_size > 0

    def size_bytes(self) -> int:
        """The database with its WAL and shared-memory files."""
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
