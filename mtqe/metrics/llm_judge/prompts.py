"""The judge's prompts: mtqe's own text for two protocols from the literature.

* ``esa``: error span annotation, then a 0-100 score for the whole translation. The protocol
  is ESA (Kocmi et al. 2024, "Error Span Annotation", WMT24), run by an LLM as in GEMBA-ESA;
* ``mqm``: error spans with an MQM severity and category, scored from the errors alone
  (GEMBA-MQM, Kocmi & Federmann 2023, WMT23).

The wording below is written for mtqe (the published GEMBA prompts are not used). It asks for
one error per line, ``severity | category | "quoted words of the translation"``, so that
:mod:`mtqe.metrics.llm_judge.parse` can read the answer without guessing. The same text serves
both backends: a chat model gets it as its user turn; a base model (``gguf``) continues it
after ``Errors:``, as the worked example shows.

Any change to a template is a change of :data:`PROMPT_VERSION` (bump it); the identity of
cached judgements also holds a hash of the templates, so an edit never serves old answers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from mtqe.systems.prompting import flatten_newlines

PROMPT_VERSION = 1

_FORMAT = (
    "Write one error per line, in this form:\n"
    'severity | category | "the exact words of the translation that are wrong"\n'
)

_ESA = (
    "You are checking a {tgt_name} translation of a {src_name} text.{reference_note}\n"
    "Find every error in the translation. " + _FORMAT +
    "Severity is minor (a slip that keeps the meaning clear) or major (it changes, hides or "
    "garbles the meaning).\n"
    "Category is accuracy, fluency, terminology, style or other.\n"
    "If the translation has no error, write the line: no errors\n"
    "Last, rate the whole translation on a line of its own: score: N, where N is a whole number "
    "from 0 (useless) to 100 (perfect).\n"
)

_MQM = (
    "You are checking a {tgt_name} translation of a {src_name} text.{reference_note}\n"
    "Find every error in the translation. " + _FORMAT +
    "Severity is minor (noticeable, but the meaning is kept), major (the meaning is changed or "
    "partly lost) or critical (a reader would be badly misled, or the text is not a translation).\n"
    "Category is one of accuracy/mistranslation, accuracy/omission, accuracy/addition, "
    "accuracy/untranslated, fluency/grammar, fluency/spelling, fluency/punctuation, terminology, "
    "style, locale or other. For an omission, quote the words of the source that are missing.\n"
    "If the translation has no error, write the line: no errors\n"
)

_REFERENCE_NOTE = " A reference translation is shown for comparison; other wordings can be just as correct."

# A worked example in a pair unrelated to any document of the corpus (written for mtqe).
_EXAMPLE_SOURCE = ("English", "The museum opens at nine o'clock on weekdays.")
_EXAMPLE_REFERENCE = "Le musée ouvre à neuf heures en semaine."
_EXAMPLE_TRANSLATION = ("French", "Le musée ferme à neuf heures le week-end.")
_EXAMPLE_ERRORS = {
    "esa": 'major | accuracy | "ferme"\nmajor | accuracy | "le week-end"\nscore: 30',
    "mqm": 'major | accuracy/mistranslation | "ferme"\nmajor | accuracy/mistranslation | "le week-end"',
}

TEMPLATES = {"esa": _ESA, "mqm": _MQM}


def templates_sha256() -> str:
    """Hash of every text a prompt is built from (part of the judge's cache identity)."""
    parts = [_ESA, _MQM, _REFERENCE_NOTE, *_EXAMPLE_SOURCE, _EXAMPLE_REFERENCE, *_EXAMPLE_TRANSLATION,
             *(f"{k}={v}" for k, v in sorted(_EXAMPLE_ERRORS.items()))]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class JudgePrompt:
    """The prompt of one protocol for one language pair (names are English language names)."""

    protocol: str
    src_name: str
    tgt_name: str
    with_reference: bool

    def render(self, source: str, translation: str, reference: str | None = None) -> str:
        if self.with_reference and reference is None:
            raise ValueError("JudgePrompt.render: this prompt shows a reference; none was given")
        note = _REFERENCE_NOTE if self.with_reference else ""
        head = TEMPLATES[self.protocol].format(src_name=self.src_name, tgt_name=self.tgt_name, reference_note=note)
        example = self._item(_EXAMPLE_SOURCE, _EXAMPLE_TRANSLATION, _EXAMPLE_REFERENCE)
        query = self._item(
            (self.src_name, source), (self.tgt_name, translation), reference if self.with_reference else None
        )
        return (
            f"{head}\nExample:\n{example}\nErrors:\n{_EXAMPLE_ERRORS[self.protocol]}\n\n"
            f"Now the text to check:\n{query}\nErrors:"
        )

    def _item(self, source: tuple[str, str], translation: tuple[str, str], reference: str | None) -> str:
        lines = [f"{source[0]} source: {flatten_newlines(source[1])}"]
        if self.with_reference and reference is not None:
            lines.append(f"{translation[0]} reference: {flatten_newlines(reference)}")
        lines.append(f"{translation[0]} translation: {flatten_newlines(translation[1])}")
        return "\n".join(lines)
