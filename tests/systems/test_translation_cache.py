"""Translation cache: content addressing, persistence across instances, concurrent writers."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest

from mtqe.systems.cache import TranslationCache, entry_key, identity_hash


def test_roundtrip_and_keys_separate_models_and_pairs(tmp_path: Path) -> None:
    cache = TranslationCache(tmp_path / "t.sqlite")
    a = cache.register_identity({"model": "a", "beams": 4})
    b = cache.register_identity({"model": "a", "beams": 1})
    assert a != b
    cache.put_many(a, "ja", "zh", [("今日は。", "今天。")])
    assert cache.get_many([entry_key(a, "ja", "zh", "今日は。")]) == {entry_key(a, "ja", "zh", "今日は。"): "今天。"}
    assert cache.get_many([entry_key(b, "ja", "zh", "今日は。")]) == {}
    assert cache.get_many([entry_key(a, "ja", "en", "今日は。")]) == {}
    # A fresh instance (another run) sees the same rows.
    again = TranslationCache(tmp_path / "t.sqlite")
    assert again.stats().entries == 1


def test_identity_hash_ignores_key_order() -> None:
    assert identity_hash({"a": 1, "b": 2}) == identity_hash({"b": 2, "a": 1})


def test_prune_requires_a_criterion_and_deletes_by_model(tmp_path: Path) -> None:
    cache = TranslationCache(tmp_path / "t.sqlite")
    a = cache.register_identity({"model": "opus-mt"})
    b = cache.register_identity({"model": "nllb"})
    cache.put_many(a, "ja", "en", [("x", "X"), ("y", "Y")])
    cache.put_many(b, "ja", "en", [("x", "X")])
    with pytest.raises(ValueError):
        cache.prune()
    assert cache.prune(model_substring="opus") == 2
    assert cache.stats().entries == 1


def test_many_keys_beyond_sqlite_parameter_limit(tmp_path: Path) -> None:
    cache = TranslationCache(tmp_path / "t.sqlite")
    ident = cache.register_identity({"model": "m"})
    pairs = [(f"s{i}", f"t{i}") for i in range(1200)]
    cache.put_many(ident, "ja", "zh", pairs)
    keys = [entry_key(ident, "ja", "zh", s) for s, _ in pairs]
    assert len(cache.get_many(keys)) == 1200


def _writer(path: str, worker: int, n: int) -> None:
    cache = TranslationCache(Path(path))
    ident = cache.register_identity({"model": "shared"})
    for i in range(n):
        cache.put_many(ident, "ja", "zh", [(f"w{worker}-{i}", f"out{worker}-{i}")])


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    TranslationCache(path)
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), w, 150)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    assert TranslationCache(path).stats().entries == 300
