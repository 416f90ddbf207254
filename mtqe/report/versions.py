"""Facts about the environment a run happened in (for run.json)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

TRACKED_PACKAGES = (
    "mtqe", "torch", "transformers", "tokenizers", "sentencepiece", "unbabel-comet", "sacrebleu",
    "mecab-python3", "hydra-core", "omegaconf", "numpy", "huggingface-hub", "gguf", "ctranslate2",
)


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit(start: Path | None) -> str | None:
    """The checkout's commit (with ``-dirty`` if modified), or None outside a git checkout."""
    if start is None:  # an installed mtqe: no commit of its own
        return None
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=start, capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=start, capture_output=True, text=True, timeout=10,
        )
        return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def machine_info() -> dict[str, object]:
    """Python, platform and CPU facts; torch's threads and GPU only if this run loaded torch.

    Importing torch just to describe the machine would be most of the time of a re-run whose
    translations are all cached (docs/benchmarks.md), so a run that never needed torch says so instead.
    """
    info: dict[str, object] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_loaded": "torch" in sys.modules,
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
        info["cuda_available"] = torch.cuda.is_available()
        if torch.cuda.is_available():
            info["cuda_device"] = torch.cuda.get_device_name(0)
    return info
