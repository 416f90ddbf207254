"""Language codes of the seq2seq MT model families, as explicit tables.

mtqe names languages by the canonical codes of :mod:`mtqe.languages` (``ja``, ``zh``, ``en``;
``zh-Hant`` for Traditional Chinese); every other spelling (``zh-TW``, ``jpn``) is resolved there
first. Each model family names them its own way, and the tables below only map *from* the
canonical codes:

============  =====================================  ==============================
family        code given to the tokenizer / model    token in the vocabulary
============  =====================================  ==============================
``nllb``      FLORES-200 code ``jpn_Jpan``           ``jpn_Jpan``
``m2m100``    fairseq code ``ja`` (``src_lang``,      ``__ja__``
              ``get_lang_id``)
``madlad``    target prefix ``<2ja>``                ``<2ja>``
``marian``    target prefix ``>>jpn<<``              ``>>jpn<<`` (multi-target only)
============  =====================================  ==============================

The tables are written out rather than derived (e.g. from ``langcodes`` or the tokenizer) so a
reviewer can see exactly which code a run used; a language missing from a table is an
:class:`~mtqe.errors.UnknownLanguageError` that lists what the family accepts, never a guess.
The translator still checks, once the tokenizer is loaded, that the token really is in the
model's vocabulary (a fine-tuned checkpoint may drop languages).

OPUS-MT multi-target models differ in how they spell the target token (older Tatoeba models
``>>cmn_Hans<<``, newer ones ``>>zho_Hans<<``; ``>>jpn<<`` without script), so for Marian a
language maps to an ordered list of candidates and :func:`marian_target_token` picks the first
one that the model's vocabulary has.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Iterable, Mapping

from mtqe.errors import ConfigError, UnknownLanguageError
from mtqe.languages import normalize_lang

FAMILIES: tuple[str, ...] = ("marian", "nllb", "m2m100", "madlad")

# NLLB-200: FLORES-200 codes (language_Script). Persian is Western Persian (pes), Arabic is
# Modern Standard Arabic (arb), Malay is Standard Malay (zsm), as in the NLLB model card.
NLLB_CODES: Mapping[str, str] = MappingProxyType(
    {
        "ar": "arb_Arab",
        "bn": "ben_Beng",
        "cs": "ces_Latn",
        "da": "dan_Latn",
        "de": "deu_Latn",
        "el": "ell_Grek",
        "en": "eng_Latn",
        "es": "spa_Latn",
        "fa": "pes_Arab",
        "fi": "fin_Latn",
        "fr": "fra_Latn",
        "he": "heb_Hebr",
        "hi": "hin_Deva",
        "hu": "hun_Latn",
        "id": "ind_Latn",
        "it": "ita_Latn",
        "ja": "jpn_Jpan",
        "ko": "kor_Hang",
        "ms": "zsm_Latn",
        "nl": "nld_Latn",
        "pl": "pol_Latn",
        "pt": "por_Latn",
        "ro": "ron_Latn",
        "ru": "rus_Cyrl",
        "sv": "swe_Latn",
        "th": "tha_Thai",
        "tr": "tur_Latn",
        "uk": "ukr_Cyrl",
        "vi": "vie_Latn",
        "yue": "yue_Hant",
        "zh": "zho_Hans",
        "zh-Hant": "zho_Hant",
    }
)

# M2M-100: fairseq's two-letter codes; the vocabulary token is ``__xx__``. M2M-100 has a single
# Chinese (``zh``, trained on Simplified), so ``zh-Hant`` is deliberately absent.
M2M100_CODES: Mapping[str, str] = MappingProxyType(
    {
        code: code
        for code in (
            "ar", "bn", "cs", "da", "de", "el", "en", "es", "fa", "fi", "fr", "he", "hi", "hu",
            "id", "it", "ja", "ko", "ms", "nl", "pl", "pt", "ro", "ru", "sv", "th", "tr", "uk",
            "vi", "zh",
        )  # fmt: skip
    }
)

# MADLAD-400: ``<2xx>`` target prefixes as in the model card (``<2pt> I love pizza!``). Only
# codes whose spelling is certain are listed; Hebrew and Traditional Chinese are left out
# rather than guessed.
MADLAD_CODES: Mapping[str, str] = MappingProxyType(
    {
        code: f"<2{code}>"
        for code in (
            "ar", "bn", "cs", "da", "de", "el", "en", "es", "fa", "fi", "fr", "hi", "hu", "id",
            "it", "ja", "ko", "ms", "nl", "pl", "pt", "ro", "ru", "sv", "th", "tr", "uk", "vi",
            "yue", "zh",
        )  # fmt: skip
    }
)

# OPUS-MT multi-target tokens: candidates in order of preference, ISO 639-3 (+ script).
MARIAN_TOKENS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "ar": (">>ara<<", ">>arb<<"),
        "bn": (">>ben<<",),
        "cs": (">>ces<<",),
        "da": (">>dan<<",),
        "de": (">>deu<<",),
        "el": (">>ell<<",),
        "en": (">>eng<<",),
        "es": (">>spa<<",),
        "fa": (">>fas<<", ">>pes<<"),
        "fi": (">>fin<<",),
        "fr": (">>fra<<",),
        "he": (">>heb<<",),
        "hi": (">>hin<<",),
        "hu": (">>hun<<",),
        "id": (">>ind<<",),
        "it": (">>ita<<",),
        "ja": (">>jpn<<", ">>jpn_Jpan<<"),
        "ko": (">>kor<<", ">>kor_Hang<<"),
        "ms": (">>zsm<<", ">>msa<<", ">>zsm_Latn<<"),
        "nl": (">>nld<<",),
        "pl": (">>pol<<",),
        "pt": (">>por<<",),
        "ro": (">>ron<<",),
        "ru": (">>rus<<",),
        "sv": (">>swe<<",),
        "th": (">>tha<<",),
        "tr": (">>tur<<",),
        "uk": (">>ukr<<",),
        "vi": (">>vie<<",),
        "yue": (">>yue_Hant<<", ">>yue<<"),
        "zh": (">>zho_Hans<<", ">>cmn_Hans<<", ">>zho<<", ">>cmn<<"),
        "zh-Hant": (">>zho_Hant<<", ">>cmn_Hant<<"),
    }
)

# A Marian vocabulary entry that selects the target language: ``>>jpn<<``, ``>>cmn_Hans<<``.
_MARIAN_TOKEN_RE = re.compile(r"^>>[a-z]{2,3}(_[A-Z][a-z]{3})?<<$")


def _check_family(family: str) -> None:
    if family not in FAMILIES:
        raise ConfigError(f"unknown model family {family!r}: expected one of {', '.join(FAMILIES)}")


def _table(family: str) -> Mapping[str, object]:
    _check_family(family)
    return {"nllb": NLLB_CODES, "m2m100": M2M100_CODES, "madlad": MADLAD_CODES, "marian": MARIAN_TOKENS}[family]


def supported_languages(family: str) -> tuple[str, ...]:
    """The mtqe codes that ``family`` has a table entry for, sorted."""
    return tuple(sorted(_table(family)))


def _unknown(family: str, lang: str) -> UnknownLanguageError:
    return UnknownLanguageError(
        f"language {lang!r} has no {family} code; valid codes for {family}: "
        f"{', '.join(supported_languages(family))}"
    )


def _canonical(family: str, lang: str) -> str:
    """mtqe's code for ``lang``; a language mtqe does not know is reported against ``family``'s
    table (what the user can choose from there), with mtqe's own reason appended."""
    try:
        return normalize_lang(lang)
    except UnknownLanguageError as exc:
        if not lang.strip():
            raise
        raise UnknownLanguageError(f"{_unknown(family, lang)} ({str(exc).split(' Valid codes')[0]})") from None


def model_code(family: str, lang: str) -> str:
    """The code ``family``'s tokenizer takes for mtqe language ``lang``.

    nllb → ``jpn_Jpan``; m2m100 → ``ja`` (for ``src_lang`` / ``get_lang_id``); madlad →
    ``<2ja>``; marian → the preferred ``>>xxx<<`` token (use :func:`marian_target_token` with
    the model's vocabulary to pick the spelling a given checkpoint has).
    """
    table = _table(family)
    key = _canonical(family, lang)
    if key not in table:
        raise _unknown(family, lang)
    value = table[key]
    return value[0] if isinstance(value, tuple) else str(value)


def lang_token(family: str, lang: str) -> str:
    """The vocabulary token that names ``lang`` in ``family`` (``__ja__`` for m2m100)."""
    code = model_code(family, lang)
    return f"__{code}__" if family == "m2m100" else code


def marian_language_tokens(vocab: Iterable[str]) -> tuple[str, ...]:
    """The ``>>xxx<<`` target tokens in a Marian vocabulary; empty for a single-pair model."""
    return tuple(sorted(token for token in vocab if _MARIAN_TOKEN_RE.match(token)))


def marian_target_token(lang: str, vocab: Iterable[str]) -> str:
    """The ``>>xxx<<`` token of a multi-target Marian model for ``lang``.

    Raises :class:`UnknownLanguageError` listing the model's own target tokens when none of
    the candidates for ``lang`` is in ``vocab``.
    """
    available = set(marian_language_tokens(vocab))
    candidates = MARIAN_TOKENS.get(_canonical("marian", lang), ())
    for token in candidates:
        if token in available:
            return token
    tried = f" (tried {', '.join(candidates)})" if candidates else ""
    raise UnknownLanguageError(
        f"this multi-target Marian model has no target token for {lang!r}{tried}; "
        f"its target tokens: {', '.join(sorted(available)) or 'none'}"
    )
