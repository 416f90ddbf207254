"""The neural-metric base (mtqe/metrics/neural.py and its modules), exercised through COMET,
its first subclass, on the tiny real checkpoints of tests/tiny_models.py.

Covers what the base promises beyond test_comet_metric.py: checkpoints never run code
(issue 15 item 1), score-cache rows checked by checksum (issue 15 item 8), CUDA-OOM batch
halving, and the batch order.
"""

from __future__ import annotations

import datetime
import logging
import os
import shutil
import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import torch

from mtqe.metrics.checkpoint_safety import allowed_globals
from mtqe.metrics.comet_metric import CometMetric
from mtqe.metrics.neural_batching import sorted_batches
from mtqe.metrics.score_cache import ScoreCache
from tests.metrics.test_comet_metric import (  # noqa: F401 -- `direct` is a fixture
    HYPOTHESES,
    REF_A,
    REF_B,
    SOURCES,
    SampleCounter,
    comet_config,
    direct,
    metric_input,
    triples,
)

# ----------------------------------------------------------------------------- batch order


def test_sorted_batches_longest_first_short_batch_first():
    lengths = {t: len(t) for t in ("a", "bb", "ccc", "dddd", "eeeee")}
    keys = [("a",), ("ccc",), ("eeeee",), ("bb",), ("dddd",)]
    batches = list(sorted_batches(keys, lengths, 2))
    assert batches == [[("eeeee",)], [("dddd",), ("ccc",)], [("bb",), ("a",)]]
    assert list(sorted_batches(keys[:4], lengths, 2)) == [[("eeeee",), ("ccc",)], [("bb",), ("a",)]]
    assert list(sorted_batches([], lengths, 2)) == []
    with pytest.raises(ValueError, match="at least 1"):
        list(sorted_batches(keys, lengths, 0))


# ----------------------------------------------------------------------------- no code from a checkpoint


class _Payload:
    """Pickles as a call of ``function(argument)``: runs on a full unpickle."""

    def __init__(self, function, argument: str) -> None:
        self.function, self.argument = function, argument

    def __reduce__(self):
        return (self.function, (self.argument,))


def _checkpoint_with(tiny_comet, out: Path, extra: object) -> Path:
    """A copy of the tiny COMET-DA (same weights and hparams) holding ``extra`` in its pickle."""
    source = Path(tiny_comet["comet_da"])
    (out / "checkpoints").mkdir(parents=True)
    shutil.copy(source.parent.parent / "hparams.yaml", out / "hparams.yaml")
    checkpoint = torch.load(source, map_location="cpu", weights_only=True)
    checkpoint["extra"] = extra
    torch.save(checkpoint, out / "checkpoints" / "model.ckpt")
    return out / "checkpoints" / "model.ckpt"


@pytest.mark.parametrize("payload", ["exec", "os.system"])
@pytest.mark.parametrize("force_unsafe_env", [False, True])
def test_malicious_checkpoint_runs_nothing(tiny_comet, tmp_path, monkeypatch, payload, force_unsafe_env):
    marker = tmp_path / "payload-ran"
    if payload == "exec":
        evil, name = _Payload(exec, f"open({str(marker)!r}, 'w').write('ran')"), "builtins.exec"
    else:
        evil, name = _Payload(os.system, f"touch {marker}"), f"{os.system.__module__}.system"
    ckpt = _checkpoint_with(tiny_comet, tmp_path / "evil-model", {"payload": evil})
    if force_unsafe_env:  # torch's switch for the *default*; an explicit weights_only=True wins
        monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")

    result = CometMetric(cfg=comet_config(ckpt)).score(metric_input(SOURCES, HYPOTHESES, REF_A))

    assert not marker.exists()
    assert result.score is None and result.segment_scores is None
    assert "\n" not in result.unavailable
    assert f"references {name}" in result.unavailable
    assert "metric.comet.trust_checkpoint=true" in result.unavailable
    # the payload is live: a full unpickle (what the old fallback did) runs it
    torch.load(ckpt, map_location="cpu", weights_only=False)
    assert marker.exists()


def test_untrusted_global_needs_trust_checkpoint(tiny_comet, direct, tmp_path, caplog):  # noqa: F811
    ckpt = _checkpoint_with(tiny_comet, tmp_path / "odd-model", {"created": datetime.timedelta(days=1)})
    data = metric_input(SOURCES, HYPOTHESES, REF_A)

    refused = CometMetric(cfg=comet_config(ckpt)).score(data)
    assert "references datetime.timedelta" in refused.unavailable

    with caplog.at_level(logging.WARNING, logger="mtqe.metrics.checkpoint_safety"):
        trusted = CometMetric(cfg=comet_config(ckpt, trust_checkpoint=True)).score(data)
    assert trusted.unavailable is None
    assert trusted.details["trusted_checkpoint"] is True
    assert any("trust_checkpoint=true" in r.getMessage() and str(ckpt) in r.getMessage() for r in caplog.records)
    np.testing.assert_allclose(
        trusted.segment_scores, direct(tiny_comet["comet_da"], triples(SOURCES, HYPOTHESES, REF_A)), atol=1e-5
    )


def test_tiny_checkpoints_load_without_trust(tiny_comet, caplog):
    with caplog.at_level(logging.WARNING):
        for name in ("comet_da", "cometkiwi"):
            result = CometMetric(cfg=comet_config(tiny_comet[name])).score(
                metric_input(SOURCES, HYPOTHESES, REF_A)
            )
            assert result.unavailable is None and "trusted_checkpoint" not in result.details
    assert not [r for r in caplog.records if "trust_checkpoint" in r.getMessage()]


def test_allowed_globals_are_scoped_to_the_block(tmp_path):
    path = tmp_path / "obj.pt"
    torch.save({"created": datetime.timedelta(days=2)}, path)
    before = list(torch.serialization.get_safe_globals())
    with allowed_globals(["datetime.timedelta"]):
        assert torch.load(path, weights_only=True)["created"] == datetime.timedelta(days=2)
    assert torch.serialization.get_safe_globals() == before
    with pytest.raises(Exception, match="datetime.timedelta"):
        torch.load(path, weights_only=True)


# ----------------------------------------------------------------------------- score cache checksums


def test_tampered_score_cache_row_is_rescored(tiny_comet, tmp_path, monkeypatch):
    from comet.models import RegressionMetric

    path = tmp_path / "scores.sqlite"
    data = metric_input(SOURCES, HYPOTHESES, REF_A)
    first = CometMetric(cfg=comet_config(tiny_comet["comet_da"]), cache=ScoreCache(path)).score(data)
    with sqlite3.connect(path) as conn:
        (key,) = conn.execute("SELECT key FROM segment_scores ORDER BY key LIMIT 1").fetchone()
        conn.execute("UPDATE segment_scores SET score = score + 0.5 WHERE key = ?", (key,))

    counter = SampleCounter(monkeypatch, RegressionMetric)
    again = CometMetric(cfg=comet_config(tiny_comet["comet_da"]), cache=ScoreCache(path)).score(data)
    assert counter.samples == 1  # the tampered row is a miss: scored again, not served
    assert again.details["from_score_cache"] == 4
    np.testing.assert_allclose(again.segment_scores, first.segment_scores, rtol=0, atol=1e-6)
    # the re-scored row replaced the tampered one
    value = ScoreCache(path).get_many([key])[key][0]
    assert min(abs(value - s) for s in first.segment_scores) < 1e-6


def test_score_cache_rows_without_checksum_are_misses(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:  # the table as written before checksums existed
        conn.execute(
            "CREATE TABLE segment_scores (key TEXT PRIMARY KEY, identity_hash TEXT NOT NULL, "
            "score REAL NOT NULL, truncated INTEGER NOT NULL, created REAL NOT NULL)"
        )
        conn.execute("INSERT INTO segment_scores VALUES ('k1', 'id', 0.5, 0, 0)")
    cache = ScoreCache(path)
    assert cache.get_many(["k1"]) == {}
    cache.put_many("id", [("k1", 0.25, True), ("k2", 0.75, False)])
    assert cache.get_many(["k1", "k2"]) == {"k1": (0.25, True, None, True, None),
                                            "k2": (0.75, False, None, True, None)}
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE segment_scores SET truncated = 0 WHERE key = 'k1'")
    assert cache.get_many(["k1", "k2"]) == {"k2": (0.75, False, None, True, None)}


def test_score_cache_keeps_spans_and_unreadable_answers(tmp_path):
    from mtqe.metrics.base import ErrorSpan

    cache = ScoreCache(tmp_path / "s.sqlite")
    spans = (ErrorSpan(0, 3, "abc", "major", 0.7),)
    cache.put_many("id", [("a", 0.5, False, spans, True), ("b", float("nan"), False, None, False, {"reason": "empty"}),
                          ("c", 1.0, True)])
    found = cache.get_many(["a", "b", "c"])
    assert found["a"] == (0.5, False, spans, True, None) and found["c"] == (1.0, True, None, True, None)
    score, _, _, valid, extra = found["b"]
    assert math.isnan(score) and valid is False and extra == {"reason": "empty"}  # remembered, never a score
    with sqlite3.connect(tmp_path / "s.sqlite") as conn:  # an edited span is a miss
        conn.execute("UPDATE segment_scores SET extra = replace(extra, 'major', 'minor') WHERE key = 'a'")
    assert "a" not in cache.get_many(["a"])


# ----------------------------------------------------------------------------- CUDA out of memory


def _oom_above(monkeypatch, limit: int | None) -> list[int]:
    """Make COMET's input step raise CUDA OOM for batches larger than ``limit`` (None: always);
    returns the batch sizes tried, in order."""
    sizes: list[int] = []
    original = CometMetric.encode_inputs

    def encode(self, loaded, batch):
        sizes.append(len(batch))
        if limit is None or len(batch) > limit:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return original(self, loaded, batch)

    monkeypatch.setattr(CometMetric, "encode_inputs", encode)
    return sizes


def test_oom_halves_the_batch_and_keeps_the_smaller_size(tiny_comet, direct, monkeypatch):  # noqa: F811
    sizes = _oom_above(monkeypatch, 2)
    metric = CometMetric(cfg=comet_config(tiny_comet["comet_da"], batch_size=4))
    result = metric.score(metric_input(SOURCES, HYPOTHESES, REF_A, REF_B))  # 10 inputs: 2 + 4 + 4

    assert sizes == [2, 4, 2, 2, 2, 2]  # the failed 4 as two halves, then the rest in 2s
    assert result.details["oom_splits"] == 1 and result.details["batch_size_used"] == 2
    assert "|bs:4|" in result.signature
    monkeypatch.undo()
    expected = np.mean(
        [
            direct(tiny_comet["comet_da"], triples(SOURCES, HYPOTHESES, REF_A)),
            direct(tiny_comet["comet_da"], triples(SOURCES, HYPOTHESES, REF_B)),
        ],
        axis=0,
    )
    np.testing.assert_allclose(result.segment_scores, expected, atol=1e-5)


def test_oom_on_a_single_input_is_not_available(tiny_comet, monkeypatch):
    _oom_above(monkeypatch, None)
    result = CometMetric(cfg=comet_config(tiny_comet["comet_da"], batch_size=2)).score(
        metric_input(SOURCES, HYPOTHESES, REF_A)
    )
    assert result.score is None
    assert "out of GPU memory on a single input" in result.unavailable
    assert "metric.comet.precision=bf16" in result.unavailable


# ----------------------------------------------------------------------------- spans and unscored inputs


def test_predictions_with_spans_and_unreadable_outputs_flow_to_the_result(tiny_comet, tmp_path):
    """A subclass returning Prediction values: spans reach MetricResult.segment_spans, an
    input without a score is counted and left out of the mean (MeanOfValid), and both come
    back from the score cache without the model."""
    from mtqe.metrics.base import ErrorSpan, MeanOfValid
    from mtqe.metrics.neural_types import Prediction

    class Marking(MeanOfValid, CometMetric):
        def predict_batch(self, loaded, encoded):
            scores = super().predict_batch(loaded, encoded)
            keys = self._batch_keys
            return [
                Prediction(0.0, None, valid=False) if key[1] == HYPOTHESES[1]
                else Prediction(s, (ErrorSpan(0, 1, key[1][:1], "minor", 0.5),) if key[1] == HYPOTHESES[0] else ())
                for key, s in zip(keys, scores)
            ]

        def encode_inputs(self, loaded, batch):
            self._batch_keys = batch
            return super().encode_inputs(loaded, batch)

    cfg = comet_config(tiny_comet["comet_da"])
    plain = CometMetric(cfg=cfg).score(metric_input(SOURCES, HYPOTHESES, REF_A))
    cache = ScoreCache(tmp_path / "scores.sqlite")
    for attempt in range(2):  # the second from the score cache
        metric = Marking(cfg=cfg, cache=cache)
        result = metric.score(metric_input(SOURCES, HYPOTHESES, REF_A))
        assert metric._loaded is None if attempt else metric._loaded is not None
        assert math.isnan(result.segment_scores[1]) and result.details["unscored"] == 1
        expected = [s for i, s in enumerate(plain.segment_scores) if i != 1]
        assert result.score == pytest.approx(sum(expected) / 4)
        assert result.stats[:, 1].tolist() == [1, 0, 1, 1, 1]
        assert result.segment_spans[0] == (ErrorSpan(0, 1, HYPOTHESES[0][:1], "minor", 0.5),)
        assert result.segment_spans[2] == ()
