"""Hugging Face encoder-decoder MT models: Marian (OPUS-MT), NLLB-200, M2M-100, MADLAD-400.

The translator is lazy: constructing it and asking for its :meth:`identity` reads no weights;
the model loads on the first :meth:`translate`. Each family selects languages its own way:

* ``marian``: a single-pair model needs nothing; a multi-target one gets a ``>>xxx<<`` target
  token prefixed to the source (the spelling is taken from the model's vocabulary);
* ``nllb``: ``tokenizer.src_lang = "jpn_Jpan"`` and the decoder is forced to start with the
  target code (``forced_bos_token_id``);
* ``m2m100``: ``tokenizer.src_lang = "ja"`` and ``forced_bos_token_id = get_lang_id("zh")``;
* ``madlad``: a ``<2zh> `` prefix on the source; the source language is not given.

``family: auto`` is detected from ``config.model_type`` and the tokenizer (see
:func:`detect_family`). Inputs longer than the model's maximum are truncated by the tokenizer
(generate would fail otherwise) and counted in ``describe()["truncated_inputs"]``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from mtqe.errors import ConfigError, ModelUnavailableError, UnknownLanguageError
from mtqe.systems.batching import run_batched
from mtqe.systems.configs import HFSeq2SeqConfig
from mtqe.systems.hf_common import (
    TorchTranslator,
    dtype_kwarg,
    package_version,
    split_on_oom,
    stated_length_limit,
    stats_facts,
)
from mtqe.systems.hf_loading import load_pretrained, model_fingerprint
from mtqe.systems.langcodes import (
    FAMILIES,
    lang_token,
    marian_language_tokens,
    marian_target_token,
    model_code,
)

if TYPE_CHECKING:
    import torch

# config.model_type each family runs on (NLLB-200 reuses the M2M-100 architecture).
MODEL_TYPES: dict[str, str] = {"marian": "marian", "nllb": "m2m_100", "m2m100": "m2m_100", "madlad": "t5"}


def detect_family(model_type: str, tokenizer: Any) -> str:
    """The family of a loaded checkpoint, from ``config.model_type`` and its tokenizer.

    ``marian`` → marian; ``m2m_100`` → nllb when the tokenizer is an NLLB tokenizer, else
    m2m100; ``t5`` → madlad only when the vocabulary has ``<2xx>`` target tokens (a plain T5 or
    mT5 is not a translation model mtqe knows how to steer).
    """
    if model_type == "marian":
        return "marian"
    if model_type == "m2m_100":
        return "nllb" if type(tokenizer).__name__.startswith("Nllb") else "m2m100"
    if model_type == "t5":
        if _token_id(tokenizer, "<2en>") is not None:
            return "madlad"
        raise ConfigError(
            "this T5 checkpoint has no <2xx> target-language tokens, so it is not a MADLAD-400 "
            "translation model; use a MADLAD-400 checkpoint or set `family:` explicitly"
        )
    raise ConfigError(
        f"unsupported model_type {model_type!r} for hf_seq2seq: supported are "
        f"{', '.join(sorted(set(MODEL_TYPES.values())))} (families {', '.join(FAMILIES)})"
    )


def _token_id(tokenizer: Any, token: str) -> int | None:
    """Id of ``token`` if it is one vocabulary entry, else None (not the unknown id)."""
    token_id = tokenizer.convert_tokens_to_ids(token)
    if token_id is None or token_id == tokenizer.unk_token_id:
        return None
    return int(token_id)


@dataclass(frozen=True)
class _LangPlan:
    """How one language pair is expressed to the tokenizer and to generate()."""

    prefix: str = ""  # prepended to every source text
    src_lang: str | None = None  # value for tokenizer.src_lang
    forced_bos_token_id: int | None = None


@dataclass
class _Loaded:
    model: Any
    tokenizer: Any
    family: str
    device: torch.device
    dtype: torch.dtype
    max_input_tokens: int | None
    # Ids removed from outputs before decoding. M2M100Tokenizer in transformers 4.57 does not
    # register its __xx__ codes as special tokens unless the checkpoint lists them (its default
    # check is a chained `not in` that never fires), so skip_special_tokens would keep them.
    drop_ids: frozenset[int] = frozenset()
    # The >>xxx<< target tokens of a multi-target Marian model (empty: single pair or other family).
    marian_targets: tuple[str, ...] = ()


@dataclass
class _Stats:
    load_seconds: float = 0.0
    generate_calls: int = 0
    generate_seconds: float = 0.0
    tokens_generated: int = 0
    segments: int = 0
    truncated_inputs: int = 0
    oom_retries: int = 0


class HFSeq2SeqTranslator(TorchTranslator):
    """A Hugging Face seq2seq MT model behind the :class:`Translator` interface."""

    def __init__(self, *, cfg: HFSeq2SeqConfig) -> None:
        self.cfg = cfg
        self._loaded: _Loaded | None = None
        self._identity: dict[str, Any] | None = None
        self._stats = _Stats()
        # Lowered after a CUDA OOM so later translate() calls start with batches that fit.
        self._batch_cap = cfg.batching.batch_size

    # -- identity and reporting ------------------------------------------------------------

    def identity(self) -> dict[str, Any]:
        """Model files (hub commit or local digest), family, decoding and numeric settings.

        Computed once and kept, so it is the same before and after loading.
        """
        if self._identity is None:
            from mtqe.systems.devices import placement_names

            _, dtype = placement_names(self.cfg.device, self.cfg.dtype)
            self._identity = {
                "backend": "hf_seq2seq",
                **model_fingerprint(self.cfg.model, revision=self.cfg.revision),
                "family": self.cfg.family,
                "num_beams": self.cfg.num_beams,
                "max_new_tokens": self.cfg.max_new_tokens,
                "dtype": dtype,
                "transformers": package_version("transformers"),
            }
        return dict(self._identity)

    @property
    def family(self) -> str:
        """The resolved family (loads the model on first access when ``family: auto``)."""
        return self._load().family

    @property
    def tokens_generated(self) -> int:
        return self._stats.tokens_generated

    def describe(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"backend": "hf_seq2seq", "model": self.cfg.model, "loaded": self.loaded}
        facts.update(stats_facts(self._stats))
        facts["batch_size_cap"] = self._batch_cap
        if self._loaded is not None:
            from mtqe.systems.devices import dtype_name

            facts.update(
                family=self._loaded.family,
                device=str(self._loaded.device),
                dtype=dtype_name(self._loaded.dtype),
                max_input_tokens=self._loaded.max_input_tokens,
                tokenizer=type(self._loaded.tokenizer).__name__,
            )
        return facts

    # -- translation -----------------------------------------------------------------------

    def translate(self, texts: Sequence[str], *, src_lang: str, tgt_lang: str) -> list[str]:
        """Translate ``texts``, batched by length under the config's budget, in input order."""
        items = list(texts)
        if not items:
            return []
        loaded = self._load()
        plan = self._plan(loaded, src_lang, tgt_lang)
        lengths = self._input_lengths(loaded, items, plan)
        return run_batched(
            items,
            lengths,
            lambda batch: self._decode(loaded, self._generate(loaded, batch, plan)),
            max_size=self._batch_cap,
            max_tokens=self.cfg.batching.max_batch_tokens,
        )

    def translate_ids(self, texts: Sequence[str], *, src_lang: str, tgt_lang: str) -> list[list[int]]:
        """Raw generated ids for ``texts`` run as one batch (OOM still halves it).

        Each row starts with the decoder start token; for NLLB and M2M-100 the next id is the
        forced target-language token. Rows are right-padded with the pad id.
        """
        items = list(texts)
        if not items:
            return []
        loaded = self._load()
        plan = self._plan(loaded, src_lang, tgt_lang)
        self._input_lengths(loaded, items, plan)  # counts truncations, as translate() does
        return self._generate(loaded, items, plan)

    def encode(self, texts: Sequence[str], *, src_lang: str, tgt_lang: str) -> list[list[int]]:
        """The input ids the model sees for ``texts``: language prefix or codes applied,
        truncated to the model's maximum, without padding (for checks and debugging)."""
        if not texts:
            return []
        loaded = self._load()
        plan = self._plan(loaded, src_lang, tgt_lang)
        batch = self._encode(loaded, list(texts), plan)
        return [
            [int(i) for i, keep in zip(row, mask) if keep]
            for row, mask in zip(batch["input_ids"].tolist(), batch["attention_mask"].tolist())
        ]

    # -- loading ---------------------------------------------------------------------------

    def _load_model(self) -> _Loaded:
        from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer

        from mtqe.systems.devices import resolve_device, resolve_dtype

        ref, revision = self.cfg.model, self.cfg.revision
        model_config = load_pretrained(AutoConfig, ref, revision=revision)
        tokenizer = self._load_tokenizer(AutoTokenizer, model_config.model_type)
        family = self._family(model_config.model_type, tokenizer)
        device = resolve_device(self.cfg.device)
        dtype = resolve_dtype(self.cfg.dtype, device)
        model = load_pretrained(AutoModelForSeq2SeqLM, ref, revision=revision, **{dtype_kwarg(): dtype})
        model.to(device).eval()
        return _Loaded(
            model=model,
            tokenizer=tokenizer,
            family=family,
            device=device,
            dtype=dtype,
            max_input_tokens=stated_length_limit(tokenizer, model_config),
            drop_ids=language_ids(tokenizer) if family == "m2m100" else frozenset(),
            marian_targets=marian_language_tokens(tokenizer.get_vocab()) if family == "marian" else (),
        )

    def _load_tokenizer(self, auto_tokenizer: Any, model_type: str) -> Any:
        """The checkpoint's tokenizer; for T5/MADLAD the SentencePiece (slow) one when possible.

        MADLAD was trained on plain SentencePiece output. When ``<2xx>`` are ordinary spm pieces,
        the slow T5Tokenizer encodes ``"<2zh> text"`` as spm does (``▁ <2zh> ▁text``) while the
        fast one converted from it drops the lone ``▁`` (transformers 4.57), so prefer slow.
        """
        ref, revision = self.cfg.model, self.cfg.revision
        if model_type == "t5":
            try:
                return load_pretrained(auto_tokenizer, ref, revision=revision, use_fast=False)
            except (ModelUnavailableError, TypeError, ValueError):
                pass  # no spiece.model (tokenizer.json only): the fast tokenizer is all there is
        return load_pretrained(auto_tokenizer, ref, revision=revision)

    def _family(self, model_type: str, tokenizer: Any) -> str:
        if self.cfg.family == "auto":
            return detect_family(model_type, tokenizer)
        expected = MODEL_TYPES[self.cfg.family]
        if model_type != expected:
            raise ConfigError(
                f"family {self.cfg.family!r} needs a {expected!r} model but {self.cfg.model!r} is "
                f"{model_type!r}; set `family: auto` or fix `model:`"
            )
        if self.cfg.family == "m2m100" and not hasattr(tokenizer, "get_lang_id"):
            raise ConfigError(
                f"family 'm2m100' needs an M2M100Tokenizer but {self.cfg.model!r} has "
                f"{type(tokenizer).__name__}; set `family: auto` (an NLLB tokenizer means family nllb)"
            )
        return self.cfg.family

    # -- languages -------------------------------------------------------------------------

    def _plan(self, loaded: _Loaded, src_lang: str, tgt_lang: str) -> _LangPlan:
        """The prefix / src_lang / forced BOS for a pair; unknown languages fail here, before
        any generate() call."""
        family = loaded.family
        if family == "marian":
            if not loaded.marian_targets:  # single-pair model: the checkpoint fixes the pair
                return _LangPlan()
            return _LangPlan(prefix=f"{marian_target_token(tgt_lang, loaded.marian_targets)} ")
        if family == "madlad":  # source-agnostic: only the target is named
            self._vocab_token_id(loaded, family, tgt_lang)
            return _LangPlan(prefix=f"{lang_token(family, tgt_lang)} ")
        self._vocab_token_id(loaded, family, src_lang)
        return _LangPlan(
            src_lang=model_code(family, src_lang),
            forced_bos_token_id=self._vocab_token_id(loaded, family, tgt_lang),
        )

    def _vocab_token_id(self, loaded: _Loaded, family: str, lang: str) -> int:
        """The id of ``lang``'s token; the table may list a language this checkpoint lacks."""
        token = lang_token(family, lang)
        token_id = _token_id(loaded.tokenizer, token)
        if token_id is None:
            raise UnknownLanguageError(
                f"{self.cfg.model!r} has no vocabulary entry {token!r} for language {lang!r}; "
                "this checkpoint does not support it"
            )
        return token_id

    # -- generation ------------------------------------------------------------------------

    def _input_lengths(self, loaded: _Loaded, texts: list[str], plan: _LangPlan) -> list[int]:
        """Source lengths in tokens (capped at the model maximum), counting over-long inputs."""
        tokenizer = loaded.tokenizer
        if plan.src_lang is not None:
            tokenizer.src_lang = plan.src_lang
        ids = tokenizer([plan.prefix + text for text in texts], verbose=False)["input_ids"]
        lengths = [len(row) for row in ids]
        limit = loaded.max_input_tokens
        if limit is None:
            return lengths
        self._stats.truncated_inputs += sum(1 for n in lengths if n > limit)
        return [min(n, limit) for n in lengths]

    def _encode(self, loaded: _Loaded, texts: list[str], plan: _LangPlan) -> Any:
        tokenizer = loaded.tokenizer
        if plan.src_lang is not None:
            tokenizer.src_lang = plan.src_lang  # also sets the source prefix/suffix tokens
        limit = loaded.max_input_tokens
        batch = tokenizer(
            [plan.prefix + text for text in texts],
            return_tensors="pt",
            padding=True,
            truncation=limit is not None,
            max_length=limit,
            verbose=False,
        )
        return batch.to(loaded.device)

    def _generate(self, loaded: _Loaded, texts: list[str], plan: _LangPlan) -> list[list[int]]:
        """generate() on one batch; on CUDA out-of-memory, run it as two halves instead."""
        rows = split_on_oom(
            lambda batch: self._generate_once(loaded, batch, plan),
            texts,
            device=loaded.device,
            on_split=self._lower_batch_cap,
            single_failure=lambda _: (
                f"out of memory on {loaded.device} translating a single segment with "
                f"{self.cfg.model!r}; lower num_beams/max_new_tokens, use a smaller dtype, or run on CPU"
            ),
        )
        width = max(len(row) for row in rows)  # halves may differ in length
        pad = loaded.tokenizer.pad_token_id
        return [row + [pad] * (width - len(row)) for row in rows]

    def _lower_batch_cap(self, half: int) -> None:
        """After a CUDA OOM: later batches start at most ``half`` long."""
        self._stats.oom_retries += 1
        self._batch_cap = max(1, min(self._batch_cap, half))

    def _generate_once(self, loaded: _Loaded, texts: list[str], plan: _LangPlan) -> list[list[int]]:
        import torch

        batch = self._encode(loaded, texts, plan)
        kwargs: dict[str, Any] = {"num_beams": self.cfg.num_beams, "max_new_tokens": self.cfg.max_new_tokens}
        if plan.forced_bos_token_id is not None:
            kwargs["forced_bos_token_id"] = plan.forced_bos_token_id
        started = time.perf_counter()
        with torch.inference_mode():
            output = loaded.model.generate(**batch, **kwargs)
        self._stats.generate_seconds += time.perf_counter() - started
        self._stats.generate_calls += 1
        self._stats.segments += len(texts)
        rows: list[list[int]] = output.tolist()
        self._stats.tokens_generated += sum(_generated_count(row, loaded.tokenizer.pad_token_id) for row in rows)
        return rows

    def _decode(self, loaded: _Loaded, rows: list[list[int]]) -> list[str]:
        if loaded.drop_ids:
            rows = [[i for i in row if i not in loaded.drop_ids] for row in rows]
        texts = loaded.tokenizer.batch_decode(rows, skip_special_tokens=True)
        return [text.strip() for text in texts]


def _generated_count(row: list[int], pad_id: int | None) -> int:
    """Tokens the decoder produced in one output row: after the start token, before padding."""
    body = row[1:]
    while body and pad_id is not None and body[-1] == pad_id:
        body.pop()
    return len(body)


def language_ids(tokenizer: Any) -> frozenset[int]:
    """All ``__xx__`` language-code ids of an M2M100Tokenizer."""
    return frozenset(int(i) for i in getattr(tokenizer, "lang_token_to_id", {}).values())
