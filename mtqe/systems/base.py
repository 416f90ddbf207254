"""Interfaces of the systems stage.

Two layers:

* a :class:`Translator` is a loaded model: it turns a batch of source strings into target
  strings and describes itself (``identity``) for the translation cache;
* a :class:`System` is what the pipeline ranks: it produces one output per aligned segment
  of a :class:`~mtqe.corpus.model.ParallelDocument`. An MT system wraps a translator with
  the cache, sentence splitting and batching; an existing human translation just reads its
  text from the document.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from mtqe.corpus.model import ParallelDocument
from mtqe.progress import NoProgress, Progress  # noqa: F401 -- re-exported: systems take a Progress


@dataclass(frozen=True)
class SystemOutput:
    """What a system produced for one document and pair, one hypothesis per segment."""

    system: str
    hypotheses: tuple[str, ...]
    kind: str  # "existing" (a human text read from references/) or "mt"
    text_id: str | None = None  # the manifest text id for kind "existing"
    stats: Mapping[str, Any] = field(default_factory=dict)  # timings, cache hits, truncations
    notes: tuple[str, ...] = ()
    # Per segment, what the alignment knows of an existing text there ("omission", "addition",
    # "extra_units"); empty for MT output. Read by mtqe.diagnostics.
    segment_flags: tuple[frozenset[str], ...] = ()


class Translator(ABC):
    """A loaded model (or a lazy handle to one) that translates batches of strings."""

    @abstractmethod
    def identity(self) -> dict[str, Any]:
        """Everything that changes the output: model id + revision or file hash, backend,
        decoding parameters, prompt template. Used as part of the cache key; must be cheap
        (never loads the model weights)."""

    @abstractmethod
    def translate(self, texts: Sequence[str], *, src_lang: str, tgt_lang: str) -> list[str]:
        """Translate ``texts`` (one batch, any order) and return outputs in the same order."""

    @property
    def tokens_generated(self) -> int:
        """Output tokens generated so far, all calls together (0: the backend does not count
        them). :class:`~mtqe.systems.mt_system.MTSystem` reports the growth per batch."""
        return 0

    def inputs_per_call(self, batch_size: int) -> int:
        """How many inputs one ``translate`` call should get: ``batch_size`` unless the backend
        runs several batches at once (CTranslate2's parallel CPU workers)."""
        return batch_size

    def describe(self) -> dict[str, Any]:
        """Run facts for run.json (device, dtype, load time); may be empty before loading."""
        return {}

    def preflight(self, src_lang: str, tgt_lang: str) -> list[str]:
        """Checks before any work, loading nothing (a local model path, the device): raise an
        :class:`~mtqe.errors.MtqeError` for a config that cannot run here; return warnings."""
        return []

    def close(self) -> None:
        """Release the model (free memory) — the translator may be reused until then."""


class System(ABC):
    """A row of the leaderboard: produces hypotheses for a parallel document."""

    name: str
    kind: str

    @abstractmethod
    def supports(self, src_lang: str, tgt_lang: str) -> bool:
        """Whether this system can translate the pair (checked before anything loads)."""

    @abstractmethod
    def produce(self, doc: ParallelDocument, *, progress: Progress | None = None) -> SystemOutput:
        """One output per segment of ``doc``, in segment order."""

    def preflight(self, src_lang: str, tgt_lang: str) -> list[str]:
        """Checks before any work, loading nothing: raise an :class:`~mtqe.errors.MtqeError`
        for a config that cannot run here; return warnings."""
        return []

    def close(self) -> None:
        """Release any model held."""
