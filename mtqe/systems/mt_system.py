"""An MT system: a translator wrapped with the translation cache and sentence splitting.

The translator (the model) is created only when a source unit is missing from the cache,
so a run whose translations are all cached loads no model at all.
"""

from __future__ import annotations

import time
from typing import Callable

from mtqe.corpus.model import ParallelDocument
from mtqe.corpus.segment import join_sentences, split_sentences
from mtqe.systems.base import NoProgress, Progress, System, SystemOutput, Translator
from mtqe.systems.cache import TranslationCache, entry_key
from mtqe.systems.configs import MTSystemConfig, supports_pair


class MTSystem(System):
    kind = "mt"

    def __init__(
        self,
        *,
        cfg: MTSystemConfig,
        translator_factory: Callable[[], Translator],
        cache: TranslationCache | None,
    ) -> None:
        self.name = cfg.name
        self.cfg = cfg
        self._factory = translator_factory
        self._translator: Translator | None = None
        self._identity: dict | None = None
        self.cache = cache

    @property
    def translator(self) -> Translator:
        if self._translator is None:
            self._translator = self._factory()
        return self._translator

    def identity(self) -> dict:
        if self._identity is None:
            self._identity = self.translator.identity()
        return self._identity

    def supports(self, src_lang: str, tgt_lang: str) -> bool:
        return supports_pair(self.cfg, src_lang, tgt_lang)

    def preflight(self, src_lang: str, tgt_lang: str) -> list[str]:
        # Creating the translator runs its own checks (templates, ...) and loads nothing.
        return self.translator.preflight(src_lang, tgt_lang)

    def _units(self, doc: ParallelDocument) -> list[list[str]]:
        if self.cfg.sentence_split:
            return [split_sentences(seg, doc.src_lang) for seg in doc.sources]
        return [[seg] for seg in doc.sources]

    def produce(self, doc: ParallelDocument, *, progress: Progress | None = None) -> SystemOutput:
        started = time.perf_counter()
        units_per_segment = self._units(doc)
        unique = list(dict.fromkeys(u for units in units_per_segment for u in units if u.strip()))
        progress = progress or NoProgress()
        progress.start(len(unique))
        translations, hits = self._translate_unique(unique, doc.src_lang, doc.tgt_lang, progress)
        hypotheses = tuple(
            join_sentences([translations.get(u, "") if u.strip() else u for u in units], doc.tgt_lang)
            for units in units_per_segment
        )
        stats = {
            "units": sum(len(u) for u in units_per_segment),
            "unique_units": len(unique),
            "cache_hits": hits,
            "translated": len(unique) - hits,
            "seconds": round(time.perf_counter() - started, 3),
            "model_used": hits < len(unique),
        }
        if self._translator is not None:
            stats["translator"] = self._translator.describe()
        return SystemOutput(system=self.name, hypotheses=hypotheses, kind=self.kind, stats=stats)

    def _translate_unique(
        self, unique: list[str], src: str, tgt: str, progress: Progress
    ) -> tuple[dict[str, str], int]:
        if self.cache is None:
            before = self.translator.tokens_generated
            outputs = self.translator.translate(unique, src_lang=src, tgt_lang=tgt)
            progress.advance(len(unique), tokens=self.translator.tokens_generated - before)
            return dict(zip(unique, outputs)), 0
        ident_hash = self.cache.register_identity(self.identity())
        keys = {u: entry_key(ident_hash, src, tgt, u) for u in unique}
        stored = self.cache.get_many(list(keys.values()))
        result = {u: stored[k] for u, k in keys.items() if k in stored}
        hits = len(result)
        progress.advance(hits)  # cached: no tokens generated
        # Length-sorted, so each chunk is one length-homogeneous batch for the translator.
        todo = sorted((u for u in unique if u not in result), key=len)
        chunk_size = self._chunk_size()
        for start in range(0, len(todo), chunk_size):
            chunk = todo[start : start + chunk_size]
            before = self.translator.tokens_generated
            outputs = self.translator.translate(chunk, src_lang=src, tgt_lang=tgt)
            self.cache.put_many(ident_hash, src, tgt, zip(chunk, outputs))
            result.update(zip(chunk, outputs))
            progress.advance(len(chunk), tokens=self.translator.tokens_generated - before)
        return result, hits

    def _chunk_size(self) -> int:
        # Each chunk is written to the cache as soon as it is done: one batch (or one round of
        # parallel batches), so an interrupted run loses at most that much.
        return max(1, self.translator.inputs_per_call(self.cfg.batching.batch_size))

    def close(self) -> None:
        if self._translator is not None:
            self._translator.close()
            self._translator = None
