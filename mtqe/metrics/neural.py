"""Base of the neural metrics: one model family per subclass, everything else once.

:class:`NeuralMetric` does what every model-based metric needs; a subclass (COMET in
``comet_metric.py``; XCOMET, MetricX, CometKiwi or an LLM judge next) only says how to find
and load its model, build its inputs and read its outputs (the hooks below).

The base does:

* **load once, lazily**: nothing loads before the first ``score()``; a load failure
  (offline and not cached, missing file, refused checkpoint, no CUDA) is recorded once and
  every call returns ``MetricResult.not_available`` with that reason and the remedy;
* **work once**: model inputs (:data:`~mtqe.metrics.neural_batching.Key`) are de-duplicated
  and memoised per instance (within a call, across systems, across reference streams), and
  with a :class:`ScoreCache` across runs (key: checkpoint sha256 + package version +
  precision + mode + texts, written per batch); what a checkpoint is (class, QE or not, max
  tokens) is kept there too, so a re-run whose scores are all cached loads no model;
* **batches** sorted by token length, longest first with the one short batch first
  (``neural_batching.sorted_batches``), under ``torch.inference_mode`` and, for
  ``precision: bf16|16``, ``torch.autocast``; a batch that runs out of CUDA memory is run as
  two halves (``split_on_oom``, shared with the translators) and later batches use the
  smaller size;
* **truncation** counted per segment, **progress** advanced per segment as its inputs arrive;
* **long segments** (``long_segments: truncate | split``, signed ``long:``): over-long
  segments are scored cut, or split into aligned sentences and length-weighted
  (:mod:`mtqe.metrics.long_segments`); their count is always in ``details["long_segments"]``.

Hooks a subclass implements: :meth:`resolve_checkpoint`, :meth:`load_model`,
:meth:`read_model`, :meth:`max_input_tokens`, :meth:`plan_inputs`, :meth:`token_lengths`,
:meth:`encode_inputs`, :meth:`predict_batch`; and may override :meth:`is_truncated`,
:meth:`checkpoint_hash`, :meth:`combine`, :meth:`cache_identity`, :meth:`result_details`,
:meth:`signature_fields`, :meth:`input_key`, :meth:`place_model`.

Devices: the CPU or one GPU per process (``gpus: 0|1``); a subclass may shard one model over
the GPUs of a node in :meth:`place_model` (MetricX's ``device_map``). Data parallelism over
GPUs is not done in-process: the seam is :meth:`_run_model` (a list of sorted batches, each
scored independently and stored per batch in the score cache), so several processes, one per
GPU, sharing one ScoreCache file already split a sweep's work without scoring anything twice.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from abc import abstractmethod
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from mtqe.errors import ConfigError, ModelUnavailableError
from mtqe.metrics.base import ErrorSpan, MeanOfSegments, MeanOfValid, Metric, MetricInfo, MetricInput, MetricResult
from mtqe.metrics.checkpoints import LoadFailure, checkpoint_sha256, hub_offline, model_label
from mtqe.metrics.long_segments import Piece, split_pieces, summary
from mtqe.metrics.neural_batching import Key, OnScored, SegmentProgress, input_length, sorted_batches
from mtqe.metrics.neural_types import (
    PRECISIONS,
    CheckpointFacts,
    InputPlan,
    LoadedModel,
    ModelTraits,
    NeuralConfig,
    Prediction,
    Scored,
    Unscorable,
)
from mtqe.metrics.score_cache import ScoreCache, score_key
from mtqe.progress import NoProgress, Progress

log = logging.getLogger(__name__)


@dataclass
class _Split:
    """What splitting the over-long inputs of one ``score()`` gave."""

    scores: dict[tuple[int, int], Scored] = field(default_factory=dict)  # (stream, segment) -> pieces
    reasons: Counter[str] = field(default_factory=Counter)  # inputs scored truncated, by reason
    inputs: int = 0
    scored: int = 0
    from_cache: int = 0


def _combine_pieces(mt: str, pieces: list[Piece], scored: list[Scored]) -> Scored:
    """One segment's score from its pieces: the mean of the valid piece scores weighted by
    hypothesis characters; error spans moved to their offsets in the whole hypothesis."""
    weights = np.array([p.weight if s.valid else 0 for p, s in zip(pieces, scored)], dtype=np.float64)
    valid = [s.valid for s in scored]
    if any(valid) and weights.sum() <= 0:
        weights = np.array(valid, dtype=np.float64)  # valid pieces of no countable characters
    values = np.nan_to_num(np.array([s.score for s in scored], dtype=np.float64))
    score = float((weights * values).sum() / weights.sum()) if any(valid) else math.nan
    spans: list[ErrorSpan] | None = None
    if any(s.spans is not None for s in scored):
        spans, cursor = [], 0
        for piece, result in zip(pieces, scored):
            offset = mt.find(piece.mt, cursor)
            if offset < 0:  # whitespace was normalised by the splitter: offsets unknown
                spans = None
                break
            cursor = offset + len(piece.mt)
            spans += [replace(e, start=e.start + offset, end=e.end + offset) for e in result.spans or ()]
    return Scored(score, any(s.truncated for s in scored), None if spans is None else tuple(spans), any(valid))


class NeuralMetric(MeanOfSegments, Metric):
    """A metric computed by a neural model; see the module docstring.

    ``cfg`` is the metric's typed config (:class:`NeuralConfig` fields at least), ``cache``
    an optional :class:`ScoreCache`. Bad config values raise :class:`ConfigError` here;
    files, hub and CUDA are only looked at by the first ``score()``. A subclass sets ``info``
    (:class:`MetricInfo`) in its ``__init__``.

    Planned subclasses and the hooks they need: XCOMET (a COMET subclass; error spans would
    come from ``predict_batch`` as extra per-input outputs next to the score), MetricX-24
    (an mT5 regression model in a Hugging Face directory: ``resolve_checkpoint`` returns the
    directory and :meth:`checkpoint_hash` fingerprints it; lower is better in its ``info``),
    CometKiwi-23 (the COMET subclass as is) and an LLM judge (``encode_inputs`` builds the
    prompts, ``predict_batch`` parses the ratings).
    """

    family: ClassVar[str]  # signature prefix and name in messages ("comet")
    # False for a model that never cuts an input (an LLM judge refuses a prompt that does not
    # fit): its signature then has no ``long:`` field.
    cuts_long_inputs: ClassVar[bool] = True
    package: ClassVar[str]  # distribution whose version goes into signature and cache identity

    def __init__(self, *, cfg: NeuralConfig, cache: ScoreCache | None = None) -> None:
        precision = PRECISIONS.get(str(cfg.precision).strip().lower())
        if precision is None:
            raise ConfigError(f"metric.{cfg.name}.precision={cfg.precision!r}: use 32, bf16 (autocast) or 16")
        if int(cfg.gpus) not in (0, 1):
            raise ConfigError(
                f"metric.{cfg.name}.gpus={cfg.gpus}: mtqe runs neural metrics in-process on the CPU (0) "
                "or one GPU (1); multi-GPU scoring is not supported"
            )
        if int(cfg.batch_size) < 1:
            raise ConfigError(f"metric.{cfg.name}.batch_size={cfg.batch_size}: must be at least 1")
        if not str(cfg.model).strip():
            raise ConfigError(f"metric.{cfg.name}.model is empty: give a hub id or a checkpoint path")
        long_mode = str(getattr(cfg, "long_segments", "truncate")).strip().lower()
        if long_mode not in ("truncate", "split"):
            raise ConfigError(f"metric.{cfg.name}.long_segments={long_mode!r}: use truncate | split")
        self.long_mode = long_mode
        self.cfg = cfg
        self.precision = precision
        self.cache = cache
        self._lock = threading.Lock()
        self._loaded: LoadedModel | None = None
        self._facts: CheckpointFacts | None = None  # from the score cache, model not loaded
        self._failure: str | None = None
        self._memo: dict[Key, Scored] = {}
        self._cache_identities: dict[str, str] = {}  # mode -> identity hash in the ScoreCache
        self._batch_cap = int(cfg.batch_size)  # lowered when a batch runs out of CUDA memory
        self._oom_splits = 0

    # ----------------------------------------------------------------- hooks

    @abstractmethod
    def resolve_checkpoint(self, offline: bool) -> Path:
        """The local checkpoint file (downloaded if needed and allowed); raises LoadFailure."""

    @abstractmethod
    def load_model(self, checkpoint: Path, offline: bool) -> Any:
        """The model on the CPU, from ``checkpoint`` (never running code from it); raises LoadFailure."""

    @abstractmethod
    def read_model(self, model: Any) -> tuple[ModelTraits, Mapping[str, Any]]:
        """What the loaded model is, and family-specific facts kept in ``LoadedModel.extra``."""

    @abstractmethod
    def max_input_tokens(self, model: Any) -> int:
        """The most tokens the model reads per sequence (longer inputs are truncated)."""

    @abstractmethod
    def plan_inputs(self, data: MetricInput, facts: CheckpointFacts) -> InputPlan | Unscorable:
        """The model inputs of ``data``, or why this model cannot score it."""

    @abstractmethod
    def token_lengths(self, loaded: LoadedModel, texts: list[str]) -> dict[str, int]:
        """Tokens of each text as the model's tokenizer counts them (specials included)."""

    @abstractmethod
    def encode_inputs(self, loaded: LoadedModel, batch: list[Key]) -> Any:
        """Model-ready tensors of one batch, on ``loaded.device``."""

    @abstractmethod
    def predict_batch(self, loaded: LoadedModel, encoded: Any) -> list[float] | list[Prediction]:
        """One score per input of the batch (runs under inference mode and autocast), or one
        :class:`Prediction` when the model also marks error spans or may give no score."""

    def checkpoint_hash(self, checkpoint: Path) -> str:
        """Full sha256 of the checkpoint file (a directory-based model overrides this)."""
        return checkpoint_sha256(checkpoint, self.cache)

    def is_truncated(self, loaded: LoadedModel, key: Key, lengths: Mapping[str, int]) -> bool:
        """Whether the model cuts any token of this input."""
        limit = loaded.facts.max_positions
        return any(lengths[t] > limit for t in key if t is not None)

    def combine(self, per_stream: np.ndarray) -> np.ndarray:
        """Segment scores from the (streams, segments) scores: the mean over reference streams."""
        return per_stream.mean(axis=0)

    def cache_identity(self, facts: CheckpointFacts, mode: str) -> dict[str, Any]:
        """What a cached score was computed with: any change makes earlier rows misses."""
        return {
            "metric": self.family,
            "model": self.model_label,
            "checkpoint_sha256": facts.checkpoint_hash,
            self.package: self.version(),
            "precision": self.precision,
            "mode": mode,
        }

    def combine_spans(
        self, per_stream: list[list[tuple[ErrorSpan, ...] | None]], scores: np.ndarray
    ) -> list[tuple[ErrorSpan, ...] | None]:
        """Segment spans from the per-(stream, segment) spans: those of the first reference
        stream (the spans of different references are not merged; a QE input has one)."""
        return list(per_stream[0])

    def result_details(self, plan: InputPlan, per_stream: np.ndarray, data: MetricInput) -> dict[str, Any]:
        """Family-specific entries of ``MetricResult.details``."""
        return {}

    def signature_fields(self) -> list[str]:
        """Family-specific signature fields, placed after ``refs``."""
        return []

    def configured_limit(self) -> int | None:
        """The token limit when the config sets it (MetricX), else None (read from the model):
        it wins over the one kept in the score cache by checkpoint."""
        return None

    def input_key(self, src: str, mt: str, ref: str | None) -> Key:
        """The model input of one (source, hypothesis, reference) (for split sentence pieces)."""
        return (src, mt, ref)

    def place_model(self, model: Any, device: Any) -> Any:
        """Put the loaded model on ``device``; returns the device its inputs go to."""
        model.to(device)
        return device

    def neural_info(self, *, needs_reference: bool, description: str, higher_is_better: bool = True) -> MetricInfo:
        """The :class:`MetricInfo` of a neural metric: it always reads the source, and the GPU is
        a config choice (``gpus``), not a need."""
        return MetricInfo(name=self.cfg.name, higher_is_better=higher_is_better, needs_reference=needs_reference,
                          needs_source=True, needs_gpu=False, description=description)

    # ----------------------------------------------------------------- signature

    def version(self) -> str:
        try:
            return metadata.version(self.package)
        except metadata.PackageNotFoundError:
            return "missing"

    @property
    def model_label(self) -> str:
        """The model as shown in signatures: the hub id, or a local checkpoint's model dir name."""
        return model_label(str(self.cfg.model))

    def config_key(self, name: str) -> str:
        return f"metric.{self.cfg.name}.{name}"

    def _signature(self, *, refs: int | None = None, truncated: int | None = None) -> str:
        facts = self._loaded.facts if self._loaded is not None else self._facts
        parts = [
            self.family,
            f"model:{self.model_label}",
            f"hash:{facts.checkpoint_hash[:12] if facts else 'unloaded'}",
            f"version:{self.version()}",
        ]
        if refs is not None:
            parts.append(f"refs:{refs}")
        parts += [
            *self.signature_fields(),
            f"precision:{self.precision}",
            f"bs:{int(self.cfg.batch_size)}",
            f"device:{'cuda' if int(self.cfg.gpus) else 'cpu'}",
            *([f"long:{self.long_mode}"] if self.cuts_long_inputs else []),
        ]
        if truncated is not None:
            parts.append(f"trunc:{truncated}")
        return "|".join(parts)

    def signature(self) -> str:
        """Cheap: loads nothing. The hash reads 'unloaded' until the first ``score()``;
        ``refs`` and ``trunc`` appear in each result's signature."""
        return self._signature()

    # ----------------------------------------------------------------- loading

    def _load(self) -> LoadedModel:
        started = time.perf_counter()
        offline = hub_offline()
        checkpoint = self.resolve_checkpoint(offline)  # first: fails in milliseconds, imports no torch

        import torch

        if int(self.cfg.gpus) and not torch.cuda.is_available():
            raise LoadFailure(
                f"{self.config_key('gpus')}={self.cfg.gpus} but no CUDA device is visible; "
                f"set {self.config_key('gpus')}=0 to run on the CPU"
            )
        digest = self.checkpoint_hash(checkpoint)
        model = self.load_model(checkpoint, offline)
        device = self.place_model(model, torch.device("cuda" if int(self.cfg.gpus) else "cpu"))
        model.eval()
        traits, extra = self.read_model(model)
        facts = CheckpointFacts(
            **vars(traits),
            checkpoint=checkpoint,
            checkpoint_hash=digest,
            max_positions=int(self.max_input_tokens(model)),
        )
        return LoadedModel(
            model=model, facts=facts, device=device, load_s=time.perf_counter() - started, extra=extra
        )

    def _ensure_loaded(self) -> tuple[LoadedModel | None, bool]:
        """The loaded model (or None after a failure) and whether this call loaded it."""
        with self._lock:
            if self._loaded is not None or self._failure is not None:
                return self._loaded, False
            try:
                self._loaded = self._load()
            except LoadFailure as failure:
                self._failure = str(failure)
                log.warning("%s unavailable: %s", self.cfg.name, self._failure)
                return None, True
            facts = self._loaded.facts
            if self.cache is not None:
                self.cache.put_checkpoint_facts(
                    facts.checkpoint_hash, {f: getattr(facts, f) for f in CheckpointFacts.CACHED_FIELDS}
                )
            log.info(
                "%s: loaded %s (%s, sha256 %s) in %.1fs",
                self.cfg.name,
                facts.checkpoint,
                facts.model_class,
                facts.checkpoint_hash[:12],
                self._loaded.load_s,
            )
            return self._loaded, True

    def _ensure_facts(self) -> tuple[CheckpointFacts | None, bool]:
        """The checkpoint's facts: from the loaded model, or from the score cache (model not
        loaded) when this checkpoint was loaded before; (None, True) after a load failure.
        The flag says whether this call loaded the model."""
        with self._lock:
            if self._loaded is not None:
                return self._loaded.facts, False
            if self._failure is not None:
                return None, False
            if self._facts is not None:
                return self._facts, False
            if self.cache is not None:
                known = self._cached_facts()
                if known is not None:
                    self._facts = known
                    return known, False
        loaded, now = self._ensure_loaded()
        return (loaded.facts if loaded is not None else None), now

    def _cached_facts(self) -> CheckpointFacts | None:
        try:
            checkpoint = self.resolve_checkpoint(hub_offline())
            digest = self.checkpoint_hash(checkpoint)
        except (LoadFailure, OSError):
            return None  # the load reports why
        known = self.cache.checkpoint_facts(digest) if self.cache is not None else None
        if known is None or not set(CheckpointFacts.CACHED_FIELDS) <= set(known):
            return None
        if self.configured_limit() is not None:
            known = {**known, "max_positions": self.configured_limit()}
        return CheckpointFacts(
            checkpoint=checkpoint, checkpoint_hash=digest, **{f: known[f] for f in CheckpointFacts.CACHED_FIELDS}
        )

    def close(self) -> None:
        """Release the model; a later ``score()`` loads it again. Scores stay memoised."""
        with self._lock:
            loaded, self._loaded = self._loaded, None
            self._failure = None
        if loaded is not None and loaded.device.type == "cuda":
            import torch

            del loaded
            torch.cuda.empty_cache()

    # ----------------------------------------------------------------- scoring

    def score(self, data: MetricInput, *, progress: Progress | None = None) -> MetricResult:
        """``progress`` advances by a segment once all its model inputs are scored (memo and
        score cache first, then per model batch)."""
        if not isinstance(data, MetricInput):
            raise TypeError(f"{type(self).__name__}.score expects a MetricInput, got {type(data).__name__}")
        started = time.perf_counter()
        facts, loaded_now = self._ensure_facts()
        if facts is None:
            return MetricResult.not_available(self.cfg.name, self.signature(), self._failure or "")
        plan = self.plan_inputs(data, facts)
        if isinstance(plan, Unscorable):
            return MetricResult.not_available(self.cfg.name, self._signature(refs=plan.refs), plan.reason)
        unique = list(dict.fromkeys(k for row in plan.rows for k in row))
        ticks = SegmentProgress(plan.rows, self._memo, progress or NoProgress())
        had_model = self._loaded is not None
        try:
            scored, from_cache = self._fill(facts, unique, plan.mode, ticks.scored)
            split = self._split_long(data, plan, facts)
        except ModelUnavailableError as exc:  # one input does not fit in GPU memory even alone
            return MetricResult.not_available(self.cfg.name, self.signature(), str(exc))
        except LoadFailure:  # some inputs were not cached and the model cannot load here
            return MetricResult.not_available(self.cfg.name, self.signature(), self._failure or "")
        if self._loaded is not None and not had_model:
            loaded_now = True  # the facts were cached but some inputs were not: loaded for them
        if self._loaded is not None:
            facts = self._loaded.facts
        return self._result(data, plan, facts, unique, scored, from_cache, loaded_now, started, split)

    def _result(
        self,
        data: MetricInput,
        plan: InputPlan,
        facts: CheckpointFacts,
        unique: list[Key],
        scored: int,
        from_cache: int,
        loaded_now: bool,
        started: float,
        split: _Split,
    ) -> MetricResult:
        memo = [[self._memo[k] for k in row] for row in plan.rows]
        whole_cut = np.array([[m.truncated for m in row] for row in memo], dtype=bool)
        split_rows = np.zeros_like(whole_cut)
        for (r, i), pieces in split.scores.items():  # over-long inputs scored from their pieces
            memo[r][i], split_rows[r, i] = pieces, True
        per_stream = np.array([[m.score for m in row] for row in memo], dtype=np.float64)
        truncated_rows = np.array([[m.truncated for m in row] for row in memo], dtype=bool)
        valid = np.array([[m.valid for m in row] for row in memo], dtype=bool).all(axis=0)
        with np.errstate(invalid="ignore"):
            segment = np.where(valid, self.combine(np.where(valid, per_stream, 0.0)), np.nan)
        truncated = int(truncated_rows.any(axis=0).sum())
        over_long = whole_cut.any(axis=0)
        # a segment counts as split when every over-long input of it was scored from pieces
        fully_split = int((over_long & (split_rows | ~whole_cut).all(axis=0)).sum())
        if isinstance(self, MeanOfValid):
            stats = MeanOfValid.valid_stats(segment, valid)
        elif valid.all():
            stats = segment.reshape(-1, 1)
        else:  # a subclass that may give no score must aggregate with MeanOfValid
            raise RuntimeError(f"{type(self).__name__}: {int((~valid).sum())} inputs without a score")
        spans = None
        if any(m.spans is not None for row in memo for m in row):
            spans = tuple(
                () if s is None else tuple(s)
                for s in self.combine_spans([[m.spans for m in row] for row in memo], per_stream)
            )
        details: dict[str, Any] = {
            "model_class": facts.model_class,
            "checkpoint_sha256": facts.checkpoint_hash,
            "truncated": truncated,
            "max_tokens": facts.max_positions,
            "long_segments": summary(self.long_mode, facts.max_positions, len(segment), int(over_long.sum()),
                                     fully_split, truncated, split.reasons),
            "inputs": len(unique) + split.inputs,
            "scored": scored + split.scored,
            "cached": len(unique) + split.inputs - scored - split.scored,
            "from_score_cache": from_cache + split.from_cache,
            "seconds": round(time.perf_counter() - started, 3),
            **({"unscored": int((~valid).sum())} if not valid.all() else {}),
            **self.result_details(plan, per_stream, data),
        }
        if self._oom_splits:
            details["oom_splits"] = self._oom_splits
            details["batch_size_used"] = self._batch_cap
        if loaded_now and self._loaded is not None:
            details["load_s"] = round(self._loaded.load_s, 3)
        return MetricResult(
            metric=self.cfg.name,
            score=self.aggregate(stats) if valid.any() else None,
            signature=self._signature(refs=plan.n_refs, truncated=truncated),
            segment_scores=tuple(float(s) for s in segment),
            stats=stats,
            details=details,
            segment_spans=spans,
            unavailable=None if valid.any() else f"no segment could be scored (0 of {len(valid)})",
        )

    # ----------------------------------------------------------------- long segments

    def _split_long(self, data: MetricInput, plan: InputPlan, facts: CheckpointFacts) -> _Split:
        """In split mode, the over-long inputs of ``plan`` scored from their sentence pieces
        (``(stream, segment) -> Scored``); the whole inputs are already in the memo."""
        out = _Split()
        if self.long_mode != "split":
            return out
        planned: dict[tuple[int, int], tuple[str, list[Piece]]] = {}
        for r, row in enumerate(plan.rows):
            for i, key in enumerate(row):
                if not self._memo[key].truncated:
                    continue
                if plan.texts is None:
                    out.reasons[f"{self.family} cannot split its inputs"] += 1
                    continue
                src, mt, ref = plan.texts[r][i]
                pieces = split_pieces(src, mt, ref, src_lang=data.src_lang, tgt_lang=data.tgt_lang)
                if isinstance(pieces, str):
                    out.reasons[pieces] += 1
                    continue
                planned[(r, i)] = (mt, pieces)
        keys = list(dict.fromkeys(self.input_key(p.src, p.mt, p.ref) for _, ps in planned.values() for p in ps))
        out.inputs = len(keys)
        out.scored, out.from_cache = self._fill(facts, keys, plan.mode, lambda _keys: None)
        for position, (mt, pieces) in planned.items():
            scored = [self._memo[self.input_key(p.src, p.mt, p.ref)] for p in pieces]
            out.scores[position] = _combine_pieces(mt, pieces, scored)
            if out.scores[position].truncated:
                out.reasons["a sentence piece is still over-long"] += 1
        return out

    # ----------------------------------------------------------------- internals

    def _cache_identity(self, facts: CheckpointFacts, mode: str) -> str | None:
        if self.cache is None:
            return None
        if mode not in self._cache_identities:
            self._cache_identities[mode] = self.cache.register_identity(self.cache_identity(facts, mode))
        return self._cache_identities[mode]

    def _fill(self, facts: CheckpointFacts, unique: list[Key], mode: str, on_scored: OnScored) -> tuple[int, int]:
        """Make sure every key is in the memo; returns (scored by the model, read from the cache).
        ``on_scored(keys)`` is told of the keys read from the cache, then of each model batch."""
        missing = [k for k in unique if k not in self._memo]
        if not missing:
            return 0, 0
        ident = self._cache_identity(facts, mode)
        from_cache = 0
        if ident is not None and self.cache is not None:
            cache_keys = {k: score_key(ident, k) for k in missing}
            found = self.cache.get_many(list(cache_keys.values()))
            hits = [k for k, ckey in cache_keys.items() if ckey in found]
            for key in hits:
                self._memo[key] = Scored(*found[cache_keys[key]])
            from_cache = len(hits)
            missing = [k for k in missing if k not in self._memo]
            if hits:
                on_scored(hits)
        if missing:
            loaded, _ = self._ensure_loaded()
            if loaded is None:
                raise LoadFailure(self._failure or "")
            self._run_model(loaded, missing, ident, on_scored)
        return len(missing), from_cache

    def _batches(self, loaded: LoadedModel, keys: list[Key]) -> tuple[list[list[Key]], dict[str, int]]:
        """The batches of ``keys`` in running order, and the token length of every text."""
        if not keys:
            return [], {}
        lengths = self.token_lengths(loaded, list(dict.fromkeys(t for k in keys for t in k if t is not None)))
        return list(sorted_batches(keys, lengths, self._batch_cap)), lengths

    def _autocast(self, device):
        import torch

        if self.precision == "bf16":
            return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
        if self.precision == "16":
            return torch.autocast(device_type=device.type, dtype=torch.float16)
        return contextlib.nullcontext()

    def _predict(self, loaded: LoadedModel, batch: list[Key]) -> list[Prediction]:
        import torch

        with torch.inference_mode(), self._autocast(loaded.device):
            out = list(self.predict_batch(loaded, self.encode_inputs(loaded, batch)))
        if len(out) != len(batch):
            raise RuntimeError(f"{self.family}: a batch of {len(batch)} inputs returned {len(out)} scores")
        return [p if isinstance(p, Prediction) else Prediction(float(p)) for p in out]

    def _on_split(self, half: int) -> None:
        self._oom_splits += 1
        self._batch_cap = min(self._batch_cap, half)

    def _too_long(self, key: Key, lengths: Mapping[str, int]) -> str:
        tokens = input_length(key, lengths)
        return (
            f"{self.family} ran out of GPU memory on a single input of {tokens} tokens; use "
            f"{self.config_key('precision')}=bf16 or {self.config_key('gpus')}=0"
        )

    def _run_model(self, loaded: LoadedModel, keys: list[Key], ident: str | None, on_scored: OnScored) -> None:
        from mtqe.systems.hf_common import split_on_oom

        batches, lengths = self._batches(loaded, keys)
        done = 0
        while done < len(batches):
            batch, cap = batches[done], self._batch_cap
            scores = split_on_oom(
                lambda items: self._predict(loaded, items),
                batch,
                device=loaded.device,
                on_split=self._on_split,
                single_failure=lambda key: self._too_long(key, lengths),
            )
            self._store(loaded, batch, scores, lengths, ident)
            on_scored(batch)
            done += 1
            if self._batch_cap < cap:  # ran out of memory: the rest in smaller batches
                rest = [k for b in batches[done:] for k in b]
                batches = batches[:done] + list(sorted_batches(rest, lengths, self._batch_cap))

    def _store(
        self,
        loaded: LoadedModel,
        batch: list[Key],
        predictions: list[Prediction],
        lengths: Mapping[str, int],
        ident: str | None,
    ) -> None:
        rows = []
        for key, p in zip(batch, predictions):
            flag = self.is_truncated(loaded, key, lengths)
            score = float(p.score) if p.valid else float("nan")
            self._memo[key] = Scored(score, flag, p.spans, p.valid, p.extra)
            if ident is not None:
                rows.append((score_key(ident, key), score, flag, p.spans, p.valid, p.extra))
        if ident is not None and self.cache is not None:
            self.cache.put_many(ident, rows)
        if any(p.valid and not math.isfinite(p.score) for p in predictions):
            log.warning("%s: non-finite scores in a batch (precision %s)", self.cfg.name, self.precision)
