"""BLEU and chrF/chrF++ through sacrebleu, with the tokenizer chosen from the target language.

The BLEU tokenizer is sacrebleu's own choice: mtqe hands it the target language
(``trg_lang``, the language subtag of :mod:`mtqe.languages`: ``zh`` for ``zh-Hant``) and sacrebleu
picks ``zh`` for Chinese, ``ja-mecab`` for Japanese, ``ko-mecab`` for Korean and ``13a``
otherwise; ``tokenize:`` in the metric config overrides it. Per-segment sufficient statistics
are kept (sacrebleu's own ``_extract_corpus_statistics``), so confidence intervals and paired
tests recompute exactly sacrebleu's corpus score on resampled segments.
"""

from __future__ import annotations

import numpy as np
import sacrebleu
from sacrebleu.metrics import BLEU, CHRF, TER

from mtqe.errors import MetricUnavailableError
from mtqe.languages import get_language, is_cjk
from mtqe.metrics.base import Metric, MetricInfo, MetricInput, MetricResult
from mtqe.metrics.configs import ChrfConfig, SacreBleuConfig, TerConfig
from mtqe.metrics.sacrebleu_sums import bleu_from_sums, chrf_from_sums, ter_from_sums
from mtqe.progress import Progress  # scored in one call: the caller advances it


def sacrebleu_lang(lang: str) -> str:
    """The ``trg_lang`` sacrebleu is given for mtqe language ``lang`` (``zh-TW`` → ``zh``)."""
    return get_language(lang).subtag


def tokenizer_for(lang: str) -> str:
    """The tokenizer sacrebleu's BLEU chooses for target ``lang`` when none is given.

    Read from sacrebleu's own language map, so it cannot drift from what ``BLEU(trg_lang=...)``
    does: Chinese needs character-level tokenization and Japanese/Korean a morphological
    analyser (13a on CJK text counts whole sentences as single "words")."""
    return BLEU._TOKENIZER_MAP.get(sacrebleu_lang(lang), BLEU.TOKENIZER_DEFAULT)


# sacrebleu tokenizers that split CJK text below the run of characters (for a CJK target that
# sacrebleu has no tokenizer of its own for).
_SPLITS_CJK = frozenset({"zh", "char", "spm", "flores101", "flores200"})


def check_tokenizer_available(tokenize: str) -> None:
    """Fail before any work starts if a MeCab-based tokenizer cannot load."""
    if tokenize == "ja-mecab":
        try:
            import ipadic  # noqa: F401
            import MeCab  # noqa: F401
        except ImportError as exc:
            raise MetricUnavailableError(
                f"BLEU tokenizer 'ja-mecab' needs MeCab: pip install 'sacrebleu[ja]' ({exc})"
            ) from None
    elif tokenize == "ko-mecab":
        try:
            import mecab_ko  # noqa: F401
        except ImportError as exc:
            raise MetricUnavailableError(
                f"BLEU tokenizer 'ko-mecab' needs mecab-ko: pip install 'sacrebleu[ko]' ({exc})"
            ) from None


def _streams(data: MetricInput) -> list[list[str]]:
    return [list(stream) for stream in data.references]


class BleuMetric(Metric):
    def __init__(self, cfg: SacreBleuConfig) -> None:
        self.cfg = cfg
        self.info = MetricInfo(
            name=cfg.name,
            higher_is_better=True,
            needs_reference=True,
            needs_source=False,
            description="BLEU (sacrebleu), tokenizer chosen from the target language",
        )
        self._by_tokenizer: dict[str, BLEU] = {}

    def tokenizer(self, tgt_lang: str) -> str:
        return tokenizer_for(tgt_lang) if self.cfg.tokenize == "auto" else self.cfg.tokenize

    def preflight(self, src_lang: str, tgt_lang: str) -> list[str]:
        check_tokenizer_available(self.tokenizer(tgt_lang))  # MeCab missing: fail before any work
        return self.warnings_for(tgt_lang)

    def warnings_for(self, tgt_lang: str) -> list[str]:
        tok, standard = self.tokenizer(tgt_lang), tokenizer_for(tgt_lang)
        if not is_cjk(tgt_lang) or tok == "char":
            return []
        if standard == BLEU.TOKENIZER_DEFAULT:  # a CJK language sacrebleu has no tokenizer for (yue)
            if tok in _SPLITS_CJK:
                return []
            return [
                f"{self.cfg.name}: sacrebleu has no tokenizer for target {tgt_lang}, so {tok!r} counts runs "
                "of CJK characters as words; set `tokenize: zh` or `char` in the metric config"
            ]
        if tok != standard:
            return [
                f"{self.cfg.name}: target {tgt_lang} scored with tokenizer {tok!r}; "
                f"{standard!r} is the standard for this language"
            ]
        return []

    def _bleu(self, tgt_lang: str, n_refs: int) -> BLEU:
        tok = self.tokenizer(tgt_lang)
        key = f"{tok}|{n_refs}"
        if key not in self._by_tokenizer:
            check_tokenizer_available(tok)
            # auto: sacrebleu picks the tokenizer from trg_lang itself. An override goes in as
            # is, without trg_lang (warnings_for reports a non-standard choice once, in mtqe).
            auto = self.cfg.tokenize == "auto"
            self._by_tokenizer[key] = BLEU(
                tokenize=None if auto else tok, trg_lang=sacrebleu_lang(tgt_lang) if auto else "",
                lowercase=self.cfg.lowercase, effective_order=True,
            )
        return self._by_tokenizer[key]

    def signature(self) -> str:
        return f"{self.cfg.name}|tok:{self.cfg.tokenize}|sacrebleu:{sacrebleu.__version__}"

    def score(self, data: MetricInput, *, progress: Progress | None = None) -> MetricResult:
        if not data.references:
            return MetricResult.not_available(self.cfg.name, self.signature(), "no reference")
        bleu = self._bleu(data.tgt_lang, len(data.references))
        refs = _streams(data)
        raw, corpus = _corpus_statistics(bleu, data, refs)
        stats = np.asarray(raw, dtype=np.float64)
        # Sentence BLEU (exponential smoothing, effective order) for the per-segment view only:
        # sentence_score's statistics are the segment's own row, so it is computed from that row.
        segment_scores = tuple(bleu._compute_score_from_stats(list(row)).score for row in raw)
        sig = bleu.get_signature().format(short=True)
        return MetricResult(
            metric=self.cfg.name,
            score=float(corpus.score),
            signature=f"{sig}|refs:{'+'.join(data.reference_ids)}",
            segment_scores=segment_scores,
            stats=stats,
            details={"bp": corpus.bp, "sys_len": corpus.sys_len, "ref_len": corpus.ref_len,
                     "tokenizer": self.tokenizer(data.tgt_lang)},
        )

    def aggregate(self, rows: np.ndarray) -> float:
        bleu = next(iter(self._by_tokenizer.values()), None) or BLEU(effective_order=True)
        return float(bleu._compute_score_from_stats(list(rows.sum(axis=0))).score)

    def aggregate_sums(self, sums: np.ndarray, n_rows: int) -> np.ndarray:
        """Vectorised :meth:`aggregate` on column sums ``(m, k) -> (m,)`` (mtqe.metrics.stats)."""
        bleu = next(iter(self._by_tokenizer.values()), None) or BLEU(effective_order=True)
        return bleu_from_sums(bleu, sums)


class ChrfMetric(Metric):
    def __init__(self, cfg: ChrfConfig) -> None:
        self.cfg = cfg
        label = "chrF++" if cfg.word_order > 0 else "chrF"
        self.info = MetricInfo(
            name=cfg.name,
            higher_is_better=True,
            needs_reference=True,
            needs_source=False,
            description=f"{label} (sacrebleu), character n-grams: no tokenizer needed for CJK",
        )
        self._chrf = CHRF(
            char_order=cfg.char_order, word_order=cfg.word_order, beta=cfg.beta, lowercase=cfg.lowercase
        )

    def signature(self) -> str:
        # sacrebleu's own signature needs a scored corpus (nrefs); this one names the config.
        cfg = self.cfg
        return (f"{cfg.name}|nc:{cfg.char_order}|nw:{cfg.word_order}|beta:{cfg.beta}"
                f"|case:{'lc' if cfg.lowercase else 'mixed'}|version:{sacrebleu.__version__}")

    def score(self, data: MetricInput, *, progress: Progress | None = None) -> MetricResult:
        if not data.references:
            return MetricResult.not_available(self.cfg.name, self.signature(), "no reference")
        refs = _streams(data)
        raw, corpus = _corpus_statistics(self._chrf, data, refs)
        stats = np.asarray(raw, dtype=np.float64)
        segment_scores = tuple(
            self._chrf._compute_score_from_stats(list(row)).score for row in stats
        )
        return MetricResult(
            metric=self.cfg.name,
            score=float(corpus.score),
            signature=f"{self._chrf.get_signature().format(short=True)}|refs:{'+'.join(data.reference_ids)}",
            segment_scores=segment_scores,
            stats=stats,
        )

    def aggregate(self, rows: np.ndarray) -> float:
        return float(self._chrf._compute_score_from_stats(list(rows.sum(axis=0))).score)

    def aggregate_sums(self, sums: np.ndarray, n_rows: int) -> np.ndarray:
        """Vectorised :meth:`aggregate` on column sums ``(m, k) -> (m,)`` (mtqe.metrics.stats)."""
        return chrf_from_sums(self._chrf, sums)


class TerMetric(Metric):
    """Translation Edit Rate (sacrebleu): edits per reference word, lower is better."""

    def __init__(self, cfg: TerConfig) -> None:
        self.cfg = cfg
        self.info = MetricInfo(
            name=cfg.name,
            higher_is_better=False,
            needs_reference=True,
            needs_source=False,
            description="TER (sacrebleu); CJK-aware tokenization for CJK targets (zh, ja, ko, yue)",
        )
        self._by_mode: dict[bool, TER] = {}

    def _ter(self, tgt_lang: str) -> TER:
        asian = is_cjk(tgt_lang) if self.cfg.asian_support == "auto" else self.cfg.asian_support == "true"
        if asian not in self._by_mode:
            # sacrebleu applies asian_support (CJK split to characters) only with normalization on.
            self._by_mode[asian] = TER(
                normalized=self.cfg.normalized or asian, no_punct=self.cfg.no_punct,
                asian_support=asian, case_sensitive=self.cfg.case_sensitive,
            )
        return self._by_mode[asian]

    def signature(self) -> str:
        cfg = self.cfg
        return (f"{cfg.name}|asian:{cfg.asian_support}|norm:{cfg.normalized}|nopunct:{cfg.no_punct}"
                f"|case:{cfg.case_sensitive}|version:{sacrebleu.__version__}")

    def score(self, data: MetricInput, *, progress: Progress | None = None) -> MetricResult:
        if not data.references:
            return MetricResult.not_available(self.cfg.name, self.signature(), "no reference")
        ter = self._ter(data.tgt_lang)
        refs = _streams(data)
        raw, corpus = _corpus_statistics(ter, data, refs)
        stats = np.asarray(raw, dtype=np.float64)
        segment_scores = tuple(ter._compute_score_from_stats(list(row)).score for row in stats)
        return MetricResult(
            metric=self.cfg.name,
            score=float(corpus.score),
            signature=f"{ter.get_signature().format(short=True)}|refs:{'+'.join(data.reference_ids)}",
            segment_scores=segment_scores,
            stats=stats,
        )

    def aggregate(self, rows: np.ndarray) -> float:
        # Any instance aggregates the same way: edits summed over reference lengths summed.
        ter = next(iter(self._by_mode.values()), None) or TER()
        return float(ter._compute_score_from_stats(list(rows.sum(axis=0))).score)

    def aggregate_sums(self, sums: np.ndarray, n_rows: int) -> np.ndarray:
        """Vectorised :meth:`aggregate` on column sums ``(m, k) -> (m,)`` (mtqe.metrics.stats)."""
        return ter_from_sums(sums)


def _corpus_statistics(metric, data: MetricInput, refs):
    """Per-segment statistics and the corpus score from one extraction: what ``corpus_score``
    does (argument checks, statistics, aggregation), without tokenizing everything twice."""
    hyps = list(data.hypotheses)
    metric._check_corpus_score_args(hyps, refs)
    raw = metric._extract_corpus_statistics(hyps, refs)  # also records num_refs for the signature
    return raw, metric._aggregate_and_compute(raw)
