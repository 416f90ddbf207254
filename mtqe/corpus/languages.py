"""The languages the corpus stage knows, and how their codes are normalised.

A small explicit table rather than a full BCP-47 parser: every code used in the manifest or
on the command line must resolve to one row here, so a typo (``jp``, ``cn``) fails early with
the list of valid codes instead of silently creating a new language.

Normalisation decision: Simplified Chinese is the default written Chinese of this project
(all Chinese seeds are Simplified), so ``zh-Hans``, ``zh-CN``, ``zh-SG`` and ``cmn`` map to
``zh``. Traditional Chinese stays distinct (``zh-Hant``; ``zh-TW``, ``zh-HK`` map to it):
an MT output in one script must never be scored against a reference in the other.
Region subtags of other languages carry no difference for this task (``en-US`` → ``en``).
"""

from __future__ import annotations

from dataclasses import dataclass

from mtqe.errors import UnknownLanguageError


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    # Whether words are separated by spaces. Drives sentence splitting/joining (CJK sentences
    # are concatenated, spaced-script sentences are joined with one space) and line joining.
    spaced: bool


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("ja", "Japanese", spaced=False),
        Language("zh", "Chinese (Simplified)", spaced=False),
        Language("zh-Hant", "Chinese (Traditional)", spaced=False),
        Language("en", "English", spaced=True),
        Language("ko", "Korean", spaced=True),
        Language("fr", "French", spaced=True),
        Language("de", "German", spaced=True),
        Language("es", "Spanish", spaced=True),
        Language("ru", "Russian", spaced=True),
    )
}

# Aliases, keyed in lower case. Canonical codes are added below, so only real aliases live here.
_ALIASES: dict[str, str] = {
    "zh-hans": "zh",
    "zh-cn": "zh",
    "zh-sg": "zh",
    "zh-hans-cn": "zh",
    "cmn": "zh",
    "zh-tw": "zh-Hant",
    "zh-hk": "zh-Hant",
    "zh-mo": "zh-Hant",
    "zh-hant-tw": "zh-Hant",
    "ja-jp": "ja",
    "en-us": "en",
    "en-gb": "en",
    "ko-kr": "ko",
    "fr-fr": "fr",
    "de-de": "de",
    "es-es": "es",
    "ru-ru": "ru",
}
_LOOKUP: dict[str, str] = {**{code.lower(): code for code in LANGUAGES}, **_ALIASES}


def normalize_lang(code: str) -> str:
    """Return the canonical code for ``code`` (case-insensitive, ``_`` accepted for ``-``).

    Raises :class:`UnknownLanguageError` listing the valid codes when ``code`` is unknown.
    """
    if not isinstance(code, str) or not code.strip():
        raise UnknownLanguageError(f"Missing language code (got {code!r}). {_valid_codes_hint()}")
    key = code.strip().replace("_", "-").lower()
    try:
        return _LOOKUP[key]
    except KeyError:
        raise UnknownLanguageError(f"Unknown language code {code!r}. {_valid_codes_hint()}") from None


def get_language(code: str) -> Language:
    return LANGUAGES[normalize_lang(code)]


def _valid_codes_hint() -> str:
    aliases = ", ".join(sorted(_ALIASES))
    return (
        f"Valid codes: {', '.join(LANGUAGES)} (aliases: {aliases}). "
        "To add a language, add a row to mtqe/corpus/languages.py."
    )
