"""Language-code tables of the seq2seq families (mtqe.systems.langcodes)."""

from __future__ import annotations

import pytest
from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES as M2M100_FAIRSEQ
from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES as NLLB_FAIRSEQ

from mtqe.errors import ConfigError, UnknownLanguageError
from mtqe.systems.langcodes import (
    FAMILIES,
    M2M100_CODES,
    MADLAD_CODES,
    MARIAN_TOKENS,
    NLLB_CODES,
    lang_token,
    marian_language_tokens,
    marian_target_token,
    model_code,
    supported_languages,
)


@pytest.mark.parametrize(
    ("family", "lang", "code", "token"),
    [
        ("nllb", "ja", "jpn_Jpan", "jpn_Jpan"),
        ("nllb", "zh", "zho_Hans", "zho_Hans"),
        ("nllb", "zh-Hant", "zho_Hant", "zho_Hant"),
        ("nllb", "en", "eng_Latn", "eng_Latn"),
        ("nllb", "ko", "kor_Hang", "kor_Hang"),
        ("m2m100", "ja", "ja", "__ja__"),
        ("m2m100", "zh", "zh", "__zh__"),
        ("madlad", "ja", "<2ja>", "<2ja>"),
        ("madlad", "zh", "<2zh>", "<2zh>"),
        ("marian", "ja", ">>jpn<<", ">>jpn<<"),
        ("marian", "zh", ">>zho_Hans<<", ">>zho_Hans<<"),
    ],
)
def test_model_code_and_token(family: str, lang: str, code: str, token: str) -> None:
    assert model_code(family, lang) == code
    assert lang_token(family, lang) == token


def test_tables_use_codes_the_tokenizers_know() -> None:
    # Checked against transformers' own lists, so a typo in a table cannot ship.
    assert set(NLLB_CODES.values()) <= set(NLLB_FAIRSEQ)
    assert set(M2M100_CODES.values()) <= set(M2M100_FAIRSEQ["m2m100"])


def test_tables_cover_the_common_languages() -> None:
    common = {"en", "ja", "zh", "ko", "fr", "de", "es", "ru", "pt", "it", "ar", "hi", "vi", "th"}
    for family in FAMILIES:
        assert common <= set(supported_languages(family)), family
    assert len(NLLB_CODES) >= 24 and len(MADLAD_CODES) >= 24 and len(MARIAN_TOKENS) >= 24


def test_aliases_reach_the_tables() -> None:
    # Spellings are resolved by mtqe.languages (tests/test_languages.py) before the table.
    assert model_code("nllb", "zh-TW") == "zho_Hant"
    assert model_code("nllb", "zh-hk") == "zho_Hant"
    assert model_code("nllb", "ZH_cn") == "zho_Hans"
    assert model_code("nllb", "zh_Hans") == "zho_Hans"
    assert model_code("m2m100", "jpn") == "ja"
    assert marian_target_token("Chinese", [">>zho_Hans<<"]) == ">>zho_Hans<<"


@pytest.mark.parametrize("family", ["nllb", "m2m100", "madlad", "marian"])
def test_unknown_language_lists_valid_codes(family: str) -> None:
    with pytest.raises(UnknownLanguageError) as info:
        model_code(family, "tlh")  # Klingon: in no table
    message = str(info.value)
    assert "'tlh'" in message and family in message
    assert "ja" in message and "zh" in message and "en" in message


def test_missing_variant_is_unknown_not_guessed() -> None:
    # M2M-100 has one (Simplified-trained) Chinese: zh-Hant must not silently become zh.
    with pytest.raises(UnknownLanguageError, match="zh-Hant"):
        model_code("m2m100", "zh-Hant")


def test_empty_language_code() -> None:
    with pytest.raises(UnknownLanguageError, match="empty"):
        model_code("nllb", "  ")


def test_unknown_family_is_config_error() -> None:
    with pytest.raises(ConfigError, match="marian, nllb, m2m100, madlad"):
        model_code("mbart", "ja")


def test_marian_language_tokens_from_vocab() -> None:
    vocab = ["▁the", "</s>", ">>jpn<<", ">>cmn_Hans<<", ">>eng<<", "<pad>", ">>", "a>>b<<"]
    assert marian_language_tokens(vocab) == (">>cmn_Hans<<", ">>eng<<", ">>jpn<<")
    assert marian_language_tokens(["▁a", "</s>", "<pad>"]) == ()


def test_marian_target_token_picks_the_spelling_the_vocab_has() -> None:
    older = [">>jpn<<", ">>cmn_Hans<<", ">>cmn_Hant<<"]
    newer = [">>jpn<<", ">>zho_Hans<<", ">>zho_Hant<<"]
    assert marian_target_token("zh", older) == ">>cmn_Hans<<"
    assert marian_target_token("zh", newer) == ">>zho_Hans<<"
    assert marian_target_token("zh-Hant", older) == ">>cmn_Hant<<"
    assert marian_target_token("ja", newer) == ">>jpn<<"


def test_marian_target_token_missing_lists_the_models_tokens() -> None:
    with pytest.raises(UnknownLanguageError) as info:
        marian_target_token("ko", [">>jpn<<", ">>cmn_Hans<<"])
    message = str(info.value)
    assert ">>kor<<" in message  # what was tried
    assert ">>cmn_Hans<<" in message and ">>jpn<<" in message  # what the model has
