"""Pieces shared by the prompted LLM translators (``gguf`` few-shot, ``hf_causal`` chat).

* language names for prompts (:func:`language_name`), with per-config overrides;
* prompt templates with named fields, checked once with a clear :class:`ConfigError`
  (:func:`format_template`, :func:`check_template`);
* few-shot examples from a config (:func:`few_shot_table`);
* token-level helpers for batched decoder-only generation (:func:`left_pad`, :func:`cut_at_stop`);
* cleaning of a chat model's answer (:func:`clean_chat_output`, rules below).

Nothing here imports transformers; torch only for :func:`left_pad`.

Chat output cleaning
--------------------
Instruction-tuned models often wrap the translation. :func:`clean_chat_output` applies, in
this order (each rule can be switched off in the system config, ``cleaning:``):

1. ``cut_at_blank_line``: keep as many blank-line-separated paragraphs as the *source* has
   (one, for a normal segment) and drop the rest, which is where models put "Note: ..." or
   an explanation. A source with two paragraphs keeps two.
2. ``strip_labels``: drop one leading label such as ``Chinese:`` / ``**Translation:**``
   (case-insensitive, ASCII or full-width colon). Labels are templates
   (``{tgt_name}`` is the target language's prompt name). Skipped when the source itself
   starts with a ``Word:`` label, whose translation then legitimately starts with one.
3. ``strip_quotes``: drop one pair of quotes around the whole answer (``"…"``, ``“…”``,
   ``「…」``, ``『…』``, ``'…'``, ``‘…’``, ``«…»``) when the quote characters do not occur inside
   it and the source is not itself quoted.

Whitespace at both ends is stripped before and after every rule. The rules applied to an
output are returned with it (:class:`CleanedOutput`), so translators can count them.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from mtqe.errors import ConfigError, UnknownLanguageError

# -- language names --------------------------------------------------------------------------

# Names the prompts use for language codes. English names: instruction-tuned and base models
# saw far more English instructions than any other language's.
LANGUAGE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "ar": "Arabic",
        "de": "German",
        "en": "English",
        "es": "Spanish",
        "fr": "French",
        "hi": "Hindi",
        "id": "Indonesian",
        "it": "Italian",
        "ja": "Japanese",
        "ko": "Korean",
        "nl": "Dutch",
        "pl": "Polish",
        "pt": "Portuguese",
        "ru": "Russian",
        "th": "Thai",
        "tr": "Turkish",
        "uk": "Ukrainian",
        "vi": "Vietnamese",
        "zh": "Chinese",
        "zh-Hant": "Traditional Chinese",
    }
)
# Spellings folded onto a table entry (the table is keyed by mtqe's canonical codes).
LANGUAGE_ALIASES: Mapping[str, str] = MappingProxyType(
    {"zh-hans": "zh", "zh-cn": "zh", "zh-hant": "zh-Hant", "zh-tw": "zh-Hant"}
)


def canonical_language(code: str) -> str:
    """``ZH-cn`` → ``zh``; ``zh_TW`` → ``zh-Hant``; other codes lower-cased."""
    folded = code.strip().replace("_", "-").lower()
    return LANGUAGE_ALIASES.get(folded, folded)


def language_name(code: str, overrides: Mapping[str, str] | None = None) -> str:
    """The English name a prompt uses for ``code`` (``ja`` → ``Japanese``).

    ``overrides`` (a config's ``language_names``, keyed by code) wins over the table, e.g.
    ``{"zh": "Simplified Chinese"}``. An unknown code is an :class:`UnknownLanguageError`
    that lists the known ones.
    """
    key = canonical_language(code)
    table = {**LANGUAGE_NAMES, **{canonical_language(c): n for c, n in dict(overrides or {}).items()}}
    if key not in table:
        known = ", ".join(f"{c} ({n})" for c, n in sorted(table.items()))
        raise UnknownLanguageError(
            f"language {code!r} has no name for the prompt; known codes: {known}. "
            "Add it to the system config's `language_names` (if it has one)"
        )
    return table[key]


# -- templates -------------------------------------------------------------------------------


def template_fields(template: str) -> set[str]:
    """The ``{field}`` names used in a ``str.format`` template (ConfigError if it is malformed)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"template {template!r} is malformed: {exc} (write {{{{ and }}}} for literal braces)") from None


def check_template(template: str, *, what: str, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
    """Fail now, with the config key in the message, rather than mid-run on the first format()."""
    allowed, required = set(allowed), set(required)
    try:
        fields = template_fields(template)
    except ConfigError as exc:
        raise ConfigError(f"{what}: {exc}") from None
    unknown = sorted(fields - allowed)
    if unknown or any(not name.isidentifier() for name in fields):
        raise ConfigError(
            f"{what} {template!r} uses {', '.join('{' + n + '}' for n in unknown or sorted(fields))}; only "
            f"{', '.join('{' + n + '}' for n in sorted(allowed))} may appear in braces "
            "(write {{ and }} for literal braces)"
        )
    missing = sorted(required - fields)
    if missing:
        raise ConfigError(f"{what} {template!r} must contain {', '.join('{' + n + '}' for n in missing)}")


def format_template(template: str, *, what: str, **values: str) -> str:
    """``template.format(**values)`` with a :class:`ConfigError` naming ``what`` on failure."""
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"{what} {template!r} is not a valid template: {exc!r}. Only "
            f"{', '.join('{' + n + '}' for n in sorted(values))} may appear in braces "
            "(write {{ and }} for literal braces)"
        ) from None


# -- few-shot examples -----------------------------------------------------------------------


def example_pair(item: Any, where: str, *, single_line: bool = False) -> tuple[str, str]:
    """(source, target) of a few-shot example given as a FewShotExample, dict or DictConfig."""
    get = item.get if hasattr(item, "get") else lambda key: getattr(item, key, None)
    source, target = get("source"), get("target")
    if not isinstance(source, str) or not isinstance(target, str) or not source.strip() or not target.strip():
        raise ConfigError(f"{where}: each few-shot example needs a non-empty `source` and `target` string")
    if single_line and ("\n" in source.strip() or "\n" in target.strip()):
        raise ConfigError(f"{where}: few-shot examples must be one line each (the prompt is line-based)")
    return source.strip(), target.strip()


def few_shot_table(few_shot: Any, *, single_line: bool = False) -> dict[str, tuple[tuple[str, str], ...]]:
    """``{"ja-zh": ((source, target), ...)}`` from a config's ``few_shot`` mapping."""
    table: dict[str, tuple[tuple[str, str], ...]] = {}
    for pair, examples in dict(few_shot or {}).items():
        where = f"few_shot[{pair!r}]"
        table[str(pair)] = tuple(example_pair(item, where, single_line=single_line) for item in examples)
    return table


# -- batched generation helpers --------------------------------------------------------------


def left_pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[Any, Any]:
    """(input_ids, attention_mask) tensors with padding on the left, so every prompt ends at
    the same position and generation continues right after it."""
    import torch

    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, width - len(row) :] = torch.tensor(list(row), dtype=torch.long)
        mask[i, width - len(row) :] = 1
    return ids, mask


def cut_at_stop(row: Sequence[int], stop_ids: frozenset[int]) -> tuple[list[int], bool]:
    """The generated ids before the first stop id, and whether a stop id was found."""
    for position, token_id in enumerate(row):
        if token_id in stop_ids:
            return list(row[:position]), True
    return list(row), False


def cut_at_stop_strings(text: str, stop_strings: Sequence[str]) -> tuple[str, bool]:
    """``text`` before the earliest occurrence of any of ``stop_strings``, and whether one occurred."""
    positions = [text.find(stop) for stop in stop_strings if stop]
    found = [p for p in positions if p >= 0]
    return (text[: min(found)], True) if found else (text, False)


# -- chat output cleaning --------------------------------------------------------------------

DEFAULT_LABELS: tuple[str, ...] = ("{tgt_name}", "{tgt_name} translation", "Translation")
QUOTE_PAIRS: tuple[tuple[str, str], ...] = (
    ('"', '"'),
    ("\u201c", "\u201d"),  # “ ”
    ("\u300c", "\u300d"),  # 「 」
    ("\u300e", "\u300f"),  # 『 』
    ("'", "'"),
    ("\u2018", "\u2019"),  # ‘ ’
    ("\u00ab", "\u00bb"),  # « »
)
_BLANK_LINE = re.compile(r"\n[ \t\u3000]*\n\s*")
# A leading "Word:" in a source (up to 3 words): its translation may keep a label of its own.
_SOURCE_LABEL = re.compile(r"^\s*\S{1,30}(?:[ \t]\S{1,30}){0,2}\s*[:\uff1a]")


@dataclass(frozen=True)
class CleanedOutput:
    text: str
    applied: tuple[str, ...] = ()  # names of the rules that changed the text, in order


def paragraph_count(text: str) -> int:
    """Blank-line-separated paragraphs in ``text`` (at least 1)."""
    return max(1, len([p for p in _BLANK_LINE.split(text.strip()) if p.strip()]))


def keep_paragraphs(text: str, count: int) -> str:
    """The first ``count`` blank-line-separated paragraphs of ``text`` (separators kept)."""
    stripped = text.strip()
    for n, match in enumerate(_BLANK_LINE.finditer(stripped), start=1):
        if n == count:
            return stripped[: match.start()].rstrip()
    return stripped


def _label_regex(labels: Sequence[str], tgt_name: str) -> re.Pattern[str] | None:
    names = [format_template(label, what="cleaning.strip_labels entry", tgt_name=tgt_name) for label in labels]
    names = sorted({n.strip() for n in names if n.strip()}, key=len, reverse=True)  # longest first
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"^(?:\*\*)?(?:{alternatives})(?:\*\*)?[ \t]*[:\uff1a](?:\*\*)?\s*", re.IGNORECASE)


def strip_label(text: str, labels: Sequence[str], *, tgt_name: str) -> str:
    """``text`` without one leading ``<label>:`` (see the module doc)."""
    pattern = _label_regex(labels, tgt_name)
    if pattern is None:
        return text
    match = pattern.match(text)
    if match is None or not text[match.end() :].strip():
        return text  # a label with nothing after it is not a label: keep the text
    return text[match.end() :]


def quote_pair(text: str) -> tuple[str, str] | None:
    """The quote pair that wraps all of ``text`` (and does not occur inside it), if any."""
    stripped = text.strip()
    for opening, closing in QUOTE_PAIRS:
        if len(stripped) >= 2 and stripped.startswith(opening) and stripped.endswith(closing):
            inner = stripped[len(opening) : -len(closing)]
            if opening not in inner and closing not in inner and inner.strip():
                return opening, closing
    return None


def strip_quotes(text: str) -> str:
    pair = quote_pair(text)
    if pair is None:
        return text
    return text.strip()[len(pair[0]) : -len(pair[1])]


def clean_chat_output(
    text: str,
    *,
    source: str,
    tgt_name: str,
    cut_at_blank_line: bool = True,
    labels: Sequence[str] = DEFAULT_LABELS,
    quotes: bool = True,
) -> CleanedOutput:
    """A chat model's answer reduced to the translation (rules in the module doc)."""
    applied: list[str] = []
    current = text.strip()
    if cut_at_blank_line:
        cut = keep_paragraphs(current, paragraph_count(source))
        if cut != current:
            applied.append("blank_line_cut")
        current = cut.strip()
    if labels and not _SOURCE_LABEL.match(source):
        unlabelled = strip_label(current, labels, tgt_name=tgt_name).strip()
        if unlabelled != current:
            applied.append("label")
        current = unlabelled
    if quotes and quote_pair(source) is None:
        unquoted = strip_quotes(current).strip()
        if unquoted != current:
            applied.append("quotes")
        current = unquoted
    return CleanedOutput(current, tuple(applied))
