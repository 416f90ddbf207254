"""Turning the ``device`` and ``dtype`` strings of a system config into torch objects.

Both functions only ask torch what the machine has (``torch.cuda.is_available()`` and
friends, which are cheap); they never allocate on a device, so a translator may call them in
``identity()``.

Decisions (measurements in docs/benchmarks.md, ``benchmarks/gemma_cpu.py``):

* ``dtype: auto`` is bfloat16 on a GPU that supports it (else float16) and float32 on a CPU.
  bfloat16 is faster on a CPU with AVX512-BF16 but its greedy outputs depend on the batch a
  sentence lands in, which a translation cache keyed by sentence cannot tolerate; float32
  outputs were identical at every batch size. Ask for ``bfloat16`` explicitly for speed.
* ``dtype: float16`` on a CPU is refused with a :class:`~mtqe.errors.ConfigError` instead of
  being swapped for another dtype: torch runs fp16 matmuls on most CPUs through slow
  fallbacks (several times slower than float32), and quietly running float32 instead would
  change the outputs and the cache identity behind the user's back.
"""

from __future__ import annotations

import importlib.metadata
from typing import TYPE_CHECKING

from mtqe.errors import ConfigError

if TYPE_CHECKING:  # torch is imported when a device is resolved, not when this module is
    import torch

DEVICE_CHOICES: tuple[str, ...] = ("auto", "cpu", "cuda", "cuda:N")
DTYPE_CHOICES: tuple[str, ...] = ("float32", "bfloat16", "float16")
# Spellings people write in configs for the same dtypes.
_DTYPE_ALIASES: dict[str, str] = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "half": "float16"}


def resolve_device(spec: str) -> torch.device:
    """``auto`` → the first CUDA GPU if torch sees one, else the CPU; ``cpu``; ``cuda``; ``cuda:N``.

    Asking for a GPU that is not there is a :class:`ConfigError` (a config that cannot run on
    this machine), never a silent fallback to the CPU: the run would be many times slower
    and its numbers would not be the ones the user asked for.
    """
    import torch

    text = str(spec).strip().lower()
    if text == "auto":
        return torch.device("cuda:0") if torch.cuda.is_available() else torch.device("cpu")
    if text == "cpu":
        return torch.device("cpu")
    if text == "cuda" or text.startswith("cuda:"):
        return _cuda_device(text, spec)
    raise ConfigError(f"unknown device {spec!r}: use one of {', '.join(DEVICE_CHOICES)}")


def _cuda_device(text: str, spec: str) -> torch.device:
    import torch

    index_text = text.partition(":")[2] or "0"
    if not index_text.isdigit():
        raise ConfigError(f"bad device {spec!r}: write cuda or cuda:N with N a GPU index (cuda:0)")
    if not torch.cuda.is_available():
        built = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
        raise ConfigError(
            f"device {spec!r} was requested but torch sees no CUDA GPU here (torch {torch.__version__}, "
            f"{built}); set `device: auto` or `device: cpu` in the system config"
        )
    index, count = int(index_text), torch.cuda.device_count()
    if index >= count:
        raise ConfigError(
            f"device {spec!r} does not exist: this machine has {count} CUDA GPU(s) (cuda:0..cuda:{count - 1})"
        )
    return torch.device("cuda", index)


def resolve_dtype(spec: str, device: torch.device) -> torch.dtype:
    """The torch dtype for ``spec`` (``auto``, ``float32``, ``bfloat16``, ``float16``) on ``device``."""
    import torch

    return getattr(torch, _dtype_name_on(spec, device.type, device))


def _dtype_name_on(spec: str, device_type: str, device: torch.device | None) -> str:
    """The dtype name ``spec`` means on a device of ``device_type`` (torch needed for CUDA auto only)."""
    text = str(spec).strip().lower()
    text = _DTYPE_ALIASES.get(text, text)
    if text == "auto":
        if device_type == "cuda" and device is not None:
            return dtype_name(_auto_dtype(device))
        return "float32"  # batch-invariant outputs on the CPU (see the module doc)
    if text not in DTYPE_CHOICES:
        raise ConfigError(f"unknown dtype {spec!r}: use auto or one of {', '.join(DTYPE_CHOICES)}")
    if text == "float16" and device_type == "cpu":
        raise ConfigError(
            "dtype float16 on the CPU is refused: most CPUs run fp16 matmuls through slow "
            "fallbacks (several times slower than float32). Use `dtype: bfloat16` (fast on CPUs "
            "with AVX512-BF16/AMX) or `dtype: float32`, or run on a GPU (`device: cuda`)"
        )
    return text


def placement_names(device_spec: str, dtype_spec: str) -> tuple[str, str]:
    """(device type, dtype name) that the specs resolve to, without importing torch where possible.

    The same as ``resolve_device`` + ``resolve_dtype``, for cache identities: a re-run whose
    translations are all cached should not pay for importing torch just to learn that the
    dtype is float32. The CPU is certain when the config says ``cpu``, or says ``auto`` and the
    installed torch is a CPU-only build (its version carries the ``+cpu`` local tag and cannot
    drive a GPU); otherwise torch is asked.
    """
    text = str(device_spec).strip().lower()
    if text == "cpu" or (text == "auto" and cpu_only_torch()):
        return "cpu", _dtype_name_on(dtype_spec, "cpu", None)
    device = resolve_device(device_spec)
    return device.type, _dtype_name_on(dtype_spec, device.type, device)


def cpu_only_torch() -> bool:
    """Whether the installed torch is a CPU-only wheel, read from its package metadata."""
    try:
        return importlib.metadata.version("torch").endswith("+cpu")
    except importlib.metadata.PackageNotFoundError:
        return False


def _auto_dtype(device: torch.device) -> torch.dtype:
    import torch

    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32  # batch-invariant outputs on the CPU (see the module doc)


def dtype_name(dtype: torch.dtype) -> str:
    """``torch.bfloat16`` → ``bfloat16`` (for run.json and cache identities)."""
    return str(dtype).removeprefix("torch.")
