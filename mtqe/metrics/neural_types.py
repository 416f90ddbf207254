"""The data types of neural metrics (:mod:`mtqe.metrics.neural`): what the base and a
model family's subclass hand each other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, Protocol

from mtqe.metrics.base import ErrorSpan
from mtqe.metrics.neural_batching import Key

PRECISIONS = {
    "32": "32",
    "32-true": "32",
    "fp32": "32",
    "bf16": "bf16",
    "bf16-mixed": "bf16",
    "16": "16",
    "16-mixed": "16",
    "fp16": "16",
}


class NeuralConfig(Protocol):
    """The config fields the base reads (each neural metric's dataclass has them)."""

    name: str
    model: str
    batch_size: int
    gpus: int
    precision: str
    long_segments: str  # truncate | split (mtqe/metrics/long_segments.py)


@dataclass(frozen=True)
class ModelTraits:
    """What a loaded model is, as far as scoring cares."""

    model_class: str
    accepts_reference: bool  # the model reads a reference when one is given
    requires_reference: bool  # ... and cannot score without one


@dataclass(frozen=True)
class CheckpointFacts(ModelTraits):
    """What scoring needs to know of a checkpoint before (or without) running it. Learnt by
    loading it once, then kept in the score cache by sha256."""

    checkpoint: Path = Path()
    checkpoint_hash: str = ""  # full sha256
    max_positions: int = 0

    CACHED_FIELDS: ClassVar[tuple[str, ...]] = (
        "model_class",
        "accepts_reference",
        "requires_reference",
        "max_positions",
    )


@dataclass(frozen=True)
class LoadedModel:
    model: Any
    facts: CheckpointFacts
    device: Any  # torch.device
    load_s: float
    extra: Mapping[str, Any] = field(default_factory=dict)  # family-specific (e.g. input segments)


@dataclass(frozen=True)
class Unscorable:
    """Why this model cannot score an input (one line with the remedy)."""

    reason: str
    refs: int | None = None  # references to show in the signature, when known


@dataclass(frozen=True)
class InputPlan:
    """What one ``score()`` asks of the model."""

    rows: list[list[Key]]  # model inputs per reference stream (one row without references)
    mode: str  # part of the cache identity, e.g. "ref" or "qe"
    n_refs: int  # references shown in the signature
    # The (source, hypothesis, reference or None) each key of ``rows`` was built from, same
    # layout: what ``long_segments: split`` cuts into sentences. None: the metric cannot split.
    texts: list[list[tuple[str, str, str | None]]] | None = None


@dataclass(frozen=True)
class Prediction:
    """What a model says of one input when it says more than a score (``predict_batch`` may
    return these instead of floats): the error spans it marked in the hypothesis (XCOMET, an
    LLM judge), and whether its output could be read at all (``valid=False``: an LLM judge's
    unreadable answer; its ``score`` is ignored and the segment is counted, never scored).
    ``extra`` is what else the subclass wants back from the score cache with the score (plain
    JSON values: why an answer was unreadable, errors it could not locate); the base only
    stores it."""

    score: float
    spans: tuple[ErrorSpan, ...] | None = None
    valid: bool = True
    extra: Mapping[str, Any] | None = None


class Scored(NamedTuple):
    """One scored model input, as memoised and cached: ``score`` is NaN when not ``valid``."""

    score: float
    truncated: bool
    spans: tuple[ErrorSpan, ...] | None = None
    valid: bool = True
    extra: Mapping[str, Any] | None = None
