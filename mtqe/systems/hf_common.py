"""What the translators built on Hugging Face checkpoints share (``hf_seq2seq``,
``hf_causal``, ``gguf``, ``ctranslate2``).

* :class:`LazyTranslator` / :class:`TorchTranslator`: the model loads on first use, once,
  timed into ``load_seconds``; ``loaded``, ``tokenizer``, ``model`` and ``close()``;
* :func:`split_on_oom`: a batch that runs out of CUDA memory is run as two halves;
* :func:`stats_facts`: a translator's counters as JSON-ready ``describe()`` facts;
* :func:`package_version`, :func:`dtype_kwarg`, :func:`stated_length_limit`.

Nothing here imports torch or transformers at module level: building a system and computing
its cache identity must stay cheap (a fully cached re-run loads no model).
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict
from functools import cache
from importlib.metadata import version
from typing import TYPE_CHECKING, Any, TypeVar

from mtqe.errors import ModelUnavailableError
from mtqe.systems.base import Translator

if TYPE_CHECKING:
    import torch

T = TypeVar("T")
R = TypeVar("R")

# transformers' "no limit" sentinel for tokenizer.model_max_length is int(1e30).
NO_LIMIT = 1_000_000


@cache
def package_version(name: str) -> str:
    """The installed version of ``name`` (``transformers`` → ``4.57.6``) without importing it.

    The same string as the package's ``__version__`` for torch and transformers (cache
    identities contain it; ``tests/systems/test_lazy_imports.py`` checks the equality).
    """
    return version(name)


def dtype_kwarg() -> str:
    """from_pretrained's dtype keyword: ``dtype`` since transformers 4.56, ``torch_dtype`` before."""
    from packaging.version import Version

    return "dtype" if Version(package_version("transformers")) >= Version("4.56") else "torch_dtype"


def stated_length_limit(tokenizer: Any, model_config: Any) -> int | None:
    """The longest sequence a checkpoint takes: the tighter of the tokenizer's
    ``model_max_length`` and the model's ``max_position_embeddings``; None when neither states
    one (T5 uses relative positions and its tokenizer may not say)."""
    limits = []
    if isinstance(tokenizer.model_max_length, int) and 0 < tokenizer.model_max_length < NO_LIMIT:
        limits.append(tokenizer.model_max_length)
    positions = getattr(model_config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return min(limits) if limits else None


def stats_facts(stats: Any) -> dict[str, Any]:
    """A translator's ``_Stats`` dataclass as ``describe()`` facts: ``*_seconds`` rounded to
    milliseconds, sets as sorted lists, counters as dicts sorted by key (field order kept)."""
    facts = asdict(stats)
    for key, value in facts.items():
        if key.endswith("_seconds") and isinstance(value, float):
            facts[key] = round(value, 3)
        elif isinstance(value, (set, frozenset)):
            facts[key] = sorted(value)
        elif isinstance(value, Counter):
            facts[key] = dict(sorted(value.items()))
    return facts


def tokens_per_second(tokens: int, seconds: float) -> float | None:
    return round(tokens / seconds, 2) if seconds else None


def empty_cuda_cache(device: torch.device) -> None:
    """Give freed CUDA memory back (after a model is dropped or a batch ran out of memory)."""
    if device.type == "cuda":
        import torch

        torch.cuda.empty_cache()


def split_on_oom(
    run: Callable[[list[T]], list[R]],
    items: Sequence[T],
    *,
    device: torch.device,
    on_split: Callable[[int], None],
    single_failure: Callable[[T], str],
) -> list[R]:
    """``run(items)``; on CUDA out-of-memory, the two halves instead (recursively).

    ``on_split(half)`` is called before each retry (to count it and lower the batch cap); a
    single item that does not fit raises :class:`ModelUnavailableError` with
    ``single_failure(item)`` as its message.
    """
    import torch

    batch = list(items)
    try:
        return run(batch)
    except torch.OutOfMemoryError as exc:
        if len(batch) == 1:
            raise ModelUnavailableError(single_failure(batch[0])) from exc
    # Retry outside the except block so the failed attempt's tensors can be freed.
    empty_cuda_cache(device)
    half = (len(batch) + 1) // 2
    on_split(half)
    first = split_on_oom(run, batch[:half], device=device, on_split=on_split, single_failure=single_failure)
    return first + split_on_oom(run, batch[half:], device=device, on_split=on_split, single_failure=single_failure)


class LazyTranslator(Translator):
    """A translator whose model loads on first use and stays until :meth:`close`.

    Subclasses set ``self._loaded = None`` and ``self._stats`` (with a ``load_seconds``
    field) in ``__init__`` and implement :meth:`_load_model`.
    """

    _loaded: Any
    _stats: Any

    @abstractmethod
    def _load_model(self) -> Any:
        """Load the model; returns the loaded state (kept in ``self._loaded``)."""

    def _load(self) -> Any:
        if self._loaded is None:
            started = time.perf_counter()
            self._loaded = self._load_model()
            self._stats.load_seconds += time.perf_counter() - started
        return self._loaded

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def loaded_state(self) -> Any:
        """The loaded state (model, tokenizer, device, stop ids, ...), loading it on first call:
        for a component that drives the same model with prompts of its own (the LLM judge)."""
        return self._load()

    @property
    def tokenizer(self) -> Any:
        """The tokenizer (loads the model on first access)."""
        return self._load().tokenizer


class TorchTranslator(LazyTranslator):
    """A :class:`LazyTranslator` whose loaded state holds a torch ``model`` on a ``device``."""

    cfg: Any  # a TorchSystemConfig (model, device, dtype, ...)

    @property
    def model(self) -> Any:
        """The transformers model (loads it on first access)."""
        return self._load().model

    def preflight(self, src_lang: str, tgt_lang: str) -> list[str]:
        from mtqe.systems.devices import placement_names

        self.check_model_ref()
        # A GPU that is not there, float16 on a CPU; torch is imported only where identity() would.
        placement_names(self.cfg.device, self.cfg.dtype)
        return []

    def check_model_ref(self) -> None:
        """A ``model`` written as a local path must exist (a hub id is looked up when loading)."""
        from mtqe.systems.hf_loading import resolve_model_ref

        resolve_model_ref(self.cfg.model)

    @property
    def generate_calls(self) -> int:
        """How many times ``model.generate`` ran (tests use it to see cache hits)."""
        return int(self._stats.generate_calls)

    def close(self) -> None:
        if self._loaded is None:
            return
        device = self._loaded.device
        self._loaded = None  # drop the model before asking CUDA for its memory back
        empty_cuda_cache(device)
