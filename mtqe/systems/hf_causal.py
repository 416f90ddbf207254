"""Instruction-tuned (chat) causal LMs from Hugging Face as MT systems (``type: hf_causal``).

The translator is lazy: constructing it and :meth:`HFCausalTranslator.identity` read no
weights and no tokenizer; :meth:`~HFCausalTranslator.prompt` loads only the tokenizer; the
model loads on the first :meth:`~HFCausalTranslator.translate`.

How a segment is translated:

* the chat (:class:`mtqe.systems.prompting.ChatPrompt`) is built from the config's templates
  (``{src_name}``/``{tgt_name}`` are English language names,
  :func:`mtqe.systems.prompting.language_name`; ``{text}`` the source)::

      system:    <system_prompt>                 (left out when system_prompt is "")
      user:      <user_prompt, example 1 source>  } one pair of turns per few-shot
      assistant: <example 1 target>              } example of the language pair
      ...
      user:      <user_prompt, the source>

  and rendered with ``tokenizer.apply_chat_template(..., add_generation_prompt=True)``, then
  tokenised without adding special tokens (the template has them). A model without a chat
  template is a :class:`ConfigError` (a base model: prompt it few-shot with ``type: gguf``, or
  give one in ``chat_template:``);
* greedy decoding by default (``temperature: 0``); ``temperature > 0`` samples with
  ``top_p`` under a fixed ``seed``. The model's own ``generation_config.json`` defaults
  (Qwen2.5 ships sampling and a repetition penalty) are *not* applied: the config states
  every decoding parameter, and they are all in the cache identity;
* generation stops at the tokenizer's and the generation config's EOS ids and at the chat
  template's end-of-turn token (found by rendering a probe conversation, e.g. ``<|im_end|>``,
  ``<|eot_id|>``, ``<end_of_turn>``), and at any of ``stop_strings`` (cut from the text);
* the answer is cleaned (:func:`mtqe.systems.prompting.clean_chat_output`: extra paragraphs
  after a blank line, a leading ``Chinese:`` label, surrounding quotes; see ``cleaning:``) and
  the rules applied are counted in ``describe()["cleaning"]``;
* generation (padding, budget, stop ids) is :mod:`mtqe.systems.causal_generation`, shared with
  the ``gguf`` translator; batches are length-sorted and left-padded under ``batching.batch_size`` /
  ``batching.max_batch_tokens`` (prompt tokens x batch size), outputs in input order; a CUDA
  out-of-memory error halves the batch;
* prompts are never truncated: one that fills the context gets an empty output (counted in
  ``too_long_inputs``); one whose prompt + ``max_new_tokens`` overflows gets a smaller budget
  (``clipped_generation_budget``). Blank inputs give blank outputs without a model call.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mtqe.errors import ConfigError
from mtqe.systems.batching import run_batched
from mtqe.systems.causal_generation import (
    MAX_NEW_TOKENS,
    STOP_TOKEN,
    GenerationStats,
    cut_at_stop_strings,
    end_row,
    generate_rows,
)
from mtqe.systems.configs import HFCausalConfig, pair_key
from mtqe.systems.hf_common import (
    TorchTranslator,
    dtype_kwarg,
    package_version,
    split_on_oom,
    stated_length_limit,
    stats_facts,
    tokens_per_second,
)
from mtqe.systems.hf_loading import load_pretrained, model_fingerprint
from mtqe.systems.prompting import (
    ChatPrompt,
    check_template,
    clean_chat_output,
    few_shot_table,
    format_template,
    language_name,
    split_pair,
)

if TYPE_CHECKING:
    import torch

# Bump when the message layout, the stop rule or the output cleaning code changes: each
# changes outputs, and this number is part of the cache identity.
FORMAT_VERSION = 1

# A row that a config's stop string ended (hf_causal's own reason, next to causal_generation's).
_STOP_STRING = "stop_string"

# Assistant content of the probe conversation that finds the end-of-turn token.
_PROBE = "MTQE_END_OF_TURN_PROBE"


def _template_errors() -> tuple[type[BaseException], ...]:
    """What a broken or unsuitable chat template raises (Jinja errors, transformers' ValueError)."""
    from jinja2 import TemplateError

    return (TemplateError, ValueError, TypeError)


# -- prompt ----------------------------------------------------------------------------------


def end_of_turn_token(tokenizer: Any) -> str | None:
    """The special token the chat template closes an assistant turn with (``<|im_end|>``,
    ``<|eot_id|>``, ``<end_of_turn>``, ``</s>``), or None if it closes turns with ordinary text.

    Found by rendering ``user, assistant=<probe>`` and reading the first token after the probe.
    """
    probe = [{"role": "user", "content": "Hello."}, {"role": "assistant", "content": _PROBE}]
    try:
        rendered = tokenizer.apply_chat_template(probe, tokenize=False)
    except _template_errors():
        return None  # the real prompt will raise with a clear message
    position = rendered.rfind(_PROBE)
    if position < 0:
        return None
    tail = rendered[position + len(_PROBE) :]
    ids = tokenizer(tail, add_special_tokens=False)["input_ids"] if tail.strip() else []
    if not ids:
        return None
    added = getattr(tokenizer, "added_tokens_decoder", {})
    special = ids[0] in set(tokenizer.all_special_ids) or (ids[0] in added and added[ids[0]].special)
    return str(tokenizer.convert_ids_to_tokens(ids[0])) if special else None


def _as_ids(value: Any) -> list[int]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [int(v) for v in value]
    return [int(value)]


# -- loaded state ----------------------------------------------------------------------------


@dataclass
class _Loaded:
    model: Any
    tokenizer: Any
    device: torch.device
    dtype: torch.dtype
    context_length: int | None
    stop_ids: frozenset[int]
    pad_id: int
    end_of_turn: str | None


@dataclass
class _Stats(GenerationStats):
    stopped_by_stop_string: int = 0
    oom_retries: int = 0
    cleaning: Counter[str] = field(default_factory=Counter)
    few_shot_pairs: set[str] = field(default_factory=set)
    zero_shot_pairs: set[str] = field(default_factory=set)


class HFCausalTranslator(TorchTranslator):
    """A Hugging Face chat LM prompted through its chat template (see the module doc)."""

    def __init__(self, *, cfg: HFCausalConfig) -> None:
        _check_config(cfg)
        self.cfg = cfg
        self._names = {str(k): str(v) for k, v in dict(cfg.language_names or {}).items()}
        self._few_shot = few_shot_table(cfg.few_shot)
        for pair in [*cfg.pairs, *self._few_shot]:  # unknown languages now, not mid-run
            split_pair(str(pair), self._names)
        stray = sorted(set(self._few_shot) - set(cfg.pairs)) if cfg.pairs else []
        if stray:
            raise ConfigError(
                f"few_shot has examples for {', '.join(stray)}, which `pairs` does not list "
                f"({', '.join(cfg.pairs)}); fix the pair key or add it to `pairs`"
            )
        self._identity: dict[str, Any] | None = None
        self._tokenizer: Any = None
        self._loaded: _Loaded | None = None
        self._stats = _Stats()
        # Lowered after a CUDA OOM so later translate() calls start with batches that fit.
        self._batch_cap = cfg.batching.batch_size

    # -- identity and reporting ------------------------------------------------------------

    def identity(self) -> dict[str, Any]:
        """Model files, prompts, few-shot examples, decoding, cleaning, dtype, versions.

        Computed once and kept (the same before and after loading); reads no weights.
        """
        if self._identity is None:
            from mtqe.systems.devices import placement_names

            cfg = self.cfg
            _, dtype = placement_names(cfg.device, cfg.dtype)
            self._identity = {
                "backend": "hf_causal",
                **model_fingerprint(cfg.model, revision=cfg.revision),
                "format": FORMAT_VERSION,
                "system_prompt": cfg.system_prompt,
                "user_prompt": cfg.user_prompt,
                "few_shot": {pair: [list(ex) for ex in examples] for pair, examples in sorted(self._few_shot.items())},
                "language_names": dict(sorted(self._names.items())),
                "chat_template": cfg.chat_template,  # None: the model's own (its files are fingerprinted)
                "decoding": self._decoding_identity(),
                "cleaning": {
                    "cut_at_blank_line": cfg.cleaning.cut_at_blank_line,
                    "strip_labels": list(cfg.cleaning.strip_labels),
                    "strip_quotes": cfg.cleaning.strip_quotes,
                },
                "dtype": dtype,
                "transformers": package_version("transformers"),
            }
        return json.loads(json.dumps(self._identity))  # a deep copy: callers may not alter ours

    def _decoding_identity(self) -> dict[str, Any]:
        cfg = self.cfg
        decoding: dict[str, Any] = {
            "strategy": "sample" if self._sampling else "greedy",
            "max_new_tokens": cfg.max_new_tokens,
            "repetition_penalty": cfg.repetition_penalty,
            "stop": "eos+end_of_turn",
            "stop_strings": list(cfg.stop_strings),
        }
        if self._sampling:
            decoding.update(temperature=cfg.temperature, top_p=cfg.top_p, seed=cfg.seed)
        return decoding

    @property
    def _sampling(self) -> bool:
        return self.cfg.temperature > 0

    @property
    def tokenizer(self) -> Any:
        """The tokenizer with the chat template in use (loads the tokenizer only)."""
        return self._load_tokenizer()

    @property
    def tokens_generated(self) -> int:
        return self._stats.tokens_generated

    def describe(self) -> dict[str, Any]:
        stats = stats_facts(self._stats)
        stats["tokens_per_second"] = tokens_per_second(self._stats.tokens_generated, self._stats.generate_seconds)
        facts: dict[str, Any] = {"backend": "hf_causal", "model": self.cfg.model, "loaded": self.loaded, **stats}
        facts["batch_size_cap"] = self._batch_cap
        facts["max_batch_tokens"] = self.cfg.batching.max_batch_tokens
        if self._loaded is not None:
            from mtqe.systems.devices import dtype_name

            tokenizer = self._loaded.tokenizer
            facts.update(
                device=str(self._loaded.device),
                dtype=dtype_name(self._loaded.dtype),
                context_length=self._loaded.context_length,
                end_of_turn=self._loaded.end_of_turn,
                stop_tokens=sorted(str(t) for t in tokenizer.convert_ids_to_tokens(sorted(self._loaded.stop_ids))),
                chat_template_source="config" if self.cfg.chat_template else "model",
                tokenizer=type(tokenizer).__name__,
            )
        return facts

    # -- prompts ---------------------------------------------------------------------------

    def chat_prompt(self, *, src_lang: str, tgt_lang: str) -> ChatPrompt:
        """The chat for a pair (unknown languages raise here, before anything loads)."""
        src_name, tgt_name = language_name(src_lang, self._names), language_name(tgt_lang, self._names)
        system = self.cfg.system_prompt
        return ChatPrompt(
            system=format_template(system, what="system_prompt", src_name=src_name, tgt_name=tgt_name) or None,
            user_template=self.cfg.user_prompt,
            src_name=src_name,
            tgt_name=tgt_name,
            examples=self._few_shot.get(pair_key(src_lang, tgt_lang), ()),
        )

    def messages(self, text: str, *, src_lang: str, tgt_lang: str) -> list[dict[str, str]]:
        """The chat messages for ``text`` (no tokenizer needed)."""
        return self.chat_prompt(src_lang=src_lang, tgt_lang=tgt_lang).messages(text)

    def prompt(self, text: str, *, src_lang: str, tgt_lang: str) -> str:
        """The exact text the model sees for ``text`` (loads the tokenizer, not the weights)."""
        chat = self.chat_prompt(src_lang=src_lang, tgt_lang=tgt_lang)
        return self._render(self._load_tokenizer(), chat, text)

    def _render(self, tokenizer: Any, chat: ChatPrompt, text: str) -> str:
        try:
            return str(tokenizer.apply_chat_template(chat.messages(text), tokenize=False, add_generation_prompt=True))
        except _template_errors() as exc:
            raise ConfigError(
                f"the chat template of {self.cfg.model!r} cannot render the translation chat: {exc}. "
                "If it rejects the system turn, set `system_prompt: ''` and put the instructions in "
                "`user_prompt`; or give a template in `chat_template:`"
            ) from exc

    # -- translation -----------------------------------------------------------------------

    def translate(self, texts: Sequence[str], *, src_lang: str, tgt_lang: str) -> list[str]:
        """Translations of ``texts``, batched by prompt length, in input order."""
        items = list(texts)
        if not items:
            return []
        chat = self.chat_prompt(src_lang=src_lang, tgt_lang=tgt_lang)
        loaded = self._load()
        (self._stats.zero_shot_pairs if chat.zero_shot else self._stats.few_shot_pairs).add(pair_key(src_lang, tgt_lang))
        todo = list(dict.fromkeys(text for text in items if text.strip()))  # blank input: blank output
        encoded = {text: self.encode(loaded, chat, text) for text in todo}
        limit = loaded.context_length
        fits = [text for text in todo if limit is None or len(encoded[text]) < limit]
        fitting = set(fits)
        self._stats.too_long_inputs += sum(1 for text in items if text in encoded and text not in fitting)
        outputs = run_batched(
            fits,
            [len(encoded[text]) for text in fits],
            lambda batch: self._translate_batch(loaded, chat, batch, [encoded[text] for text in batch]),
            max_size=self._batch_cap,
            max_tokens=self.cfg.batching.max_batch_tokens,
        )
        translated = dict(zip(fits, outputs))
        return [translated.get(text, "") for text in items]

    def encode(self, loaded: _Loaded, chat: ChatPrompt, text: str) -> list[int]:
        prompt = self._render(loaded.tokenizer, chat, text)
        return list(loaded.tokenizer(prompt, add_special_tokens=False)["input_ids"])

    def _translate_batch(self, loaded: _Loaded, chat: ChatPrompt, sources: list[str], rows: list[list[int]]) -> list[str]:
        generated = self._generate(loaded, rows)
        return [self._finish(loaded, chat, source, row) for source, row in zip(sources, generated)]

    def _generate(self, loaded: _Loaded, rows: list[list[int]]) -> list[list[int]]:
        """Generated ids (prompt removed) of one batch; on CUDA OOM, two halves instead."""
        return split_on_oom(
            lambda batch: self._generate_once(loaded, batch),
            rows,
            device=loaded.device,
            on_split=self._lower_batch_cap,
            single_failure=lambda row: (
                f"out of memory on {loaded.device} translating a single segment with {self.cfg.model!r} "
                f"({len(row)} prompt tokens); lower max_new_tokens, use a smaller dtype or model"
            ),
        )

    def _lower_batch_cap(self, half: int) -> None:
        """After a CUDA OOM: later batches start at most ``half`` long."""
        self._stats.oom_retries += 1
        self._batch_cap = max(1, min(self._batch_cap, half))

    def _generate_once(self, loaded: _Loaded, rows: list[list[int]]) -> list[list[int]]:
        extra: dict[str, Any] = {"tokenizer": loaded.tokenizer} if self.cfg.stop_strings else {}
        return generate_rows(
            loaded.model,
            rows,
            device=loaded.device,
            pad_id=loaded.pad_id,
            max_new_tokens=self.cfg.max_new_tokens,
            context_length=loaded.context_length,
            stats=self._stats,
            settings=lambda budget: {
                "generation_config": self._generation_config(loaded, budget),
                "use_model_defaults": False,
                **extra,
            },
            context=self._rng(),
        )

    def _generation_config(self, loaded: _Loaded, budget: int) -> Any:
        """Every decoding parameter stated here; nothing inherited from the checkpoint."""
        from transformers import GenerationConfig

        cfg = self.cfg
        values: dict[str, Any] = {
            "max_new_tokens": budget,
            "num_beams": 1,
            "do_sample": self._sampling,
            "repetition_penalty": cfg.repetition_penalty,
            "eos_token_id": sorted(loaded.stop_ids) or None,
            "pad_token_id": loaded.pad_id,
        }
        if self._sampling:
            values.update(temperature=cfg.temperature, top_p=cfg.top_p, top_k=None)
        if cfg.stop_strings:
            values["stop_strings"] = list(cfg.stop_strings)
        return GenerationConfig(**values)

    def _rng(self) -> contextlib.AbstractContextManager[Any]:
        """Sampling runs under the config's seed without touching the caller's RNG state."""
        if not self._sampling:
            return contextlib.nullcontext()
        devices = [self._loaded.device.index or 0] if self._loaded is not None and self._loaded.device.type == "cuda" else []

        @contextlib.contextmanager
        def seeded() -> Any:
            import torch

            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(self.cfg.seed)
                yield

        return seeded()

    def _finish(self, loaded: _Loaded, chat: ChatPrompt, source: str, generated: list[int]) -> str:
        kept, reason = end_row(generated, stop_ids=loaded.stop_ids, pad_id=loaded.pad_id, loop_rule=None, stats=self._stats)
        text = loaded.tokenizer.decode(kept, skip_special_tokens=True)
        if self.cfg.stop_strings:
            text, hit = cut_at_stop_strings(text, self.cfg.stop_strings)
            reason = _STOP_STRING if hit and reason != STOP_TOKEN else reason
        self._stats.stopped_by_stop_string += int(reason == _STOP_STRING)
        self._stats.hit_max_new_tokens += int(reason == MAX_NEW_TOKENS)
        cleaning = self.cfg.cleaning
        cleaned = clean_chat_output(
            text,
            source=source,
            tgt_name=chat.tgt_name,
            cut_at_blank_line=cleaning.cut_at_blank_line,
            labels=list(cleaning.strip_labels),
            quotes=cleaning.strip_quotes,
        )
        self._stats.cleaning.update(cleaned.applied)
        return cleaned.text

    # -- loading ---------------------------------------------------------------------------

    def _load_tokenizer(self) -> Any:
        """The tokenizer, with the config's chat template if it has one; no template is an error."""
        if self._tokenizer is not None:
            return self._tokenizer
        from transformers import AutoTokenizer

        tokenizer = load_pretrained(AutoTokenizer, self.cfg.model, revision=self.cfg.revision)
        if self.cfg.chat_template:
            tokenizer.chat_template = self.cfg.chat_template
        if not getattr(tokenizer, "chat_template", None):
            raise ConfigError(
                f"{self.cfg.model!r} has no chat template, so it is probably a base (not instruction-tuned) "
                "model; `type: hf_causal` prompts chat models through their template. Use the model's "
                "instruct/chat checkpoint, prompt a base model few-shot with `type: gguf` (a GGUF file, "
                "line-based few-shot prompt), or supply a Jinja template in `chat_template:`"
            )
        self._tokenizer = tokenizer
        return tokenizer

    def _load_model(self) -> _Loaded:
        from transformers import AutoModelForCausalLM

        from mtqe.systems.devices import resolve_device, resolve_dtype

        tokenizer = self._load_tokenizer()  # the template check comes before gigabytes of weights
        device = resolve_device(self.cfg.device)
        dtype = resolve_dtype(self.cfg.dtype, device)
        model = load_pretrained(
            AutoModelForCausalLM, self.cfg.model, revision=self.cfg.revision, **{dtype_kwarg(): dtype}
        )
        model.to(device).eval()
        end_of_turn = end_of_turn_token(tokenizer)
        stops = {*_as_ids(tokenizer.eos_token_id), *_as_ids(getattr(model.generation_config, "eos_token_id", None))}
        if end_of_turn is not None:
            stops.add(int(tokenizer.convert_tokens_to_ids(end_of_turn)))
        if not stops and not self.cfg.stop_strings:
            raise ConfigError(
                f"{self.cfg.model!r} states no end-of-sequence token and its chat template ends turns with "
                "no special token, so generation would only stop at max_new_tokens; list the text that "
                "ends a turn in `stop_strings:`"
            )
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(stops, default=0)
        return _Loaded(
            model=model,
            tokenizer=tokenizer,
            device=device,
            dtype=dtype,
            context_length=stated_length_limit(tokenizer, model.config),  # prompt + output
            stop_ids=frozenset(stops),
            pad_id=int(pad_id),
            end_of_turn=end_of_turn,
        )


def _check_config(cfg: HFCausalConfig) -> None:
    """Values and templates that can be checked without loading anything."""
    if cfg.max_new_tokens < 1:
        raise ConfigError(f"max_new_tokens must be >= 1 (got {cfg.max_new_tokens})")
    if cfg.batching.batch_size < 1 or cfg.batching.max_batch_tokens < 1:
        raise ConfigError(
            "batching.batch_size and batching.max_batch_tokens must be >= 1 "
            f"(got {cfg.batching.batch_size}, {cfg.batching.max_batch_tokens})"
        )
    if cfg.temperature < 0:
        raise ConfigError(f"temperature must be >= 0 (0 = greedy; got {cfg.temperature})")
    if not 0 < cfg.top_p <= 1:
        raise ConfigError(f"top_p must be in (0, 1] (got {cfg.top_p})")
    if cfg.repetition_penalty <= 0:
        raise ConfigError(f"repetition_penalty must be > 0 (1.0 = off; got {cfg.repetition_penalty})")
    if any(not isinstance(s, str) or not s for s in cfg.stop_strings):
        raise ConfigError(f"stop_strings must be non-empty strings (got {list(cfg.stop_strings)!r})")
    check_template(cfg.system_prompt, what="system_prompt", allowed=("src_name", "tgt_name"))
    check_template(cfg.user_prompt, what="user_prompt", allowed=("src_name", "tgt_name", "text"), required=("text",))
    for label in cfg.cleaning.strip_labels:
        check_template(label, what="cleaning.strip_labels entry", allowed=("tgt_name",))
