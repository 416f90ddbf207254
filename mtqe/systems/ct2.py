"""Marian (OPUS-MT), NLLB-200 and M2M-100 run by CTranslate2 (``type: ctranslate2``).

The Hugging Face checkpoint is converted once into the mtqe cache (see
:mod:`mtqe.systems.ct2_convert`) and run by ``ctranslate2.Translator``; tokenization stays with
the model's own Hugging Face tokenizer, so inputs are exactly the ids the ``hf_seq2seq`` backend
feeds the same model. CTranslate2 takes tokens as strings, so ids go through
``convert_ids_to_tokens`` on the way in and ``convert_tokens_to_ids`` + ``decode`` on the way out.

Languages, following CTranslate2's conventions for these families (codes from
:mod:`mtqe.systems.langcodes`):

* ``nllb``: source ``[jpn_Jpan, ..., </s>]`` (the tokenizer with ``src_lang`` set), and
  ``target_prefix=[["zho_Hans"]]``;
* ``m2m100``: source ``[__ja__, ..., </s>]``, ``target_prefix=[["__zh__"]]``;
* ``marian``: a multi-target model gets its ``>>xxx<<`` token prefixed to the source text;
  a single-pair model needs nothing.

The converted models keep no ``add_source_bos/eos`` behaviour of their own: the tokenizer adds
``</s>`` (and the language code) exactly as for transformers. Outputs start with the target
prefix, which is removed before decoding.

CPU threading (``threads``, ``parallel_batches``; 0 = auto): by default each core runs a batch
of its own with one thread (CTranslate2's ``inter_threads``), and a ``translate`` call gets one
batch per worker (:meth:`Ct2Translator.inputs_per_call`). On 2 cores that was 4x faster than
two threads on one batch of 8 (docs/benchmarks.md).

Lazy like the other translators: construction and :meth:`Ct2Translator.identity` read no
weights and convert nothing; the first :meth:`~Ct2Translator.translate` loads the tokenizer,
converts (or finds the converted copy) and loads the CTranslate2 model.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtqe.errors import ConfigError, ModelUnavailableError, UnknownLanguageError
from mtqe.systems.batching import length_sorted_batches
from mtqe.systems.configs import COMPUTE_TYPES, Ct2Config
from mtqe.systems.configs import CT2_FAMILIES as FAMILIES
from mtqe.systems.hf_common import (
    LazyTranslator,
    package_version,
    stated_length_limit,
    stats_facts,
)
from mtqe.systems.langcodes import (
    lang_token,
    marian_language_tokens,
    marian_target_token,
)

# config.model_type each family runs on (NLLB-200 reuses the M2M-100 architecture).
_MODEL_TYPES: Mapping[str, str] = {"marian": "marian", "nllb": "m2m_100", "m2m100": "m2m_100"}
# What ``compute_type: auto`` means: int8 weights everywhere (the measured CPU win, see
# docs/benchmarks.md), with float16 activations on a GPU.
AUTO_COMPUTE_TYPE: Mapping[str, str] = {"cpu": "int8", "cuda": "int8_float16"}
# Keyword arguments of translate_batch that callers may add (benchmarks force fixed lengths).
EXTRA_OPTIONS: frozenset[str] = frozenset({"min_decoding_length", "length_penalty", "repetition_penalty"})


# ``parallel_batches: 0`` on the CPU: one batch per core, one thread each, at most this many.
# Measured on 2 cores (docs/benchmarks.md): greedy int8, batches of 8, 2 batches x 1 thread
# ran 4x faster than 1 batch x 2 threads (the threads of one small batch mostly wait on each other).
MAX_AUTO_PARALLEL_BATCHES = 8


@dataclass(frozen=True)
class Threads:
    """CTranslate2's CPU threading: ``per_batch`` = intra_threads, ``batches`` = inter_threads."""

    per_batch: int
    batches: int


def resolve_threads(device: str, threads: int, parallel_batches: int, cores: int | None = None) -> Threads:
    """The threading for the config values (0 = auto) on ``device`` with ``cores`` usable cores."""
    if threads < 0 or parallel_batches < 0:
        raise ConfigError(f"threads and parallel_batches must be >= 0 (got {threads}, {parallel_batches})")
    if device != "cpu":  # one GPU: batches run one after the other unless asked otherwise
        return Threads(per_batch=threads, batches=parallel_batches or 1)
    cores = cores or usable_cores()
    if parallel_batches and threads:
        return Threads(per_batch=threads, batches=parallel_batches)
    if parallel_batches:
        return Threads(per_batch=max(1, cores // parallel_batches), batches=parallel_batches)
    if threads:
        return Threads(per_batch=threads, batches=max(1, cores // threads))
    batches = max(1, min(cores, MAX_AUTO_PARALLEL_BATCHES))
    return Threads(per_batch=max(1, cores // batches), batches=batches)


def usable_cores() -> int:
    """Cores this process may run on (a SLURM job's allocation, not the whole node)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Placement:
    """Where CTranslate2 runs: ``device`` is ``cpu`` or ``cuda``."""

    device: str
    device_index: int
    compute_type: str


def resolve_placement(device_spec: str, compute_type_spec: str) -> Placement:
    """Device and compute type from the config strings, checked against this machine.

    Asks ctranslate2 only (no torch import, no model): cheap enough for ``identity()``. A GPU
    that is not there or a compute type the device cannot run is a :class:`ConfigError`,
    never a silent fallback that would change speed, outputs and the cache identity.
    """
    import ctranslate2

    device, index = _device(device_spec, ctranslate2.get_cuda_device_count())
    text = str(compute_type_spec).strip().lower()
    if text not in COMPUTE_TYPES:
        raise ConfigError(f"unknown compute_type {compute_type_spec!r}: use one of {', '.join(COMPUTE_TYPES)}")
    compute_type = AUTO_COMPUTE_TYPE[device] if text == "auto" else text
    supported = ctranslate2.get_supported_compute_types(device, index)
    if compute_type not in supported:
        raise ConfigError(
            f"compute_type {compute_type!r} is not supported on {device} by ctranslate2 "
            f"{ctranslate2.__version__} on this machine; supported: {', '.join(sorted(supported))}"
        )
    return Placement(device=device, device_index=index, compute_type=compute_type)


def _device(spec: str, cuda_count: int) -> tuple[str, int]:
    text = str(spec).strip().lower()
    if text == "auto":
        return ("cuda", 0) if cuda_count > 0 else ("cpu", 0)
    if text == "cpu":
        return "cpu", 0
    if text == "cuda" or text.startswith("cuda:"):
        index_text = text.partition(":")[2] or "0"
        if not index_text.isdigit():
            raise ConfigError(f"bad device {spec!r}: write cuda or cuda:N with N a GPU index (cuda:0)")
        index = int(index_text)
        if index >= cuda_count:
            raise ConfigError(
                f"device {spec!r} was requested but ctranslate2 sees {cuda_count} CUDA GPU(s) here; "
                "set `device: auto` or `device: cpu` in the system config"
            )
        return "cuda", index
    raise ConfigError(f"unknown device {spec!r}: use auto, cpu, cuda or cuda:N")


@dataclass(frozen=True)
class _LangPlan:
    """How one language pair is expressed: source text prefix, tokenizer src_lang, target prefix."""

    text_prefix: str = ""
    src_lang: str | None = None
    target_prefix: tuple[str, ...] = ()


@dataclass
class _Loaded:
    translator: Any  # ctranslate2.Translator
    tokenizer: Any
    family: str
    placement: Placement
    converted_dir: Path
    max_input_tokens: int | None
    threads: Threads
    # transformers forces </s> as the last of max_new_tokens when the checkpoint sets
    # forced_eos_token_id (OPUS-MT does); ctranslate2 has no such rule, so one token less is
    # decoded and a length-capped output decodes to the same text as with hf_seq2seq.
    forced_eos: bool = False
    marian_targets: tuple[str, ...] = ()
    # Language-code ids removed before decoding: M2M100Tokenizer (transformers 4.57) may not
    # register __xx__ as special tokens, so skip_special_tokens would keep them.
    drop_ids: frozenset[int] = frozenset()


@dataclass
class _Stats:
    load_seconds: float = 0.0  # tokenizer + conversion (if any) + model load
    convert_seconds: float = 0.0
    conversion: str = ""  # "converted" (this run) or "cached"
    batches: int = 0
    translate_seconds: float = 0.0
    segments: int = 0
    tokens_generated: int = 0
    truncated_inputs: int = 0


class Ct2Translator(LazyTranslator):
    """A CTranslate2-converted seq2seq MT model behind the :class:`Translator` interface.

    ``cache_dir``: where converted models are kept (default ``<mtqe cache>/ct2``).
    ``extra_options``: more ``translate_batch`` keywords (one of :data:`EXTRA_OPTIONS`; they
    become part of the identity), e.g. ``min_decoding_length`` for fixed-length benchmarks.
    """

    def __init__(
        self,
        *,
        cfg: Ct2Config,
        cache_dir: Path | None = None,
        extra_options: Mapping[str, Any] | None = None,
    ) -> None:
        unknown = set(extra_options or {}) - EXTRA_OPTIONS
        if unknown:
            raise ConfigError(f"unsupported extra_options {sorted(unknown)}: allowed are {sorted(EXTRA_OPTIONS)}")
        self.cfg = cfg
        self._cache_dir = cache_dir
        self._extra = dict(extra_options or {})
        self._loaded: _Loaded | None = None
        self._identity: dict[str, Any] | None = None
        self._stats = _Stats()

    # -- identity and reporting ------------------------------------------------------------

    def preflight(self, src_lang: str, tgt_lang: str) -> list[str]:
        from mtqe.systems.hf_loading import resolve_model_ref

        resolve_model_ref(self.cfg.model)  # a local path must exist
        try:
            resolve_placement(self.cfg.device, self.cfg.compute_type)  # the GPU and compute type exist here
        except ImportError as exc:
            raise ModelUnavailableError(f"system {self.cfg.name!r} needs ctranslate2: pip install ctranslate2 ({exc})")
        return []

    def identity(self) -> dict[str, Any]:
        """Model files, family, decoding settings, device kind and compute type, versions.

        Computed once (reads file digests or the HF cache's refs, asks ctranslate2 about the
        device); never converts or loads.
        """
        if self._identity is None:
            from mtqe.systems.hf_loading import model_fingerprint

            placement = resolve_placement(self.cfg.device, self.cfg.compute_type)
            self._identity = {
                "backend": "ctranslate2",
                **model_fingerprint(self.cfg.model, revision=self.cfg.revision),
                "family": self.cfg.family,
                "beam_size": self.cfg.beam_size,
                "max_decoding_length": self.cfg.max_decoding_length,
                # int8 GEMMs differ between CPU and GPU kernels: outputs may differ slightly.
                "device": placement.device,
                "compute_type": placement.compute_type,
                "ctranslate2": package_version("ctranslate2"),
                "transformers": package_version("transformers"),  # the tokenizer
                **({"options": dict(sorted(self._extra.items()))} if self._extra else {}),
            }
        return dict(self._identity)

    @property
    def family(self) -> str:
        return self._load().family

    @property
    def converted_dir(self) -> Path:
        """The converted model directory (converts on first access)."""
        return self._load().converted_dir

    def load(self) -> None:
        """Convert (if needed) and load now rather than on the first translate()."""
        self._load()

    def cache_root(self) -> Path:
        from mtqe.cache_paths import default_cache_dir

        return Path(self._cache_dir) if self._cache_dir is not None else default_cache_dir() / "ct2"

    @property
    def tokens_generated(self) -> int:
        return self._stats.tokens_generated

    def describe(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"backend": "ctranslate2", "model": self.cfg.model, "loaded": self.loaded}
        facts.update(stats_facts(self._stats))
        if self._loaded is not None:
            placement = self._loaded.placement
            facts.update(
                family=self._loaded.family,
                device=placement.device if placement.device == "cpu" else f"cuda:{placement.device_index}",
                compute_type=placement.compute_type,
                threads_per_batch=self._loaded.threads.per_batch,
                parallel_batches=self._loaded.threads.batches,
                converted_dir=str(self._loaded.converted_dir),
                max_input_tokens=self._loaded.max_input_tokens,
                ctranslate2=package_version("ctranslate2"),
            )
        return facts

    def close(self) -> None:
        # Dropping the reference frees the model (and its GPU memory) in ctranslate2.
        self._loaded = None

    # -- translation -----------------------------------------------------------------------

    def translate(self, texts: Sequence[str], *, src_lang: str, tgt_lang: str) -> list[str]:
        """Translate ``texts``, batched by length under the config's budget, in input order."""
        items = list(texts)
        if not items:
            return []
        loaded = self._load()
        plan = self._plan(loaded, src_lang, tgt_lang)
        sources = self._source_tokens(loaded, items, plan)
        batches = length_sorted_batches(
            [len(tokens) for tokens in sources],
            max_size=self.cfg.batching.batch_size,
            max_tokens=self.cfg.batching.max_batch_tokens,
        )
        hypotheses = self._run_many(loaded, [[sources[i] for i in batch.indices] for batch in batches], plan)
        outputs = [""] * len(items)
        for batch, batch_hypotheses in zip(batches, hypotheses):
            for i, text in zip(batch.indices, self._decode(loaded, batch_hypotheses, plan)):
                outputs[i] = text
        return outputs

    def inputs_per_call(self, batch_size: int) -> int:
        # Enough inputs for every parallel worker to get a batch.
        placement = resolve_placement(self.cfg.device, self.cfg.compute_type)
        return batch_size * resolve_threads(placement.device, self.cfg.threads, self.cfg.parallel_batches).batches

    def translate_tokens(self, texts: Sequence[str], *, src_lang: str, tgt_lang: str) -> list[list[str]]:
        """Best hypothesis per text as CTranslate2 returns it (target prefix included), one batch.

        For NLLB and M2M-100 the first token is the target-language code.
        """
        items = list(texts)
        if not items:
            return []
        loaded = self._load()
        plan = self._plan(loaded, src_lang, tgt_lang)
        return self._run(loaded, self._source_tokens(loaded, items, plan), plan)

    def source_tokens(self, texts: Sequence[str], *, src_lang: str, tgt_lang: str) -> list[list[str]]:
        """The source tokens CTranslate2 receives for ``texts`` (for checks and debugging)."""
        loaded = self._load()
        return self._source_tokens(loaded, list(texts), self._plan(loaded, src_lang, tgt_lang))

    # -- loading ---------------------------------------------------------------------------

    def _load_model(self) -> _Loaded:
        import ctranslate2
        from transformers import AutoConfig, AutoTokenizer

        from mtqe.systems.ct2_convert import ensure_converted
        from mtqe.systems.hf_loading import load_pretrained, model_fingerprint
        from mtqe.systems.hf_seq2seq import language_ids

        placement = resolve_placement(self.cfg.device, self.cfg.compute_type)
        ref, revision = self.cfg.model, self.cfg.revision
        model_config = load_pretrained(AutoConfig, ref, revision=revision)
        tokenizer = load_pretrained(AutoTokenizer, ref, revision=revision)
        family = self._family(model_config.model_type, tokenizer)
        # After the config load, so a hub id's cached commit is known (exact conversion key).
        converted = ensure_converted(
            model_ref=ref,
            revision=revision,
            fingerprint=model_fingerprint(ref, revision=revision),
            quantization=placement.compute_type,
            cache_root=self.cache_root(),
        )
        threads = resolve_threads(placement.device, self.cfg.threads, self.cfg.parallel_batches)
        try:
            translator = ctranslate2.Translator(
                str(converted.path),
                device=placement.device,
                device_index=placement.device_index,
                compute_type=placement.compute_type,
                intra_threads=threads.per_batch,
                inter_threads=threads.batches,
            )
        except (RuntimeError, ValueError) as exc:
            raise ModelUnavailableError(
                f"ctranslate2 cannot load the converted model {converted.path} ({exc}); if it is "
                "damaged, delete that directory and it will be converted again on the next run"
            ) from exc
        self._stats.conversion = "converted" if converted.converted_now else "cached"
        self._stats.convert_seconds += converted.seconds
        return _Loaded(
            translator=translator,
            tokenizer=tokenizer,
            family=family,
            placement=placement,
            converted_dir=converted.path,
            max_input_tokens=stated_length_limit(tokenizer, model_config),
            threads=threads,
            forced_eos=getattr(model_config, "forced_eos_token_id", None) is not None,
            marian_targets=marian_language_tokens(tokenizer.get_vocab()) if family == "marian" else (),
            drop_ids=language_ids(tokenizer) if family == "m2m100" else frozenset(),
        )

    def _family(self, model_type: str, tokenizer: Any) -> str:
        from mtqe.systems.hf_seq2seq import detect_family

        family = detect_family(model_type, tokenizer) if self.cfg.family == "auto" else self.cfg.family
        if family not in FAMILIES:
            raise ConfigError(
                f"{self.cfg.model!r} is a {family} model, which the ctranslate2 backend does not run; "
                "use `type: hf_seq2seq` for it"
            )
        if _MODEL_TYPES[family] != model_type:
            raise ConfigError(
                f"family {family!r} needs a {_MODEL_TYPES[family]!r} model but {self.cfg.model!r} is "
                f"{model_type!r}; set `family: auto` or fix `model:`"
            )
        return family

    # -- languages -------------------------------------------------------------------------

    def _plan(self, loaded: _Loaded, src_lang: str, tgt_lang: str) -> _LangPlan:
        """Prefixes for a pair; unknown languages fail here, before any translation."""
        if loaded.family == "marian":
            if not loaded.marian_targets:  # single-pair model: the checkpoint fixes the pair
                return _LangPlan()
            return _LangPlan(text_prefix=f"{marian_target_token(tgt_lang, loaded.marian_targets)} ")
        from mtqe.systems.langcodes import model_code

        self._check_token(loaded, lang_token(loaded.family, src_lang), src_lang)
        target = lang_token(loaded.family, tgt_lang)
        self._check_token(loaded, target, tgt_lang)
        return _LangPlan(src_lang=model_code(loaded.family, src_lang), target_prefix=(target,))

    def _check_token(self, loaded: _Loaded, token: str, lang: str) -> None:
        token_id = loaded.tokenizer.convert_tokens_to_ids(token)
        if token_id is None or token_id == loaded.tokenizer.unk_token_id:
            raise UnknownLanguageError(
                f"{self.cfg.model!r} has no vocabulary entry {token!r} for language {lang!r}; "
                "this checkpoint does not support it"
            )

    # -- running ---------------------------------------------------------------------------

    def _source_tokens(self, loaded: _Loaded, texts: list[str], plan: _LangPlan) -> list[list[str]]:
        """Token strings per text, truncated to the model's maximum (counted in describe())."""
        tokenizer = loaded.tokenizer
        if plan.src_lang is not None:
            tokenizer.src_lang = plan.src_lang  # also sets the language-code prefix token
        inputs = [plan.text_prefix + text for text in texts]
        rows: list[list[int]] = tokenizer(inputs, verbose=False)["input_ids"]
        limit = loaded.max_input_tokens
        long_rows = [i for i, row in enumerate(rows) if limit is not None and len(row) > limit]
        if long_rows:
            # Re-encode only those, letting the tokenizer keep </s> and the language code.
            cut = tokenizer([inputs[i] for i in long_rows], truncation=True, max_length=limit, verbose=False)
            for i, row in zip(long_rows, cut["input_ids"]):
                rows[i] = row
            self._stats.truncated_inputs += len(long_rows)
        return [tokenizer.convert_ids_to_tokens(row) for row in rows]

    def _run(self, loaded: _Loaded, sources: list[list[str]], plan: _LangPlan) -> list[list[str]]:
        return self._run_many(loaded, [sources], plan)[0]

    def _run_many(self, loaded: _Loaded, batches: list[list[list[str]]], plan: _LangPlan) -> list[list[list[str]]]:
        """Best hypothesis per source, batch by batch. With several CPU workers the batches are
        queued at once (asynchronous) and each worker takes one; a batch's result does not
        depend on which worker ran it or what ran beside it."""
        max_length = self.cfg.max_decoding_length - (1 if loaded.forced_eos else 0)
        parallel = loaded.threads.batches > 1 and len(batches) > 1
        started = time.perf_counter()
        submitted = [
            loaded.translator.translate_batch(
                sources,
                target_prefix=[list(plan.target_prefix) for _ in sources] if plan.target_prefix else None,
                beam_size=self.cfg.beam_size,
                max_decoding_length=max(1, max_length),
                max_input_length=0,  # inputs are truncated above, where it is counted
                asynchronous=parallel,
                **self._options(max_length),
            )
            for sources in batches
        ]
        results = [[r.result() for r in batch] if parallel else batch for batch in submitted]
        self._stats.translate_seconds += time.perf_counter() - started
        self._stats.batches += len(batches)
        hypotheses = [[result.hypotheses[0] for result in batch] for batch in results]
        self._stats.segments += sum(len(batch) for batch in hypotheses)
        self._stats.tokens_generated += sum(len(h) - len(plan.target_prefix) for batch in hypotheses for h in batch)
        return hypotheses

    def _options(self, max_length: int) -> dict[str, Any]:
        options = dict(self._extra)
        if "min_decoding_length" in options:  # ctranslate2 rejects min > max
            options["min_decoding_length"] = min(int(options["min_decoding_length"]), max(1, max_length))
        return options

    def _decode(self, loaded: _Loaded, hypotheses: list[list[str]], plan: _LangPlan) -> list[str]:
        """Hypothesis tokens (target prefix removed) → text, as transformers decodes the same ids."""
        tokenizer = loaded.tokenizer
        skip = len(plan.target_prefix)
        rows = []
        for tokens in hypotheses:
            ids = tokenizer.convert_tokens_to_ids(tokens[skip:])
            rows.append([i for i in ids if i not in loaded.drop_ids])
        return [text.strip() for text in tokenizer.batch_decode(rows, skip_special_tokens=True)]

