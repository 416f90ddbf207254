"""Reading a judge's answer: error lines, the ESA score, and where each quoted span is.

The prompt (:mod:`mtqe.metrics.llm_judge.prompts`) asks for one error per line,
``severity | category | "quoted words"``, then (ESA) ``score: N``. Models drift from it, so
the reader is lenient where the meaning stays certain and strict where it does not:

* accepted: bullets and numbering before a line, markdown bold, a leading/trailing ``|``
  (table rows; the header row and ``|---|`` rows are skipped), any quote pair around the
  span (or none), upper case, a missing category (``severity | "words"``), an ``Errors:``
  header, ``no errors`` / ``none``, ``score: 85``, ``Score = 85/100``, ``score: 85 (good)``;
* severities are normalised: minor (minor, low, small, slight, trivial), major (major,
  medium, moderate, serious, significant), critical (critical, severe, high, fatal);
* other lines (chatter such as "Here are the errors:") are ignored and counted;
* the answer ends at the ESA score line, or at a line that starts a new item
  (``<Language> source: ...``, ``... translation: ...``, ``... reference: ...``: a base
  model inventing the next example), or (MQM) at the first blank line after the list.

An answer that cannot be scored is a :class:`Judgement` with a ``problem`` (never a score):
``empty``, ``no_score`` (ESA, no score line), ``score_out_of_range`` (not in 0-100),
``unknown_severity`` (an error line whose severity is none of the above: an error would be
lost), ``no_error_lines`` (MQM: neither errors nor ``no errors``), ``unfinished`` (generation
stopped at ``max_new_tokens`` or in a repetition loop before the answer was complete).

Locating (:func:`locate`): each quote is looked up in the hypothesis, exactly, then
ignoring case; repeated quotes take successive occurrences. A quote that is not in the
hypothesis (paraphrased, or an omission quoting the source) is *unlocated*: it still counts
in the MQM score (the judge did mark an error), it is left out of the highlighted spans, and
the metric's details count it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from mtqe.metrics.base import ErrorSpan
from mtqe.systems.prompting import strip_quotes

SEVERITY_WORDS = {
    "minor": "minor", "low": "minor", "small": "minor", "slight": "minor", "trivial": "minor",
    "major": "major", "medium": "major", "moderate": "major", "serious": "major", "significant": "major",
    "critical": "critical", "severe": "critical", "high": "critical", "fatal": "critical",
}  # fmt: skip

# GEMBA-MQM's weights (Kocmi & Federmann 2023); major 5 and minor 1 are also those of the
# WMT MQM scoring (Freitag et al. 2021), which gives 25 to a non-translation.
MQM_WEIGHTS = {"critical": 25.0, "major": 5.0, "minor": 1.0}

PROBLEMS = ("empty", "no_score", "score_out_of_range", "unknown_severity", "no_error_lines", "unfinished")

_BULLET = re.compile(r"^\s*(?:[-*•·]|\d{1,3}[.)])\s+")
_MARKUP = re.compile(r"[*_`]+")
_SCORE = re.compile(r"^(?:final |overall )?score\s*[:=]\s*(-?\d+(?:\.\d+)?)(?:\s*(?:/\s*100|%|out of 100))?", re.I)
_NO_ERRORS = re.compile(r"^(?:errors?\s*:\s*)?(?:no (?:errors?|issues?|mistakes?)(?: (?:were )?found)?|none)\W*$", re.I)
_HEADER = re.compile(r"^(?:errors?|answer|errors? found)\s*:?$", re.I)
# "Chinese translation: ..." (a base model writing the next item), not "the errors in the translation:"
_NEW_ITEM = re.compile(r"^[^\W\d_]+(?: [^\W\d_]+)? (?:source|translation|reference)\s*:\s*\S", re.I)
_TABLE_RULE = re.compile(r"^[\s|:-]+$")
_WORDS = re.compile(r"[a-z]+(?: [a-z]+)?")


@dataclass(frozen=True)
class MarkedError:
    """One error line of an answer, as the model wrote it (severity normalised)."""

    severity: str
    category: str | None
    quote: str


@dataclass(frozen=True)
class Judgement:
    """What an answer says: its errors, the ESA score (None for MQM), or why it cannot be
    scored (``problem``, one of :data:`PROBLEMS`); ``ignored_lines`` counts chatter."""

    errors: tuple[MarkedError, ...] = ()
    score: float | None = None
    problem: str | None = None
    ignored_lines: int = 0

    @property
    def valid(self) -> bool:
        return self.problem is None


def _clean(line: str) -> str:
    """A line without its bullet and table pipes (markup inside a quote is the model's text)."""
    line = _BULLET.sub("", line.strip())
    if line.startswith("|") or line.endswith("|"):
        line = line.strip("|").strip()
    return line


def _error_line(line: str) -> MarkedError | str | None:
    """A :class:`MarkedError`, ``"unknown_severity"``, ``"header"`` or None (not an error line)."""
    fields = [f.strip().strip("*_`").strip() for f in line.split("|")]
    if len(fields) < 2:
        return None
    head = fields[0].lower().rstrip(":").strip()
    if head == "severity":
        return "header"
    if not _WORDS.fullmatch(head):
        return None  # not a severity at all: a line of chatter or noise with a "|" in it
    severity = SEVERITY_WORDS.get(head.split()[0])
    if severity is None or (head.split()[1:] not in ([], ["error"], ["errors"])):
        return "unknown_severity"
    category = fields[1] if len(fields) > 2 and fields[1] else None
    quote = strip_quotes("|".join(fields[2:] if len(fields) > 2 else fields[1:]).strip()).strip()
    return MarkedError(severity, category.lower() if category else None, quote)


def parse_answer(text: str, *, protocol: str, finished: bool = True) -> Judgement:
    """The :class:`Judgement` of one answer (rules in the module doc). ``finished`` is False
    when generation stopped at the token budget or in a loop rather than at an end token."""
    if protocol not in ("esa", "mqm"):
        raise ValueError(f"parse_answer: unknown protocol {protocol!r}")
    if not text.strip():
        return Judgement(problem="empty" if finished else "unfinished")
    errors: list[MarkedError] = []
    said_none = False
    ignored = 0
    score: float | None = None
    for raw in text.splitlines():
        line = _clean(raw)
        if not line:
            if protocol == "mqm" and (errors or said_none):
                finished = True  # the list is over: what follows is not part of it
                break
            continue
        plain = _MARKUP.sub("", line).strip()
        found = _SCORE.match(plain)
        if found:
            score = float(found.group(1))
            finished = True  # the score line is the answer's last
            break
        if _NO_ERRORS.match(plain):
            said_none = True
            continue
        if _HEADER.match(plain) or _TABLE_RULE.match(plain):
            continue
        marked = _error_line(line)
        if isinstance(marked, MarkedError):
            errors.append(marked)
        elif marked == "unknown_severity":
            return Judgement(tuple(errors), problem="unknown_severity", ignored_lines=ignored)
        elif marked is None and _NEW_ITEM.match(plain):
            break
        elif marked is None:
            ignored += 1
    return _verdict(protocol, tuple(errors), said_none, score, finished, ignored)


def _verdict(
    protocol: str, errors: tuple[MarkedError, ...], said_none: bool, score: float | None, finished: bool, ignored: int
) -> Judgement:
    if protocol == "esa":
        if score is None:
            return Judgement(errors, problem="no_score" if finished else "unfinished", ignored_lines=ignored)
        if not 0 <= score <= 100:
            return Judgement(errors, score, problem="score_out_of_range", ignored_lines=ignored)
        return Judgement(errors, score, ignored_lines=ignored)
    if not finished:
        return Judgement(errors, problem="unfinished", ignored_lines=ignored)
    if not errors and not said_none:
        return Judgement(problem="no_error_lines", ignored_lines=ignored)
    return Judgement(errors, ignored_lines=ignored)


def mqm_score(errors: Sequence[MarkedError]) -> float:
    """``-(25 critical + 5 major + 1 minor)``: 0 for a translation without errors, higher is better.
    Unlike GEMBA-MQM's script, the errors are not capped (it counts five at most and clips at -25)."""
    return -sum(MQM_WEIGHTS[e.severity] for e in errors)


def locate(errors: Sequence[MarkedError], hypothesis: str) -> tuple[list[ErrorSpan], list[MarkedError]]:
    """The located spans (character offsets into ``hypothesis``) and the unlocated errors."""
    located: list[ErrorSpan] = []
    unlocated: list[MarkedError] = []
    taken: set[int] = set()
    folded = hypothesis.lower() if len(hypothesis.lower()) == len(hypothesis) else None
    for error in errors:
        start = _find(hypothesis, error.quote, taken)
        if start is None and folded is not None:
            start = _find(folded, error.quote.lower(), taken)
        if start is None:
            unlocated.append(error)
            continue
        taken.add(start)
        end = start + len(error.quote)
        located.append(ErrorSpan(start, end, hypothesis[start:end], error.severity, category=error.category))
    return located, unlocated


def _find(text: str, quote: str, taken: set[int]) -> int | None:
    """The first occurrence of ``quote`` not yet taken by an earlier error (else the first)."""
    if not quote:
        return None
    starts = []
    position = text.find(quote)
    while position >= 0:
        starts.append(position)
        position = text.find(quote, position + 1)
    fresh = [s for s in starts if s not in taken]
    return (fresh or starts or [None])[0]
