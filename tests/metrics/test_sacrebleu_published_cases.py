"""mtqe's BLEU/TER wrappers reproduce values published in sacrebleu's own test suite.

Cases (inputs are trivial token sequences; expected values are sacrebleu's):
* ``test/test_bleu.py::test_case_effective_order`` in github.com/mjpost/sacrebleu —
  BLEU with effective order ("test" vs "a test" = 0.36788…: only the brevity penalty; the
  suite's third case depends on its floor smoothing, which mtqe does not use);
* ``test/test_ter.py::test_cases`` — TER of a perfect match (0), no overlap (1), an empty
  hypothesis (1), and a single shift that fixes the hypothesis (1/8).
"""

from __future__ import annotations

import pytest

from mtqe.metrics.base import MetricInput
from mtqe.metrics.configs import SacreBleuConfig, TerConfig
from mtqe.metrics.sacrebleu_metrics import BleuMetric, TerMetric


def _input(hyps: list[str], refs: list[str], tgt: str = "en") -> MetricInput:
    return MetricInput(sources=hyps, hypotheses=hyps, references=[refs], reference_ids=["ref"],
                       src_lang="de", tgt_lang=tgt)


@pytest.mark.parametrize("hyp,ref,expected", [
    ("test", "a test", 0.3678794411714425),
    ("a test", "a test", 1.0),
])
def test_segment_bleu_effective_order(hyp, ref, expected) -> None:
    result = BleuMetric(SacreBleuConfig(type="bleu", name="bleu")).score(_input([hyp], [ref]))
    assert result.score / 100 == pytest.approx(expected, abs=1e-8)


@pytest.mark.parametrize("hyp,ref,expected", [
    ("aaaa bbbb cccc dddd", "aaaa bbbb cccc dddd", 0.0),
    ("dddd eeee ffff", "aaaa bbbb cccc", 1.0),
    ("", "a", 1.0),
    ("d e f g h a b c", "a b c d e f g h", 1 / 8),
])
def test_ter_published_cases(hyp, ref, expected) -> None:
    metric = TerMetric(TerConfig(type="ter", name="ter"))
    result = metric.score(_input([hyp], [ref]))
    assert result.score == pytest.approx(100 * expected, abs=1e-3)
    assert metric.aggregate(result.stats) == pytest.approx(result.score)
    assert metric.info.higher_is_better is False


def test_ter_splits_cjk_characters_for_chinese_targets() -> None:
    metric = TerMetric(TerConfig(type="ter", name="ter"))
    zh = metric.score(_input(["今天天气很好"], ["今天天气不错"], tgt="zh"))
    # 6 characters, 2 substitutions: a word-level TER would see one token and give 100.
    assert zh.score == pytest.approx(100 * 2 / 6, abs=1e-3)
