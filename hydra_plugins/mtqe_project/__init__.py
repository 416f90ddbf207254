"""Hydra search-path plugin: a user's ``conf/`` (current directory) before mtqe's packaged configs.

Hydra appends ``hydra.searchpath`` entries after the primary config folder, so they can add
configs but never replace one; a plugin can put a folder before it. This one acts only when
the primary folder is mtqe's (:func:`mtqe.conf_paths.packaged_conf_dir`), so other Hydra
applications in the same environment are left alone.
"""

from __future__ import annotations

from pathlib import Path

from hydra.core.config_search_path import ConfigSearchPath, SearchPathQuery
from hydra.plugins.search_path_plugin import SearchPathPlugin

PROVIDER = "mtqe-project"


class MtqeProjectSearchPath(SearchPathPlugin):
    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        from mtqe.conf_paths import packaged_conf_dir, project_conf_dir

        main = [e.path for e in search_path.get_path() if e.provider == "main"]
        if len(main) != 1 or _as_dir(main[0]) != packaged_conf_dir():
            return
        project = project_conf_dir()
        if project is not None and project != packaged_conf_dir():
            search_path.prepend(PROVIDER, f"file://{project}", anchor=SearchPathQuery(provider="main"))


def _as_dir(path: str | None) -> Path | None:
    if not path or path.startswith("pkg://"):
        return None
    return Path(path.removeprefix("file://")).resolve()
