"""The diagnostics goals on the labelled set built from the seed texts (docs/diagnostics.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .evaluate_gold import evaluate

REFERENCES = Path(__file__).resolve().parents[2] / "mtqe" / "references"


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    root = tmp_path_factory.mktemp("gold")
    refs = root / "references"
    shutil.copytree(REFERENCES, refs)
    return evaluate(refs, cache_dir=root / "cache")


@pytest.mark.parametrize("kind", ["omission", "addition", "number", "untranslated"])
def test_recall_goal(scores, kind):
    assert scores.injected[kind] >= 4, scores.injected
    assert scores.recall(kind) >= 0.9, (kind, scores.detected, scores.injected)


def test_at_most_three_false_flags_on_the_clean_community_text(scores):
    core = sum(scores.clean_flags[k] for k in ("omission", "addition", "number", "untranslated"))
    assert core <= 3, scores.clean_flags
