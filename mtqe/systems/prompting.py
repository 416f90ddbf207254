"""What a prompted LLM translator sends and how its answer is read back, shared by ``gguf``
(few-shot line prompts, base models) and ``hf_causal`` (chat prompts, instruction-tuned models).

* language names for prompts (:func:`language_name`: the English names of
  :mod:`mtqe.languages`, with per-config overrides);
* prompt templates with named fields, checked once with a clear :class:`ConfigError`
  (:func:`format_template`, :func:`check_template`);
* few-shot examples from a config (:func:`few_shot_table`);
* the two prompt shapes: :class:`FewShotPrompt` (``<Language>: <text>`` lines, the answer is the
  first line: :func:`first_line`) and :class:`ChatPrompt` (system / user / assistant turns);
  :func:`split_pair` reads a ``src-tgt`` key;
* cleaning of a chat model's answer (:func:`clean_chat_output`, rules below).

Generation itself (padding, stop ids, the repetition-loop stop) is
:mod:`mtqe.systems.causal_generation`. Nothing here imports torch or transformers.

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
from typing import Any

from mtqe.errors import ConfigError, UnknownLanguageError
from mtqe.languages import LANGUAGES, normalize_lang
from mtqe.languages import language_name as english_name

# -- language names --------------------------------------------------------------------------
# English names: instruction-tuned and base models saw far more English instructions than
# any other language's.


def _name_key(code: str) -> str:
    """mtqe's code for ``code``; a code mtqe does not know stays as written (lower-cased), so a
    config's ``language_names`` can name a language the table lacks."""
    try:
        return normalize_lang(code)
    except UnknownLanguageError:
        return code.strip().replace("_", "-").lower()


def language_name(code: str, overrides: Mapping[str, str] | None = None) -> str:
    """The English name a prompt uses for ``code`` (``ja`` → ``Japanese``, ``zh-CN`` → ``Chinese``).

    ``overrides`` (a config's ``language_names``, keyed by code) wins over the table, e.g.
    ``{"zh": "Simplified Chinese"}``, and may name codes the table lacks. An unknown code is
    an :class:`UnknownLanguageError` that lists the known ones.
    """
    names = {_name_key(str(c)): str(n) for c, n in dict(overrides or {}).items()}
    key = _name_key(code)
    if key in names:
        return names[key]
    try:
        return english_name(code)
    except UnknownLanguageError as exc:
        known = ", ".join(f"{c} ({n})" for c, n in {**{c: l.name for c, l in LANGUAGES.items()}, **names}.items())
        reason = str(exc).split(" Valid codes")[0]
        raise UnknownLanguageError(
            f"language {code!r} has no name for the prompt ({reason}); known codes: {known}. "
            "Add it to the system config's `language_names` (if it has one) or to mtqe/languages.py"
        ) from None


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


# -- prompt shapes ---------------------------------------------------------------------------

_NEWLINES = re.compile(r"\s*[\r\n]+\s*")


def flatten_newlines(text: str) -> str:
    """One line: a newline inside a line-based prompt's query would end the answer early."""
    return _NEWLINES.sub(" ", text.strip())


def first_line(text: str) -> str:
    """A line-based prompt's answer: the text before the first newline, stripped."""
    return text.split("\n", 1)[0].strip()


@dataclass(frozen=True)
class FewShotPrompt:
    """A base model's prompt for one language pair; :meth:`render` adds the query::

        <header>
        <Src>: <example source>
        <Tgt>: <example target>

        <Src>: <query>
        <Tgt>:
    """

    header: str
    src_name: str
    tgt_name: str
    examples: tuple[tuple[str, str], ...] = ()

    @property
    def zero_shot(self) -> bool:
        return not self.examples

    def prefix(self) -> str:
        """Everything before the query: header and the worked examples."""
        shots = "".join(f"{self.src_name}: {src}\n{self.tgt_name}: {tgt}\n\n" for src, tgt in self.examples)
        return self.header + shots

    def render(self, source: str) -> str:
        return f"{self.prefix()}{self.src_name}: {flatten_newlines(source)}\n{self.tgt_name}:"


@dataclass(frozen=True)
class ChatPrompt:
    """A chat model's conversation for one language pair; :meth:`messages` adds the query turn
    (system turn, then one user/assistant pair per few-shot example, then the query)."""

    system: str | None
    user_template: str
    src_name: str
    tgt_name: str
    examples: tuple[tuple[str, str], ...] = ()

    @property
    def zero_shot(self) -> bool:
        return not self.examples

    def user_turn(self, text: str) -> str:
        return format_template(
            self.user_template, what="user_prompt", src_name=self.src_name, tgt_name=self.tgt_name, text=text
        )

    def messages(self, text: str) -> list[dict[str, str]]:
        chat: list[dict[str, str]] = []
        if self.system:
            chat.append({"role": "system", "content": self.system})
        for source, target in self.examples:
            chat.append({"role": "user", "content": self.user_turn(source)})
            chat.append({"role": "assistant", "content": target})
        chat.append({"role": "user", "content": self.user_turn(text)})
        return chat


def split_pair(key: str, names: Mapping[str, str] | None = None) -> tuple[str, str]:
    """``"ja-zh"`` → ``("ja", "zh")``; ``"ja-zh-Hant"`` → ``("ja", "zh-Hant")`` (the split whose
    two sides both have prompt names). Unknown languages raise :class:`UnknownLanguageError`."""
    parts = key.split("-")
    error: UnknownLanguageError | None = None
    for cut in range(1, len(parts)):
        src, tgt = "-".join(parts[:cut]), "-".join(parts[cut:])
        try:
            language_name(src, names), language_name(tgt, names)
        except UnknownLanguageError as exc:
            error = error or exc
            continue
        return src, tgt
    if error is None:
        raise ConfigError(f"language pair {key!r} is not of the form src-tgt (e.g. ja-zh)")
    raise UnknownLanguageError(f"language pair {key!r}: {error}")
