"""Where the reference texts live."""

from __future__ import annotations

import os
from pathlib import Path

REFERENCES_ENV = "MTQE_REFERENCES"
MANIFEST_NAME = "manifest.yaml"


def default_references_dir(explicit: Path | str | None = None) -> Path:
    """The ``references/`` folder: ``explicit`` if given, else ``$MTQE_REFERENCES``, else the
    ``references/`` folder of this repository checkout (next to the ``mtqe`` package)."""
    if explicit is not None:
        return Path(explicit).expanduser()
    from_env = os.environ.get(REFERENCES_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return Path(__file__).resolve().parents[2] / "references"
