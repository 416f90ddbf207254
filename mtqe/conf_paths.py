"""Where mtqe finds its Hydra configs: the packaged ``mtqe/conf/`` and a user's own ``conf/``.

The packaged folder ships inside the package, so a non-editable install has every default
config. A ``conf/`` in the current directory (a user's project, see ``mtqe init``) lies on
top of it: Hydra finds a file there first (:mod:`hydra_plugins.mtqe_project` puts it before
the packaged folder in the search path), so a user's ``conf/system/x.yaml`` adds a system and
a user's ``conf/metric/bleu.yaml`` replaces the packaged one.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CONF_ENV = "MTQE_CONF_DIR"
PROJECT_CONF = "conf"


def packaged_conf_dir() -> Path:
    """``$MTQE_CONF_DIR`` (a complete replacement, e.g. for a benchmark), else ``mtqe/conf/``."""
    explicit = os.environ.get(CONF_ENV, "").strip()
    return Path(explicit).expanduser().resolve() if explicit else PACKAGE_DIR / "conf"


def project_conf_dir(cwd: Path | None = None) -> Path | None:
    """The user's ``conf/`` in the current directory, or None when there is none."""
    folder = (cwd or Path.cwd()) / PROJECT_CONF
    return folder.resolve() if folder.is_dir() else None


def conf_dirs(cwd: Path | None = None) -> list[Path]:
    """Config folders, first wins: the user's ``conf/`` (if any), then the packaged one."""
    project = project_conf_dir(cwd)
    packaged = packaged_conf_dir()
    return [project, packaged] if project is not None and project != packaged else [packaged]


def source_checkout() -> Path | None:
    """The git checkout mtqe runs from (for the commit in run.json), None for an installed package."""
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() and (root / ".git").exists() else None
