"""Helpers of the fault matrix: `mtqe` in a subprocess (offline), file-tree snapshots."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REAL_REFERENCES = REPO / "mtqe" / "references"
# Fast, model-free runs: existing human texts only, sacrebleu metrics, strict paragraphs.
FAST = ["system=[community]", "metric=[bleu,chrf]", "unit=paragraph", "align_embeddings=none",
        "stats.bootstrap_samples=50", "stats.randomization_samples=50"]


def mtqe(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 600,
         **popen: object) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(REPO), "COLUMNS": "500",
                **(env or {})}
    full_env.pop("MTQE_CACHE_DIR", None)
    full_env.pop("MTQE_REFERENCES", None)
    return subprocess.run([sys.executable, "-m", "mtqe.cli", *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout, **popen)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("mtqe: error:")]


def assert_one_line_error(proc: subprocess.CompletedProcess, code: int, *needles: str) -> str:
    """Exit ``code``, exactly one `mtqe: error:` line containing every needle, no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = error_lines(proc.stderr)
    assert len(lines) == 1, proc.stderr[-3000:]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def snapshot(root: Path, *, skip: tuple[Path, ...] = ()) -> dict[str, str]:
    """Every file under ``root`` (except under ``skip``) → sha256 of its bytes."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if any(path == s or s in path.parents for s in skip) or not path.is_file():
            continue
        out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out
