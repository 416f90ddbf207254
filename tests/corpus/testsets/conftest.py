"""A test set built from the seed document: its aligned sentences one per line, synthetic outputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.seed_testset import drop_every, seed_sentence_lines, write_lines


@dataclass(frozen=True)
class LineFiles:
    source: Path
    reference: Path
    systems: dict[str, Path]  # display name -> file
    docs: Path
    lines: int


def perturb(line: str) -> str:
    """Every 4th character dropped: a deterministic, clearly worse output."""
    return drop_every(line, 4)


@pytest.fixture(scope="session")
def seed_sentences(manifest) -> tuple[list[str], list[str]]:
    """The jpus-2022 ja→zh sentence pairs, as the aligner pairs them (the seed texts, no invented text)."""
    return seed_sentence_lines(manifest)


@pytest.fixture()
def line_files(tmp_path: Path, seed_sentences) -> LineFiles:
    src, ref = seed_sentences
    n = len(src)
    out = tmp_path / "testset"
    out.mkdir()

    def write(name: str, lines: list[str]) -> Path:
        return write_lines(out / name, lines)

    with_gaps = [("" if i % 10 == 0 else line) for i, line in enumerate(ref)]
    systems = {
        "Copy-Ref": write("copy.txt", ref),
        "Drop4th": write("perturbed.txt", [perturb(line) for line in ref]),
        "GPT-Gaps": write("gaps.txt", with_gaps),
    }
    docs = write("docs.tsv", [f"{'statement' if i < n // 2 else 'annex'}\tpart{1 + (i >= n // 2)}" for i in range(n)])
    return LineFiles(write("src.ja", src), write("ref.zh", ref), systems, docs, n)
