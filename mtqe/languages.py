"""The languages mtqe knows: one table, and how any spelling of a language resolves to a row.

Every stage asks this module: the corpus (manifest codes, sentence splitting by
:attr:`Language.spaced`), the systems (prompt names; the model families' own code tables in
:mod:`mtqe.systems.langcodes` are keyed by the canonical codes here), the metrics (the target
language handed to sacrebleu, CJK-aware TER) and the report. A small explicit table rather
than a full BCP-47 registry: every code must resolve to one row, so a typo (``jp``, ``cn``)
fails early with a did-you-mean instead of silently creating a new language.

Accepted spellings (case-insensitive, ``_`` for ``-``): the canonical code (``ja``), ISO 639-2/3
codes (``jpn``, ``zho``, ``cmn``), English and native names (``Japanese``, ``日本語``), and BCP-47
tags of language + optional script + optional region (``zh-Hans-CN``, ``en-US``, ``pt_BR``).

Chinese (the decision): Simplified Chinese is the default written Chinese of this project (all
Chinese seeds are Simplified), so ``zh``, ``zh-Hans``, ``zh-CN``, ``zh-SG`` and ``cmn`` are ``zh``.
Traditional Chinese is a language of its own, ``zh-Hant``, and ``zh-TW``, ``zh-HK`` and ``zh-MO``
(whose written standard is Traditional) resolve to it: an MT output in one script must never be
scored against a reference in the other. Written Cantonese is ``yue`` (asked for explicitly;
``zh-HK`` means standard written Chinese in Hong Kong, not Cantonese).

Other tags: a region carries no difference for this task (``en-US`` → ``en``, ``pt-BR`` → ``pt``);
a script the language is not written in here (``ja-Latn``, romaji) is refused, never folded.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from mtqe.errors import UnknownLanguageError

# ISO 15924 scripts written with Han characters, kana or Hangul (CJK).
CJK_SCRIPTS = frozenset({"Hans", "Hant", "Hani", "Jpan", "Kore", "Hang"})


@dataclass(frozen=True)
class Language:
    code: str  # canonical mtqe code (a BCP-47 tag): "ja", "zh", "zh-Hant"
    name: str  # English name; prompts use it, so changing one changes LLM outputs
    native: str  # the language's own name for itself
    scripts: tuple[str, ...]  # ISO 15924, the usual one first
    # Whether words are separated by spaces. Drives sentence splitting/joining (unspaced
    # sentences are concatenated, spaced ones joined with one space) and line joining.
    spaced: bool
    aliases: tuple[str, ...] = ()  # ISO 639-2/3 codes and other names of the same row
    regions: tuple[str, ...] = ()  # regions whose script-less tag means this row (zh-TW → zh-Hant)

    @property
    def subtag(self) -> str:
        """The language subtag (``zh`` for ``zh-Hant``): what sacrebleu's ``trg_lang`` takes."""
        return self.code.split("-")[0]

    @property
    def cjk(self) -> bool:
        """Written with Han characters, kana or Hangul (tokenised by character for metrics)."""
        return bool(CJK_SCRIPTS.intersection(self.scripts))


def _row(code: str, name: str, native: str, scripts: str, *, spaced: bool = True, aliases: str = "",
         regions: str = "") -> Language:  # fmt: skip
    return Language(code, name, native, tuple(scripts.split()), spaced, tuple(aliases.split()), tuple(regions.split()))


# The project's languages first (error messages list them in this order), then alphabetical.
# Thai: words are not space-separated (spaces separate phrases and sentences).
LANGUAGES: Mapping[str, Language] = MappingProxyType(
    {
        lang.code: lang
        for lang in (
            _row("ja", "Japanese", "日本語", "Jpan", spaced=False, aliases="jpn"),
            _row("zh", "Chinese", "中文", "Hans", spaced=False,
                 aliases="zho chi cmn simplified-chinese 简体中文 chinese-simplified"),
            _row("zh-Hant", "Traditional Chinese", "繁體中文", "Hant", spaced=False,
                 aliases="繁体中文 chinese-traditional", regions="TW HK MO"),
            _row("en", "English", "English", "Latn", aliases="eng"),
            _row("ko", "Korean", "한국어", "Kore Hang", aliases="kor"),
            _row("fr", "French", "Français", "Latn", aliases="fra fre"),
            _row("de", "German", "Deutsch", "Latn", aliases="deu ger"),
            _row("es", "Spanish", "Español", "Latn", aliases="spa"),
            _row("ru", "Russian", "Русский", "Cyrl", aliases="rus"),
            _row("ar", "Arabic", "العربية", "Arab", aliases="ara arb"),
            _row("bn", "Bengali", "বাংলা", "Beng", aliases="ben bangla"),
            _row("cs", "Czech", "Čeština", "Latn", aliases="ces cze"),
            _row("da", "Danish", "Dansk", "Latn", aliases="dan"),
            _row("el", "Greek", "Ελληνικά", "Grek", aliases="ell gre"),
            _row("fa", "Persian", "فارسی", "Arab", aliases="fas per pes farsi"),
            _row("fi", "Finnish", "Suomi", "Latn", aliases="fin"),
            _row("he", "Hebrew", "עברית", "Hebr", aliases="heb iw"),
            _row("hi", "Hindi", "हिन्दी", "Deva", aliases="hin"),
            _row("hu", "Hungarian", "Magyar", "Latn", aliases="hun"),
            _row("id", "Indonesian", "Bahasa Indonesia", "Latn", aliases="ind"),
            _row("it", "Italian", "Italiano", "Latn", aliases="ita"),
            _row("ms", "Malay", "Bahasa Melayu", "Latn", aliases="msa may zsm"),
            _row("nl", "Dutch", "Nederlands", "Latn", aliases="nld dut"),
            _row("pl", "Polish", "Polski", "Latn", aliases="pol"),
            _row("pt", "Portuguese", "Português", "Latn", aliases="por"),
            _row("ro", "Romanian", "Română", "Latn", aliases="ron rum"),
            _row("sv", "Swedish", "Svenska", "Latn", aliases="swe"),
            _row("th", "Thai", "ไทย", "Thai", spaced=False, aliases="tha"),
            _row("tr", "Turkish", "Türkçe", "Latn", aliases="tur"),
            _row("uk", "Ukrainian", "Українська", "Cyrl", aliases="ukr"),
            _row("vi", "Vietnamese", "Tiếng Việt", "Latn", aliases="vie"),
            _row("yue", "Cantonese", "粵語", "Hant", spaced=False, aliases="zh-yue 粤语"),
        )
    }
)

# Country codes people write for a language (never accepted, only suggested).
_COUNTRY_MISTAKES: Mapping[str, str] = MappingProxyType(
    {"jp": "ja", "cn": "zh", "tw": "zh-Hant", "hk": "zh-Hant", "kr": "ko", "us": "en", "gb": "en", "gr": "el",
     "cz": "cs", "dk": "da", "se": "sv", "ua": "uk", "vn": "vi", "ir": "fa", "il": "he", "br": "pt"}
)  # fmt: skip


def _fold(text: str) -> str:
    return " ".join(text.strip().replace("_", "-").casefold().split())


def _lookup_table() -> dict[str, str]:
    """Every whole spelling (code, alias, English and native name) → canonical code."""
    table: dict[str, str] = {}
    for lang in LANGUAGES.values():
        spellings = [lang.code, lang.name, lang.native, *lang.aliases]
        for spelling in spellings:
            for key in {_fold(spelling), _fold(spelling.replace("-", " "))}:
                if table.setdefault(key, lang.code) != lang.code:
                    raise ValueError(f"{spelling!r} names both {table[key]} and {lang.code} in mtqe/languages.py")
    return table


_LOOKUP: Mapping[str, str] = MappingProxyType(_lookup_table())
# Language subtags (2-3 letters) → the row a script-less, region-less tag means.
_SUBTAGS: Mapping[str, str] = MappingProxyType(
    {key: code for key, code in _LOOKUP.items() if key.isascii() and key.isalpha() and 2 <= len(key) <= 3}
)


def normalize_lang(code: str) -> str:
    """The canonical code for any accepted spelling of a language (see the module doc).

    ``zh-Hans``, ``zh_CN``, ``cmn``, ``Chinese`` → ``zh``; ``zh-hk``, ``zh-Hant-TW`` → ``zh-Hant``;
    ``jpn``, ``Japanese``, ``ja-JP`` → ``ja``. Anything else raises
    :class:`~mtqe.errors.UnknownLanguageError` (a ConfigError) with a did-you-mean and the
    valid codes.
    """
    if not isinstance(code, str) or not code.strip():
        raise UnknownLanguageError(f"empty language code {code!r}. {_valid_codes_hint()}")
    key = _fold(code)
    if key in _LOOKUP:
        return _LOOKUP[key]
    resolved = _from_subtags(code, key.split("-"))
    if resolved is None:
        raise UnknownLanguageError(f"Unknown language code {code!r}.{_did_you_mean(key)} {_valid_codes_hint()}")
    return resolved


def _from_subtags(code: str, parts: list[str]) -> str | None:
    """language[-script][-region] → a row; None when the tag has another shape."""
    base = _SUBTAGS.get(parts[0])
    if base is None:
        return None
    rest = parts[1:]
    script = rest.pop(0).title() if rest and len(rest[0]) == 4 and rest[0].isalpha() else None
    region = rest.pop(0).upper() if rest and (len(rest[0]) == 2 and rest[0].isalpha() or rest[0].isdigit()) else None
    if rest:
        return None  # variants and extensions are not folded away silently
    family = [lang for lang in LANGUAGES.values() if lang.subtag == LANGUAGES[base].subtag]
    if script is not None:
        for lang in family:
            if script in lang.scripts:
                return lang.code
        written = ", ".join(f"{lang.code} ({'/'.join(lang.scripts)})" for lang in family)
        raise UnknownLanguageError(
            f"language tag {code!r} asks for script {script}, but mtqe writes {written}; "
            "drop the script subtag or add a row to mtqe/languages.py"
        )
    for lang in family:
        if region in lang.regions:
            return lang.code
    return base


def _did_you_mean(key: str) -> str:
    guesses = [_COUNTRY_MISTAKES[key]] if key in _COUNTRY_MISTAKES else []
    guesses += [_LOOKUP[match] for match in difflib.get_close_matches(key, list(_LOOKUP), n=3, cutoff=0.75)]
    unique = list(dict.fromkeys(guesses))
    if not unique:
        return ""
    return " Did you mean " + " or ".join(f"{c!r} ({LANGUAGES[c].name})" for c in unique) + "?"


def _valid_codes_hint() -> str:
    return (
        f"Valid codes: {', '.join(LANGUAGES)} (also ISO 639-2/3 codes such as jpn, English or native "
        "names such as Japanese, and tags with a region or script such as zh-TW, zh-Hans, en-US). "
        "To add a language, add a row to mtqe/languages.py."
    )


def get_language(code: str) -> Language:
    """The table row of any accepted spelling of a language."""
    return LANGUAGES[normalize_lang(code)]


def language_name(code: str) -> str:
    """English name: ``ja`` → ``Japanese``, ``zh-CN`` → ``Chinese``, ``zh-TW`` → ``Traditional Chinese``."""
    return get_language(code).name


def is_cjk(code: str) -> bool:
    """Whether the language is written with Han characters, kana or Hangul (zh, zh-Hant, ja, ko, yue)."""
    return get_language(code).cjk


def script_of(code: str) -> str:
    """The usual ISO 15924 script: ``ja`` → ``Jpan``, ``zh`` → ``Hans``, ``ru`` → ``Cyrl``."""
    return get_language(code).scripts[0]


def is_spaced(code: str) -> bool:
    """Whether words are separated by spaces (``en``, ``ko``: yes; ``ja``, ``zh``, ``th``: no)."""
    return get_language(code).spaced
