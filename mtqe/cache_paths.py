"""Where mtqe keeps caches that outlive a run (translations, metric scores).

Outside run directories on purpose: every run and every job of a sweep shares them.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """``$MTQE_CACHE_DIR``, else ``$XDG_CACHE_HOME/mtqe``, else ``~/.cache/mtqe``."""
    explicit = os.environ.get("MTQE_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "mtqe"
