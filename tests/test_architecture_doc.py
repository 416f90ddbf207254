"""docs/architecture.md stays true: every module and folder it names exists in the repository."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "architecture.md"
SEARCHED = ("mtqe", "tests", "benchmarks", "hydra_plugins")


def _named_paths() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    tokens = re.findall(r"`([^`\s]+)`", text)
    # "./conf/" is the user's project folder, not the repository's.
    return sorted({t for t in tokens if re.fullmatch(r"[\w./]+\.py|[\w./]+/", t) and not t.startswith("./")})


def _files() -> list[str]:
    return [str(p.relative_to(REPO)) for top in SEARCHED for p in (REPO / top).rglob("*") if "__pycache__" not in p.parts]


def test_every_named_module_exists():
    files = _files()
    missing = []
    for name in _named_paths():
        wanted = name.rstrip("/")
        if not (REPO / wanted).exists() and not any(f == wanted or f.endswith("/" + wanted) for f in files):
            missing.append(name)
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"


def test_the_doc_names_the_stage_folders():
    names = _named_paths()
    assert len(names) > 40
    for folder in ("mtqe/corpus", "mtqe/systems", "mtqe/metrics", "mtqe/diagnostics", "mtqe/report"):
        assert (REPO / folder).is_dir()
        assert folder.split("/")[1] in DOC.read_text(encoding="utf-8")
