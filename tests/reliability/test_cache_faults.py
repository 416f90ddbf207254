"""Translation-cache integrity (checksums) and the mapping of environment faults to one line."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from mtqe.errors import CacheError, CacheNotWritableError, DiskFullError, MtqeError
from mtqe.run_task import as_user_error
from mtqe.sqlite_store import cache_error, row_checksum
from mtqe.systems.cache import TranslationCache, entry_key

SOURCE = "日米首脳共同声明"


def _cache_with_one_row(tmp_path: Path) -> tuple[TranslationCache, str]:
    cache = TranslationCache(tmp_path / "translations.sqlite")
    cache.put_many("ident", "ja", "zh", [(SOURCE, "日美领导人联合声明")])
    key = entry_key("ident", "ja", "zh", SOURCE)
    assert cache.get_many([key]) == {key: "日美领导人联合声明"}
    return cache, key


def _sql(cache: TranslationCache, statement: str, *params: object) -> None:
    conn = sqlite3.connect(cache.path)
    with conn:
        conn.execute(statement, params)
    conn.close()


@pytest.mark.parametrize("tamper", [
    "UPDATE translations SET output = 'a wrong translation'",
    "UPDATE translations SET source = 'another source'",
    "UPDATE translations SET identity_hash = 'another model'",
    "UPDATE translations SET checksum = NULL",  # a row written before checksums existed
])
def test_a_tampered_row_is_a_miss(tmp_path: Path, tamper: str) -> None:
    cache, key = _cache_with_one_row(tmp_path)
    _sql(cache, tamper)
    assert cache.get_many([key]) == {}
    # Translated again and rewritten: a hit again.
    cache.put_many("ident", "ja", "zh", [(SOURCE, "日美领导人联合声明")])
    assert cache.get_many([key]) == {key: "日美领导人联合声明"}


def test_an_older_file_without_the_column_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "translations.sqlite"
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE translations (key TEXT PRIMARY KEY, identity_hash TEXT NOT NULL, src_lang TEXT "
                     "NOT NULL, tgt_lang TEXT NOT NULL, source TEXT NOT NULL, output TEXT NOT NULL, created REAL NOT NULL)")
        conn.execute("INSERT INTO translations VALUES (?, 'ident', 'ja', 'zh', ?, 'old', 0)",
                     (entry_key("ident", "ja", "zh", SOURCE), SOURCE))
    conn.close()
    cache = TranslationCache(path)
    key = entry_key("ident", "ja", "zh", SOURCE)
    assert cache.get_many([key]) == {}  # no checksum: not trusted
    assert cache.stats().entries == 1


def test_checksum_helper_covers_every_field() -> None:
    assert row_checksum("a", "b") != row_checksum("ab", "")
    assert row_checksum("a", None) == row_checksum("a", "")
    assert len(row_checksum("x")) == 64


def test_sqlite_and_os_faults_name_the_file_and_the_remedy(tmp_path: Path) -> None:
    path = tmp_path / "translations.sqlite"
    damaged = cache_error(path, sqlite3.DatabaseError("file is not a database"))
    assert type(damaged) is CacheError and f"move or delete {path}" in str(damaged)
    read_only = cache_error(path, sqlite3.OperationalError("attempt to write a readonly database"))
    assert isinstance(read_only, CacheNotWritableError) and "set cache_dir=" in str(read_only)
    full = cache_error(path, sqlite3.OperationalError("database or disk is full"))
    assert isinstance(full, DiskFullError) and "free space on /" in str(full)


def test_environment_faults_become_mtqe_errors_and_bugs_stay_bugs(tmp_path: Path) -> None:
    full = as_user_error(OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "run.json")))
    assert isinstance(full, DiskFullError) and str(tmp_path / "run.json") in str(full)
    denied = as_user_error(PermissionError(errno.EACCES, "Permission denied", "/x/leaderboard.csv"))
    assert isinstance(denied, MtqeError) and "/x/leaderboard.csv" in str(denied)
    assert isinstance(as_user_error(sqlite3.OperationalError("disk I/O error"), tmp_path), CacheError)
    bug = KeyError("system")
    assert as_user_error(bug) is bug  # a genuine bug keeps its traceback
