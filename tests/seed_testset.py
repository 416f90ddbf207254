"""The seed document as a line-aligned test set: its aligned ja→zh sentences one per line, and
deterministic synthetic outputs made from them (no invented text). Shared by the test-set,
human-judgment and whole-run tests."""

from __future__ import annotations

from pathlib import Path

from mtqe.corpus.loader import load_parallel_document
from mtqe.corpus.manifest import Manifest


def drop_every(line: str, every: int) -> str:
    """``line`` with every ``every``-th character dropped: a clearly worse output."""
    return "".join(ch for i, ch in enumerate(line) if i % every != every - 1)


def seed_sentence_lines(manifest: Manifest) -> tuple[list[str], list[str]]:
    """The jpus-2022 (source, zh-community) sentences as the aligner pairs them, one line each."""
    doc = load_parallel_document(manifest, "jpus-2022", "ja", "zh", unit="sentence")
    return ([s.source.replace("\n", " ") for s in doc.segments],
            [s.targets["zh-community"].replace("\n", " ") for s in doc.segments])


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path
