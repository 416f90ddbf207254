"""The BLEU tokenizer and TER's CJK mode follow mtqe.languages and sacrebleu's own trg_lang choice."""

from __future__ import annotations

import pytest
from sacrebleu.metrics import BLEU

from mtqe.errors import MetricUnavailableError, UnknownLanguageError
from mtqe.languages import LANGUAGES, is_cjk
from mtqe.metrics.base import MetricInput
from mtqe.metrics.configs import SacreBleuConfig, TerConfig
from mtqe.metrics.sacrebleu_metrics import (
    BleuMetric,
    TerMetric,
    check_tokenizer_available,
    sacrebleu_lang,
    tokenizer_for,
)


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_tokenizer_for_is_what_sacrebleu_picks_from_trg_lang(lang: str) -> None:
    expected = tokenizer_for(lang)
    try:
        check_tokenizer_available(expected)
    except MetricUnavailableError as exc:
        pytest.skip(str(exc))
    chosen = BLEU(trg_lang=sacrebleu_lang(lang)).tokenizer_signature
    assert chosen == BLEU(tokenize=expected).tokenizer_signature


def test_region_and_script_spellings_reach_sacrebleu_as_the_language_subtag() -> None:
    assert sacrebleu_lang("zh-TW") == sacrebleu_lang("zh-Hant") == "zh"
    assert tokenizer_for("zh-hk") == "zh" and tokenizer_for("ko-KR") == "ko-mecab"
    assert tokenizer_for("de") == tokenizer_for("yue") == "13a"
    with pytest.raises(UnknownLanguageError):
        tokenizer_for("jp")


def test_explicit_tokenizer_overrides_the_language_and_is_in_the_signature() -> None:
    data = MetricInput(sources=["今天天气很好"], hypotheses=["今天天气很好"], references=[["今天天气不错"]],
                       reference_ids=["r"], src_lang="ja", tgt_lang="zh")  # fmt: skip
    auto = BleuMetric(SacreBleuConfig(type="bleu", name="bleu")).score(data)
    char = BleuMetric(SacreBleuConfig(type="bleu", name="bleu", tokenize="char")).score(data)
    assert "tok:zh" in auto.signature and "tok:char" in char.signature
    assert auto.details["tokenizer"] == "zh" and char.details["tokenizer"] == "char"


def test_cjk_target_without_a_sacrebleu_tokenizer_warns() -> None:
    assert BleuMetric(SacreBleuConfig(type="bleu", name="bleu")).warnings_for("yue")
    assert not BleuMetric(SacreBleuConfig(type="bleu", name="bleu")).warnings_for("en")
    assert not BleuMetric(SacreBleuConfig(type="bleu", name="bleu", tokenize="char")).warnings_for("yue")


@pytest.mark.parametrize("lang", ["zh", "zh-Hant", "ja", "ko", "yue", "en", "th"])
def test_ter_auto_asian_support_follows_the_table(lang: str) -> None:
    ter = TerMetric(TerConfig(type="ter", name="ter"))._ter(lang)
    assert ter.asian_support is is_cjk(lang)


def test_cjk_target_without_a_sacrebleu_tokenizer_is_fine_with_a_cjk_tokenizer() -> None:
    assert not BleuMetric(SacreBleuConfig(type="bleu", name="bleu", tokenize="zh")).warnings_for("yue")
    assert BleuMetric(SacreBleuConfig(type="bleu", name="bleu", tokenize="intl")).warnings_for("yue")
