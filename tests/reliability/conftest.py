"""Fixtures of the fault matrix (helpers: tests/reliability/faults.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.reliability.faults import FAST, REAL_REFERENCES, mtqe


@pytest.fixture()
def references_copy(tmp_path: Path) -> Path:
    target = tmp_path / "references"
    shutil.copytree(REAL_REFERENCES, target)
    return target


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One successful fast run: (run dir, cache dir), shared by the cases that need one."""
    base = tmp_path_factory.mktemp("finished")
    out, cache = base / "run", base / "cache"
    proc = mtqe(["run", f"hydra.run.dir={out}", f"cache_dir={cache}", *FAST, "--quiet"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, cache
