"""BLEU/chrF through mtqe equal sacrebleu's own numbers; tokenizer chosen per language."""

from __future__ import annotations

from pathlib import Path

import pytest
import sacrebleu

from mtqe.metrics.base import MetricInput
from mtqe.metrics.configs import ChrfConfig, SacreBleuConfig
from mtqe.metrics.sacrebleu_metrics import BleuMetric, ChrfMetric, tokenizer_for

TEXTS = Path(__file__).resolve().parents[2] / "mtqe" / "references" / "texts"


def _lines(name: str, n: int) -> list[str]:
    text = (TEXTS / name).read_text(encoding="utf-8")
    lines = [l.strip() for l in text.splitlines() if len(l.strip()) > 30 and not l.startswith(("!", "#", "*", "["))]
    return lines[:n]


@pytest.fixture(scope="module")
def zh_refs() -> list[str]:
    return _lines("jpus-2022/zh-community.txt", 8)


@pytest.fixture(scope="module")
def ja_refs() -> list[str]:
    return _lines("jpus-2022/ja-mofa.txt", 8)


def _perturb(lines: list[str]) -> list[str]:
    # Deterministic damage to real text (drop every 7th character, swap halves of odd lines):
    # a stand-in hypothesis, not a translation.
    out = []
    for i, line in enumerate(lines):
        damaged = "".join(ch for j, ch in enumerate(line) if j % 7 != 3)
        out.append(damaged[len(damaged) // 2 :] + damaged[: len(damaged) // 2] if i % 2 else damaged)
    return out


def _input(hyps, refs_streams, tgt):
    return MetricInput(sources=hyps, hypotheses=hyps, references=refs_streams,
                       reference_ids=[f"r{i}" for i in range(len(refs_streams))], src_lang="ja", tgt_lang=tgt)


def test_tokenizer_from_target_language() -> None:
    assert tokenizer_for("zh") == "zh"
    assert tokenizer_for("zh-Hant") == "zh"
    assert tokenizer_for("ja") == "ja-mecab"
    assert tokenizer_for("en") == "13a"


@pytest.mark.parametrize("tgt,fixture", [("zh", "zh_refs"), ("ja", "ja_refs")])
def test_bleu_equals_sacrebleu_corpus_bleu(tgt, fixture, request) -> None:
    refs = request.getfixturevalue(fixture)
    hyps = _perturb(refs)
    result = BleuMetric(SacreBleuConfig(type="bleu", name="bleu")).score(_input(hyps, [refs], tgt))
    expected = sacrebleu.corpus_bleu(hyps, [refs], tokenize=tokenizer_for(tgt))
    assert result.score == pytest.approx(expected.score, abs=1e-9)
    assert f"tok:{tokenizer_for(tgt)}" in result.signature
    assert len(result.segment_scores) == len(hyps)
    assert result.stats.shape[0] == len(hyps)


def test_bleu_aggregate_of_all_rows_is_the_corpus_score(zh_refs) -> None:
    metric = BleuMetric(SacreBleuConfig(type="bleu", name="bleu"))
    result = metric.score(_input(_perturb(zh_refs), [zh_refs], "zh"))
    assert metric.aggregate(result.stats) == pytest.approx(result.score)
    subset = result.stats[[0, 2, 4]]
    direct = sacrebleu.corpus_bleu([_perturb(zh_refs)[i] for i in (0, 2, 4)], [[zh_refs[i] for i in (0, 2, 4)]],
                                   tokenize="zh")
    assert metric.aggregate(subset) == pytest.approx(direct.score)


def test_multi_reference_bleu_and_chrf_match_sacrebleu(zh_refs) -> None:
    hyps = _perturb(zh_refs)
    ref2 = [r[::-1] for r in zh_refs]  # a second, different reference stream
    bleu = BleuMetric(SacreBleuConfig(type="bleu", name="bleu")).score(_input(hyps, [zh_refs, ref2], "zh"))
    assert bleu.score == pytest.approx(sacrebleu.corpus_bleu(hyps, [zh_refs, ref2], tokenize="zh").score)
    chrf = ChrfMetric(ChrfConfig(type="chrf", name="chrf")).score(_input(hyps, [zh_refs, ref2], "zh"))
    assert chrf.score == pytest.approx(sacrebleu.corpus_chrf(hyps, [zh_refs, ref2]).score)


def test_chrf_and_chrfpp_equal_sacrebleu(zh_refs) -> None:
    hyps = _perturb(zh_refs)
    chrf = ChrfMetric(ChrfConfig(type="chrf", name="chrf"))
    res = chrf.score(_input(hyps, [zh_refs], "zh"))
    assert res.score == pytest.approx(sacrebleu.corpus_chrf(hyps, [zh_refs]).score)
    assert chrf.aggregate(res.stats) == pytest.approx(res.score)
    pp = ChrfMetric(ChrfConfig(type="chrf", name="chrfpp", word_order=2)).score(_input(hyps, [zh_refs], "zh"))
    assert pp.score == pytest.approx(sacrebleu.corpus_chrf(hyps, [zh_refs], word_order=2).score)


def test_cjk_tokenization_changes_bleu_on_the_seed_texts(zh_refs, ja_refs) -> None:
    """13a leaves CJK sentences as few long 'words': BLEU collapses; zh/ja-mecab do not."""
    for refs, tok in ((zh_refs, "zh"), (ja_refs, "ja-mecab")):
        hyps = _perturb(refs)
        right = sacrebleu.corpus_bleu(hyps, [refs], tokenize=tok).score
        wrong = sacrebleu.corpus_bleu(hyps, [refs], tokenize="13a").score
        assert right > wrong + 10, (tok, right, wrong)


def test_warning_when_cjk_scored_with_non_cjk_tokenizer() -> None:
    metric = BleuMetric(SacreBleuConfig(type="bleu", name="bleu", tokenize="13a"))
    assert metric.warnings_for("zh")
    assert not BleuMetric(SacreBleuConfig(type="bleu", name="bleu")).warnings_for("zh")


def test_shape_mismatch_is_an_error_not_a_silent_zip(zh_refs) -> None:
    hyps = _perturb(zh_refs)
    with pytest.raises(ValueError, match="reference 'r0' has 7 segments for 8"):
        _input(hyps, [zh_refs[:7]], "zh")


def test_no_reference_gives_unavailable_with_reason(zh_refs) -> None:
    res = BleuMetric(SacreBleuConfig(type="bleu", name="bleu")).score(
        MetricInput(sources=zh_refs, hypotheses=zh_refs, references=[], reference_ids=[], src_lang="ja", tgt_lang="zh"))
    assert res.score is None and res.unavailable == "no reference"
