"""Atomic file writes and content hashing.

Run outputs are written to a temporary file in the same directory and renamed into place,
so an interrupted run never leaves a half-written CSV or JSON behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from mtqe.errors import MtqeError


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return sha256_bytes(text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600; give the file the mode a plain open() would (umask applied).
        os.chmod(tmp_name, 0o666 & ~_current_umask())
        os.replace(tmp_name, path)
    except BaseException:
        # Leave nothing behind on failure, including KeyboardInterrupt.
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def atomic_write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    atomic_write_text(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))


# File names derived from names people choose (systems, metrics, documents, text ids).
_SAFE_PUNCTUATION = frozenset("-_.+")
_MAX_NAME = 120


def safe_file_name(name: str) -> str:
    """A file name (one path component) for ``name``; display names stay as they are.

    A name made only of letters, digits and ``-_.+`` that does not start with ``.`` is kept
    as is (``jpus-2022.ja-zh.gemma-3-270m``). Any other name — with ``/``, ``..``, spaces,
    control characters, or too long — has each other character replaced by ``_`` and a
    short hash of the original appended, so two different names never share a file.
    """
    kept = "".join(c if c.isalnum() or c in _SAFE_PUNCTUATION else "_" for c in name)
    if kept == name and name and not name.startswith(".") and len(name) <= _MAX_NAME:
        return name
    stem = kept.lstrip(".")[:_MAX_NAME] or "_"
    return f"{stem}-{sha256_text(name)[:10]}"


def path_under(root: Path, *parts: str) -> Path:
    """``root/parts…``, refusing a path that would leave ``root`` (``..``, absolute parts, links)."""
    root = Path(root)
    path = root.joinpath(*parts)
    resolved_root = root.resolve()
    if not path.resolve().is_relative_to(resolved_root):
        raise MtqeError(
            f"refusing to write {path}: it is outside the output directory {root}; "
            "rename the system, metric or document whose name makes this path"
        )
    return path
