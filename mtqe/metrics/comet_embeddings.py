"""Encode once: COMET regression scores from sentence embeddings computed once per text.

A regression COMET model (``RegressionMetric``: wmt22-comet-da, wmt20/21-comet-da) encodes
source, hypothesis and reference *separately* and only then combines the three sentence
embeddings in its feed-forward estimator. The sentence embedding of a text does not depend on
the other texts of its input, so the source and reference embeddings of a document are the
same for every system and every reference stream, and a hypothesis two systems share is the
same too. :class:`EmbeddingScorer` computes each distinct text's embedding once per metric
instance (the model's own ``encoder.prepare_sample`` + ``get_sentence_embedding``) and scores
an input with the model's own ``estimate`` on the stored embeddings: the same functions
``RegressionMetric.forward`` calls, so the scores equal ``predict``'s within float tolerance
(padding differs between batches; the tests compare with ``predict``).

unbabel-comet's own embedding cache (``set_embedding_cache``) cannot do this: it is an LRU
keyed by the padded batch tensors (passed as keyword arguments, hashed by id), so it never
hits for the same text in another batch.

Which models: :func:`encode_once_reason` says why a model cannot reuse embeddings, and is None
for those that can (exactly the classes whose ``forward`` is ``RegressionMetric.forward``).
Joint-encoding models (``UnifiedMetric``: CometKiwi, XCOMET) encode ``mt </s></s> src [ref]``
as one sequence: every embedding depends on the pair, so there is nothing to reuse.

Memory: embeddings are kept on the CPU, at most :data:`MAX_EMBEDDINGS` per metric instance,
least recently used first out (4 KiB each for XLM-R large in fp32: at most 64 MiB). A
document's texts are far fewer, so a run of several systems on one document reuses everything;
an evicted text is simply encoded again.

Across runs: with a score cache, the embeddings of *source and reference* texts are also kept
in the cache folder's ``embeddings.sqlite`` (:class:`~mtqe.corpus.align.embedding_store.EmbeddingStore`,
float32, keyed by the metric's cache identity and the text's sha256), so a later run that adds
a system to scored documents encodes only its hypotheses. Hypotheses are not stored: an
unchanged system's scores are cached already, and a new system's outputs are new texts.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mtqe.metrics.neural_batching import Key

if TYPE_CHECKING:
    from mtqe.corpus.align.embedding_store import EmbeddingStore

MAX_EMBEDDINGS = 16_384
"""Sentence embeddings kept per metric instance (LRU)."""

VectorStore = tuple["EmbeddingStore", str]
"""Where source and reference embeddings persist: the store and the metric's identity hash."""


def encode_once_reason(model: Any, models: Any) -> str | None:
    """None when ``model`` scores from separately computed sentence embeddings (reusable),
    else why not (one line, shown in the result details). ``models`` is ``comet.models``."""
    name = type(model).__name__
    if isinstance(model, models.UnifiedMetric):
        return (
            f"{name} encodes mt with src (and ref) jointly in one sequence: no embedding is "
            "shared between systems; every input runs the full model"
        )
    if not isinstance(model, models.RegressionMetric) or type(model).forward is not models.RegressionMetric.forward:
        return f"{name} does not score through RegressionMetric.estimate; every input runs the full model"
    return None


class EmbeddingScorer:
    """Sentence embeddings by text (bounded LRU) and scores from them, for one loaded model.

    ``score(model, device, keys, batch_size, store)`` runs under the caller's
    ``inference_mode`` and autocast; a key is ``(src, mt, ref)``. Counters, cumulative per
    instance: ``encoded`` (texts run through the encoder), ``reused`` (embeddings served from
    memory, counted per model batch) and ``from_store`` (read from the store).
    """

    def __init__(self, max_entries: int = MAX_EMBEDDINGS) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self.max_entries = max_entries
        self._embeddings: OrderedDict[str, Any] = OrderedDict()  # text -> 1-D CPU tensor
        self.encoded = 0
        self.reused = 0
        self.from_store = 0

    def __len__(self) -> int:
        return len(self._embeddings)

    def clear(self) -> None:
        self._embeddings.clear()

    def score(
        self, model: Any, device: Any, keys: Sequence[Key], batch_size: int, store: VectorStore | None = None
    ) -> list[float]:
        """One score per key, from ``model.estimate`` on the texts' sentence embeddings;
        ``store`` (an EmbeddingStore and identity hash) keeps source and reference embeddings."""
        import torch

        texts = list(dict.fromkeys(t for key in keys for t in key))
        shared = {key[0] for key in keys} | {key[2] for key in keys}
        embeddings = self._embed(model, device, texts, batch_size, shared, store)
        # float32: an embedding read from the store is float32 whatever the fresh ones are
        columns = [torch.stack([embeddings[key[i]].float() for key in keys]).to(device) for i in range(3)]
        src, mt, ref = columns
        return model.estimate(src, mt, ref).score.detach().float().cpu().tolist()

    def _embed(
        self, model: Any, device: Any, texts: list[str], batch_size: int, shared: set[str], store: VectorStore | None
    ) -> dict[str, Any]:
        """The embedding of every text: from memory, from the store (source and reference
        texts), or encoded (longest first, in batches)."""
        found: dict[str, Any] = {}
        missing = []
        for text in texts:
            if text in self._embeddings:
                self._embeddings.move_to_end(text)
                found[text] = self._embeddings[text]
            else:
                missing.append(text)
        self.reused += len(found)
        if store is not None and missing:
            stored = self._read(store, [t for t in missing if t in shared])
            found.update(stored)
            missing = [t for t in missing if t not in stored]
        missing.sort(key=len, reverse=True)  # similar lengths together: less padding
        for begin in range(0, len(missing), batch_size):
            chunk = missing[begin : begin + batch_size]
            for text, row in zip(chunk, self._encode(model, device, chunk)):
                found[text] = row
                self._remember(text, row)
        self.encoded += len(missing)
        if store is not None:
            self._write(store, {t: found[t] for t in missing if t in shared})
        return found

    def _read(self, store: VectorStore, texts: list[str]) -> dict[str, Any]:
        import torch

        if not texts:
            return {}
        vault, ident = store
        with vault.guard():
            vectors = vault.get_many(ident, texts)
        rows = {text: torch.from_numpy(vector) for text, vector in vectors.items()}
        for text, row in rows.items():
            self._remember(text, row)
        self.from_store += len(rows)
        return rows

    @staticmethod
    def _write(store: VectorStore, rows: dict[str, Any]) -> None:
        if rows:
            vault, ident = store
            with vault.guard():
                vault.put_many(ident, {text: row.float().numpy() for text, row in rows.items()})

    @staticmethod
    def _encode(model: Any, device: Any, texts: list[str]) -> list[Any]:
        """Sentence embeddings of ``texts`` as COMET's ``RegressionMetric.forward`` computes them."""
        inputs = model.encoder.prepare_sample(texts)  # tokenized, padded, cut at max_positions - 2
        ids = inputs["input_ids"].to(device)
        mask = inputs["attention_mask"].to(device)
        # clone: a stored row must not keep its whole batch tensor alive
        return [row.clone() for row in model.get_sentence_embedding(ids, mask).detach().cpu()]

    def _remember(self, text: str, row: Any) -> None:
        self._embeddings[text] = row
        while len(self._embeddings) > self.max_entries:
            self._embeddings.popitem(last=False)
