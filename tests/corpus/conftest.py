"""Fixtures of the corpus tests: the real references (read-only) and writable copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.model import Manifest
from mtqe.corpus.paths import default_references_dir

REAL_REFERENCES = Path(__file__).resolve().parents[2] / "mtqe" / "references"


@pytest.fixture(scope="session")
def manifest() -> Manifest:
    """The repository's real manifest (never modified by tests)."""
    return load_manifest(REAL_REFERENCES)


@pytest.fixture()
def references_copy(tmp_path: Path) -> Path:
    """A writable copy of references/ for tests that break or change files."""
    target = tmp_path / "references"
    shutil.copytree(REAL_REFERENCES, target)
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's MTQE_REFERENCES must not change what the tests read.
    monkeypatch.delenv("MTQE_REFERENCES", raising=False)
    assert default_references_dir() == REAL_REFERENCES
