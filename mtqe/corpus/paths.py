"""Where the reference texts live: the bundled ``mtqe/references/`` and a user's ``references/``.

Without an explicit folder (``references_dir=``, ``--references``, ``$MTQE_REFERENCES``) mtqe
reads the bundled manifest and, on top of it, ``./references/manifest.yaml`` of the current
directory when there is one (merge rule: :mod:`mtqe.corpus.manifest_merge`). Texts a user
adds go to ``./references/``, never into the installed package.
"""

from __future__ import annotations

import os
from pathlib import Path

REFERENCES_ENV = "MTQE_REFERENCES"
MANIFEST_NAME = "manifest.yaml"
PROJECT_REFERENCES = "references"
BUNDLED_REFERENCES = Path(__file__).resolve().parents[1] / "references"


def explicit_references_dir(explicit: Path | str | None = None) -> Path | None:
    """``explicit`` if given, else ``$MTQE_REFERENCES``, else None (no single folder was chosen)."""
    if explicit is not None:
        return Path(explicit).expanduser()
    from_env = os.environ.get(REFERENCES_ENV, "").strip()
    return Path(from_env).expanduser() if from_env else None


def default_references_dir(explicit: Path | str | None = None) -> Path:
    """The one ``references/`` folder: ``explicit`` if given, else ``$MTQE_REFERENCES``, else the
    bundled ``mtqe/references/`` (a user's ``./references/`` is merged on top by ``load_manifest``)."""
    return explicit_references_dir(explicit) or BUNDLED_REFERENCES


def project_references_dir(cwd: Path | None = None) -> Path:
    """The user's ``references/`` in the current directory (it may not exist yet)."""
    return (cwd or Path.cwd()) / PROJECT_REFERENCES


def writable_references_dir(explicit: Path | str | None = None) -> Path:
    """Where ``mtqe corpus add`` writes: the explicit folder, else the user's ``./references/``."""
    return explicit_references_dir(explicit) or project_references_dir()
