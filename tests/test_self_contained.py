"""The code and the tests read only files inside the repository.

A fresh clone must pass `make test` with nothing beside it: the seed texts are in
references/texts/, so no module may reach for the folder the project was started from, an
absolute path, or a parent of the repository root.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCANNED = ("mtqe", "tests", "benchmarks")

# Built from pieces so that this file does not match its own patterns.
_SEEDS = "shared" + r"[\\/]+seeds"
FORBIDDEN = {
    "the seed folder": re.compile(_SEEDS),
    "a sibling 'shared' folder": re.compile(r"\.\.[\\/]+" + "shared"),
    "the seed folder, joined": re.compile(r"""['"]shared['"]\s*/\s*['"]seeds['"]"""),
    "an absolute Path": re.compile(r"""Path\(\s*[rbuf]?['"]/"""),
}
_PARENTS = re.compile(r"__file__\)?(?:\.resolve\(\))?\.parents\[(\d+)\]")
_PARENT_CHAIN = re.compile(r"__file__\)?(?:\.resolve\(\))?((?:\.parent)+)\b")


def python_files() -> list[Path]:
    return sorted(p for folder in SCANNED for p in (REPO / folder).rglob("*.py") if "__pycache__" not in p.parts)


def offences(path: Path, repo: Path = REPO) -> list[str]:
    """What in ``path`` (a file of ``repo``) reads outside the repository, one line per finding."""
    text = path.read_text(encoding="utf-8")
    rel = path.relative_to(repo)
    found = [f"{rel}: {what} ({m.group(0)!r})" for what, rx in FORBIDDEN.items() for m in rx.finditer(text)]
    # parents[k] of a file k+1 folders deep is the repository root; one more is outside it.
    depth = len(rel.parts) - 1
    found += [f"{rel}: {m.group(0)!r} leaves the repository" for m in _PARENTS.finditer(text) if int(m.group(1)) > depth]
    found += [
        f"{rel}: {m.group(0)!r} leaves the repository"
        for m in _PARENT_CHAIN.finditer(text)
        if m.group(1).count(".parent") - 1 > depth
    ]
    return found


def test_no_code_or_test_reads_outside_the_repository() -> None:
    files = python_files()
    assert len(files) > 50  # the scan really sees the project
    found = [line for path in files for line in offences(path)]
    assert not found, "read files inside the repository (references/texts/ holds the seeds):\n" + "\n".join(found)


# The examples are assembled at run time so that this file does not match its own patterns.
F, SH, Q = "__file__", "shared", '"'


@pytest.mark.parametrize(
    "line",
    [
        f"SEEDS = Path({Q}/work/{SH}/seeds{Q})",
        f"SEEDS = Path({F}).resolve().parents[3] / {Q}{SH}{Q} / {Q}seeds{Q}",
        f"open({Q}../{SH}/x.txt{Q})",
        f"ROOT = Path({F}).resolve().parents[3]",
        f"ROOT = Path({F}).resolve().parent.parent.parent.parent",
    ],
)
def test_the_scan_catches_each_way_out(tmp_path: Path, line: str) -> None:
    # A file two folders deep (tests/metrics/...), as the offending tests were.
    path = tmp_path / "tests" / "metrics" / "test_x.py"
    path.parent.mkdir(parents=True)
    path.write_text(line + "\n", encoding="utf-8")
    assert offences(path, tmp_path)


def test_the_scan_allows_the_repository_root(tmp_path: Path) -> None:
    path = tmp_path / "tests" / "metrics" / "test_x.py"
    path.parent.mkdir(parents=True)
    path.write_text(
        f"TEXTS = Path({F}).resolve().parents[2] / {Q}references{Q} / {Q}texts{Q}\n"
        f"ROOT = Path({F}).resolve().parent.parent.parent\n",
        encoding="utf-8",
    )
    assert offences(path, tmp_path) == []
