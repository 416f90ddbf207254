"""A test set built from the seed document: its aligned sentences one per line, synthetic outputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mtqe.corpus.loader import load_parallel_document


@dataclass(frozen=True)
class LineFiles:
    source: Path
    reference: Path
    systems: dict[str, Path]  # display name -> file
    docs: Path
    lines: int


def perturb(line: str) -> str:
    """Every 4th character dropped: a deterministic, clearly worse output."""
    return "".join(ch for i, ch in enumerate(line) if i % 4 != 3)


@pytest.fixture(scope="session")
def seed_sentences(manifest) -> tuple[list[str], list[str]]:
    """The jpus-2022 ja→zh sentence pairs, as the aligner pairs them (the seed texts, no invented text)."""
    doc = load_parallel_document(manifest, "jpus-2022", "ja", "zh", unit="sentence")
    pairs = [(s.source.replace("\n", " "), s.targets["zh-community"].replace("\n", " ")) for s in doc.segments]
    return [p[0] for p in pairs], [p[1] for p in pairs]


@pytest.fixture()
def line_files(tmp_path: Path, seed_sentences) -> LineFiles:
    src, ref = seed_sentences
    n = len(src)
    out = tmp_path / "testset"
    out.mkdir()

    def write(name: str, lines: list[str]) -> Path:
        path = out / name
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        return path

    with_gaps = [("" if i % 10 == 0 else line) for i, line in enumerate(ref)]
    systems = {
        "Copy-Ref": write("copy.txt", ref),
        "Drop4th": write("perturbed.txt", [perturb(line) for line in ref]),
        "GPT-Gaps": write("gaps.txt", with_gaps),
    }
    docs = write("docs.tsv", [f"{'statement' if i < n // 2 else 'annex'}\tpart{1 + (i >= n // 2)}" for i in range(n)])
    return LineFiles(write("src.ja", src), write("ref.zh", ref), systems, docs, n)
