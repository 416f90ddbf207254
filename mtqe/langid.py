"""Language identification of a text (is this file really in the language it is declared in?).

Wraps py3langid (a maintained port of langid.py: 97 languages, its model ships inside the
wheel, pure Python + NumPy, no download, well under a second per text). Why this library:
docs/reliability.md "Language identification". The model is loaded when an
:class:`LanguageIdentifier` is first asked, never at import.

Used by ``mtqe corpus add`` to refuse a clear mismatch; kept apart so diagnostics can reuse it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mtqe.errors import CorpusError

# Enough text for a confident guess; more only costs time.
SAMPLE_CHARS = 20_000
# A mismatch is "clear" when the detector is this sure of another language and gives the
# declared one less than MAX_DECLARED_PROB: a text mixing two languages is never refused.
MIN_OTHER_PROB = 0.95
MAX_DECLARED_PROB = 0.01
# mtqe language codes whose base subtag py3langid names differently.
_ALIASES = {"nb": "no", "nn": "no", "fil": "tl", "iw": "he"}


@dataclass(frozen=True)
class LanguageGuess:
    """The most likely language of a text and the probability of the declared one."""

    lang: str  # py3langid's code, e.g. "zh"
    probability: float
    declared: str  # the declared code mapped to py3langid's, e.g. "zh" for "zh-Hant"
    declared_probability: float

    @property
    def clear_mismatch(self) -> bool:
        return (
            self.lang != self.declared
            and self.probability >= MIN_OTHER_PROB
            and self.declared_probability <= MAX_DECLARED_PROB
        )


class LanguageIdentifier:
    """py3langid's model, loaded on first use."""

    def __init__(self) -> None:
        self._model: Any = None

    def _identifier(self) -> Any:
        if self._model is None:
            try:
                from py3langid.langid import MODEL_FILE
                from py3langid.langid import LanguageIdentifier as Py3LangId
            except ImportError as exc:
                raise CorpusError(
                    f"language identification needs py3langid ({exc}): `pip install 'py3langid>=0.2.2,<0.3'`, "
                    "or skip the check with --no-language-check"
                ) from None
            self._model = Py3LangId.from_pickled_model(MODEL_FILE, norm_probs=True)
        return self._model

    def supports(self, lang: str) -> bool:
        return base_code(lang) in self._identifier().nb_classes

    def guess(self, text: str, declared: str) -> LanguageGuess | None:
        """The guess for ``text`` (its first :data:`SAMPLE_CHARS` characters); None when the
        declared language is one the model does not know (no verdict is possible)."""
        if not self.supports(declared):
            return None
        ranked = self._identifier().rank(text[:SAMPLE_CHARS])
        probs = {lang: float(p) for lang, p in ranked}
        best, best_prob = ranked[0]
        code = base_code(declared)
        return LanguageGuess(str(best), float(best_prob), code, probs.get(code, 0.0))


def base_code(lang: str) -> str:
    """py3langid's code for an mtqe language code (``zh-Hant`` → ``zh``, ``nb`` → ``no``)."""
    base = lang.split("-")[0].lower()
    return _ALIASES.get(base, base)


def check_declared_language(text: str, declared: str, *, where: str,
                            identifier: LanguageIdentifier | None = None) -> str:
    """Raise a CorpusError when ``text`` is clearly not in ``declared``; else say what was found."""
    identifier = identifier or LanguageIdentifier()
    if not text.strip():
        return "language not checked (no text)"
    guess = identifier.guess(text, declared)
    if guess is None:
        return f"language not checked ({declared!r} is not among the languages py3langid identifies)"
    if guess.clear_mismatch:
        raise CorpusError(
            f"{where} is declared as {declared!r} but reads as {guess.lang!r} (probability "
            f"{guess.probability:.2f}; {declared!r}: {guess.declared_probability:.2g}). Give the right --lang, "
            "or pass --no-language-check if the declared language is right"
        )
    return f"language check: reads as {guess.lang!r} (probability {guess.probability:.2f})"
