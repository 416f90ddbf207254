"""GGUF → transformers model, and the cache of converted copies.

transformers dequantises a GGUF file's tensors into a torch model; most of that time goes into
re-parsing the GGUF vocabulary, so the converted model (and, on transformers < 5, the rebuilt
Gemma tokenizer, :mod:`mtqe.systems.gemma_tokenizer`) is saved once under the mtqe cache::

    <cache>/gguf-converted/<sha256[:24]>-<dtype>-tf<transformers version>-v<n>/

and later loads read that copy. The directory is keyed by the GGUF file's sha256, so it never
serves another file; outputs are the same either way (the saved weights are the converted ones,
bit for bit). A copy is written next to its final place and renamed in, marker file last, so a
concurrent run sees either no copy or a complete one. Load times and sizes are in
docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtqe.errors import ModelUnavailableError
from mtqe.systems.hf_common import dtype_kwarg, package_version

if TYPE_CHECKING:
    import torch

# Bump when the layout of the converted-model cache directory changes.
CONVERTED_FORMAT_VERSION = 2
MARKER = "mtqe-converted.json"
# How the converted copy stores its tokenizer (recorded in the marker file).
_REBUILT, _PRETRAINED = "gemma-rebuilt", "pretrained"


def converted_dir(root: Path, sha256: str, dtype: str) -> Path:
    """Where the converted copy of a GGUF file (for this dtype and transformers) lives."""
    name = f"{sha256[:24]}-{dtype}-tf{package_version('transformers')}-v{CONVERTED_FORMAT_VERSION}"
    return Path(root) / "gguf-converted" / name


def has_converted(directory: Path) -> bool:
    return (directory / MARKER).is_file()


def convert(path: Path, dtype: torch.dtype) -> tuple[Any, Any, str]:
    """(model, tokenizer, tokenizer kind) loaded from the GGUF file, dequantising."""
    from mtqe.systems.gemma_tokenizer import load_gguf_tokenizer, needs_rebuilt_tokenizer, read_gguf_metadata

    metadata = read_gguf_metadata(path)
    tokenizer = load_gguf_tokenizer(path, metadata)
    kind = _REBUILT if needs_rebuilt_tokenizer(metadata) else _PRETRAINED
    return _model_from_gguf(path, dtype), tokenizer, kind


def _model_from_gguf(path: Path, dtype: torch.dtype) -> Any:
    from transformers import AutoModelForCausalLM

    try:
        return AutoModelForCausalLM.from_pretrained(
            str(path.parent), gguf_file=path.name, local_files_only=True, **{dtype_kwarg(): dtype}
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailableError(f"transformers cannot load the GGUF model {path}: {exc}") from exc


def load_converted(directory: Path, dtype: torch.dtype) -> tuple[Any, Any]:
    """(model, tokenizer) from a converted copy; a broken copy says to delete it."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mtqe.systems.gemma_tokenizer import load_rebuilt_tokenizer

    try:
        kind = json.loads((directory / MARKER).read_text(encoding="utf-8")).get("tokenizer_kind")
        if kind not in (_REBUILT, _PRETRAINED):
            raise ValueError(f"its {MARKER} names no known tokenizer_kind ({kind!r})")
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


def save_converted(model: Any, tokenizer: Any, directory: Path, *, marker: dict[str, Any]) -> None:
    """Write the converted model next to its final place, then rename it in (atomic: a
    concurrent run sees either no copy or a complete one). The marker file goes in last;
    ``marker["tokenizer_kind"]`` is the kind :func:`convert` returned."""
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
        (staging / MARKER).write_text(json.dumps(marker, indent=2, ensure_ascii=False), encoding="utf-8")
        try:
            os.replace(staging, directory)
        except OSError:
            if not has_converted(directory):  # another run won the race: its copy is as good
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _drop_gguf_copy(directory: Path) -> None:
    """transformers 4.x may copy the whole GGUF file as ``tokenizer.model`` next to a
    GGUF-born tokenizer; the saved tokenizer.json makes it unneeded."""
    copy = directory / "tokenizer.model"
    if copy.is_file() and (directory / "tokenizer.json").is_file():
        copy.unlink()
