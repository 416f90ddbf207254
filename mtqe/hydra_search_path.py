"""Hydra search-path plugin: a user's ``conf/`` (current directory) before mtqe's packaged configs.

Hydra appends ``hydra.searchpath`` entries after the primary config folder, so they can add
configs but never replace one; a search-path plugin can put a folder before it. This one acts
only when the primary folder is mtqe's (:func:`mtqe.conf_paths.packaged_conf_dir`), so other
Hydra applications in the same environment are left alone.

Hydra finds plugins by listing the ``hydra_plugins`` namespace (``hydra_plugins/mtqe_project``
re-exports this class), which fails silently under setuptools' PEP 660 editable installs
(hydra issue #2359, ``pip install -e .`` as ``make install`` does); so ``mtqe run`` also
registers it explicitly (:func:`register`).
"""

from __future__ import annotations

from pathlib import Path

from hydra.core.config_search_path import ConfigSearchPath, SearchPathQuery
from hydra.core.plugins import Plugins
from hydra.plugins.search_path_plugin import SearchPathPlugin

from mtqe.conf_paths import packaged_conf_dir, project_conf_dir

PROVIDER = "mtqe-project"


class MtqeProjectSearchPath(SearchPathPlugin):
    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        main = [e.path for e in search_path.get_path() if e.provider == "main"]
        if len(main) != 1 or _as_dir(main[0]) != packaged_conf_dir():
            return
        if any(e.provider == PROVIDER for e in search_path.get_path()):
            return  # found by Hydra's scan and registered explicitly: once is enough
        project = project_conf_dir()
        if project is not None and project != packaged_conf_dir():
            search_path.prepend(PROVIDER, f"file://{project}", anchor=SearchPathQuery(provider="main"))


def register() -> None:
    """Make sure Hydra uses the plugin (a no-op when its scan already found it)."""
    Plugins.instance().register(MtqeProjectSearchPath)


def _as_dir(path: str | None) -> Path | None:
    if not path or path.startswith("pkg://"):
        return None
    return Path(path.removeprefix("file://")).resolve()
