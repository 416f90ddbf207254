"""Scoring an aligner against gold links: exact-match precision, recall and F1.

A predicted link counts as correct only if a gold link has exactly the same source and
target indices (the strict measure of the ARCADE/BUCC tradition): a 2-1 link predicted as
1-1 + 1-0 earns nothing for either part. Unlinked units (1-0 / 0-1) count as links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

LinkKey = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class LinkScores:
    precision: float
    recall: float
    f1: float
    predicted: int
    gold: int
    correct: int

    def __str__(self) -> str:
        return (f"P={self.precision:.3f} R={self.recall:.3f} F1={self.f1:.3f} "
                f"({self.correct} correct of {self.predicted} predicted, {self.gold} gold)")


def link_scores(predicted: Iterable[LinkKey], gold: Iterable[LinkKey]) -> LinkScores:
    pred, ref = set(predicted), set(gold)
    correct = len(pred & ref)
    precision = correct / len(pred) if pred else 0.0
    recall = correct / len(ref) if ref else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return LinkScores(precision, recall, f1, len(pred), len(ref), correct)
