"""The one language table (mtqe.languages): normalisation, names, scripts, CJK, spacing."""

from __future__ import annotations

import pytest

from mtqe.errors import ConfigError, UnknownLanguageError
from mtqe.languages import (
    LANGUAGES,
    get_language,
    is_cjk,
    is_spaced,
    language_name,
    normalize_lang,
    script_of,
)
from mtqe.systems.langcodes import FAMILIES, supported_languages


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ja", "ja"),
        ("JA", "ja"),
        ("ja-JP", "ja"),
        ("jpn", "ja"),
        ("Japanese", "ja"),
        ("日本語", "ja"),
        ("zh", "zh"),
        (" zh ", "zh"),
        ("zh-Hans", "zh"),
        ("zh_Hans", "zh"),
        ("zh_CN", "zh"),
        ("ZH-cn", "zh"),
        ("zh-SG", "zh"),
        ("zh-Hans-CN", "zh"),
        ("cmn", "zh"),
        ("zho", "zh"),
        ("Chinese", "zh"),
        ("Simplified Chinese", "zh"),
        ("zh-hant", "zh-Hant"),
        ("zh_hant", "zh-Hant"),
        ("zh-TW", "zh-Hant"),
        ("zh-hk", "zh-Hant"),
        ("zh-MO", "zh-Hant"),
        ("zh-Hant-TW", "zh-Hant"),
        ("cmn-Hant", "zh-Hant"),
        ("Traditional Chinese", "zh-Hant"),
        ("yue", "yue"),
        ("zh-yue", "yue"),
        ("en-US", "en"),
        ("en_GB", "en"),
        ("english", "en"),
        (" en ", "en"),
        ("ko-KR", "ko"),
        ("ko-Kore", "ko"),
        ("pt-BR", "pt"),
        ("es-419", "es"),
        ("iw", "he"),
        ("deu", "de"),
        ("ger", "de"),
    ],
)
def test_normalize_lang(code: str, expected: str) -> None:
    assert normalize_lang(code) == expected


@pytest.mark.parametrize("code", ["jp", "cn", "", "x-klingon", "tlh", "ja-JP-x-private"])
def test_unknown_language_lists_valid_codes(code: str) -> None:
    with pytest.raises(UnknownLanguageError) as info:
        normalize_lang(code)
    message = str(info.value)
    assert "Valid codes: ja, zh, zh-Hant, en" in message
    assert "mtqe/languages.py" in message


@pytest.mark.parametrize(
    ("code", "suggestion"),
    [("jp", "'ja' (Japanese)"), ("cn", "'zh' (Chinese)"), ("kr", "'ko' (Korean)"), ("japanse", "'ja'"),
     ("zh-hnt", "'zh-Hant'")],
)  # fmt: skip
def test_unknown_language_says_did_you_mean(code: str, suggestion: str) -> None:
    with pytest.raises(UnknownLanguageError, match="Did you mean") as info:
        normalize_lang(code)
    assert suggestion in str(info.value)


def test_unknown_language_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        normalize_lang("jp")


def test_a_script_the_language_is_not_written_in_is_refused_not_folded() -> None:
    with pytest.raises(UnknownLanguageError, match=r"script Latn.*ja \(Jpan\)"):
        normalize_lang("ja-Latn")  # romaji is not mtqe's ja
    with pytest.raises(UnknownLanguageError, match="script Cyrl"):
        normalize_lang("zh-Cyrl")


def test_canonical_codes_are_fixed_points_and_spellings_unique() -> None:
    assert all(code == normalize_lang(code) for code in LANGUAGES)
    for lang in LANGUAGES.values():
        assert normalize_lang(lang.name) == lang.code and normalize_lang(lang.native) == lang.code
        assert all(normalize_lang(alias) == lang.code for alias in lang.aliases)
    # The project's languages come first: error messages list them in this order.
    assert list(LANGUAGES)[:4] == ["ja", "zh", "zh-Hant", "en"]


def test_spacing_of_the_known_languages() -> None:
    assert not get_language("ja").spaced
    assert not get_language("zh-Hans").spaced
    assert not is_spaced("zh-TW") and not is_spaced("th")
    assert get_language("en").spaced and is_spaced("ko")


def test_names_scripts_and_cjk() -> None:
    assert language_name("ja") == "Japanese"
    assert language_name("zh-CN") == "Chinese"
    assert language_name("zh-hk") == "Traditional Chinese"
    assert script_of("ja") == "Jpan" and script_of("zh") == "Hans" and script_of("zh-TW") == "Hant"
    assert script_of("ru") == "Cyrl" and script_of("ko") == "Kore"
    assert {code for code in LANGUAGES if is_cjk(code)} == {"ja", "zh", "zh-Hant", "ko", "yue"}
    assert get_language("zh-Hant").subtag == "zh"


def test_every_model_family_code_table_is_keyed_by_canonical_codes() -> None:
    # The family tables (mtqe.systems.langcodes) only map *from* this table.
    for family in FAMILIES:
        assert set(supported_languages(family)) <= set(LANGUAGES), family
