from __future__ import annotations

import pytest

from mtqe.corpus.languages import LANGUAGES, get_language, normalize_lang
from mtqe.errors import ConfigError, UnknownLanguageError


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ja", "ja"),
        ("JA", "ja"),
        ("ja-JP", "ja"),
        ("zh", "zh"),
        ("zh-Hans", "zh"),
        ("zh_CN", "zh"),
        ("zh-hant", "zh-Hant"),
        ("zh-TW", "zh-Hant"),
        ("en-US", "en"),
        (" en ", "en"),
    ],
)
def test_normalize_lang(code: str, expected: str) -> None:
    assert normalize_lang(code) == expected


@pytest.mark.parametrize("code", ["jp", "cn", "english", "", "x-klingon"])
def test_unknown_language_lists_valid_codes(code: str) -> None:
    with pytest.raises(UnknownLanguageError) as info:
        normalize_lang(code)
    message = str(info.value)
    assert "Valid codes: ja, zh, zh-Hant, en" in message
    assert "languages.py" in message


def test_unknown_language_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        normalize_lang("jp")


def test_spacing_of_the_known_languages() -> None:
    assert not get_language("ja").spaced
    assert not get_language("zh-Hans").spaced
    assert get_language("en").spaced
    assert all(code == normalize_lang(code) for code in LANGUAGES)
