"""The tokenizer of a Gemma GGUF file, and a fast reader for GGUF metadata.

Why this module exists:

* transformers 4.x builds a wrong tokenizer from a Gemma GGUF file: it makes a Unigram model
  over the file's scores, which splits "Translate" into 'Tr','ans','la','te' (a few-shot
  prompt gets many more tokens than llama.cpp gives it). Gemma's tokenizer is SentencePiece
  BPE; for GGUF files llama.cpp (and transformers 5) rebuild it as a BPE whose merge ranks
  follow the order of the vocabulary. :func:`build_gemma_tokenizer` does the same with the
  ``tokenizers`` library and is checked against llama.cpp's token ids (the slow tests). It is
  used only when ``transformers.__version__`` is below 5; from 5 on, transformers' own GGUF
  loading is used.
* ``gguf.GGUFReader`` unpacks every element of the 262,144-entry vocabulary through numpy
  memmap views, which is slow; :func:`read_gguf_metadata` reads the same key/value section
  with ``struct``. Timings are in docs/benchmarks.md.

Known limit (same as llama.cpp's BPE view of the vocabulary): SentencePiece's user-defined
pieces (``<table>``, runs of spaces) are not forced to be atomic here; for plain sentences
this makes no difference.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mtqe.errors import ModelUnavailableError

# GGUF value types (the numbering of the GGUF specification).
_STRING, _ARRAY = 8, 9
_SCALAR_FORMATS: dict[int, str] = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d",
}  # fmt: skip
_NUMPY_TYPES: dict[int, str] = {
    0: "<u1", 1: "<i1", 2: "<u2", 3: "<i2", 4: "<u4", 5: "<i4", 6: "<f4", 7: "<u1", 10: "<u8", 11: "<i8", 12: "<f8",
}  # fmt: skip
_SUPPORTED_VERSIONS = (2, 3)

# SentencePiece token types, as GGUF stores them in tokenizer.ggml.token_type.
TOKEN_TYPE_CONTROL = 3

# SentencePiece's visible space.
_SPACE_MARK = "\u2581"


class _Cursor:
    """Reads little-endian GGUF values from a buffer, advancing an offset."""

    def __init__(self, buffer: Any) -> None:
        self.buffer = buffer
        self.offset = 0

    def scalar(self, fmt: str) -> Any:
        (value,) = struct.unpack_from(fmt, self.buffer, self.offset)
        self.offset += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        length = self.scalar("<Q")
        start = self.offset
        self.offset += length
        return bytes(self.buffer[start : self.offset]).decode("utf-8")

    def value(self, value_type: int) -> Any:
        if value_type == _STRING:
            return self.string()
        if value_type == _ARRAY:
            return self.array()
        if value_type in _SCALAR_FORMATS:
            return self.scalar(_SCALAR_FORMATS[value_type])
        raise ValueError(f"unknown GGUF value type {value_type} at byte {self.offset}")

    def array(self) -> Any:
        item_type = self.scalar("<I")
        count = self.scalar("<Q")
        if item_type in _NUMPY_TYPES:  # numbers: one numpy copy instead of `count` unpacks
            dtype = np.dtype(_NUMPY_TYPES[item_type])
            values = np.frombuffer(self.buffer, dtype=dtype, count=count, offset=self.offset).copy()
            self.offset += count * dtype.itemsize
            return values.astype(bool) if item_type == 7 else values
        read: Callable[[], Any] = self.string if item_type == _STRING else lambda: self.value(item_type)
        return [read() for _ in range(count)]


def read_gguf_metadata(path: str | Path) -> dict[str, Any]:
    """The key/value metadata of a GGUF file (architecture, hyperparameters, vocabulary).

    Numeric arrays come back as numpy arrays, string arrays as lists. Tensor data is not
    read. A file that is not a (little-endian, version 2 or 3) GGUF file raises
    :class:`~mtqe.errors.ModelUnavailableError`.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return _parse_metadata(memoryview(mapped), path)
    except (OSError, ValueError, struct.error, UnicodeDecodeError) as exc:
        raise ModelUnavailableError(f"cannot read GGUF metadata from {path}: {exc}") from exc


def _parse_metadata(buffer: memoryview, path: Path) -> dict[str, Any]:
    try:
        cursor = _Cursor(buffer)
        if bytes(buffer[:4]) != b"GGUF":
            raise ValueError("not a GGUF file (the first 4 bytes are not 'GGUF')")
        cursor.offset = 4
        version = cursor.scalar("<I")
        if version not in _SUPPORTED_VERSIONS:
            raise ValueError(
                f"GGUF version {version} is not supported (expected 2 or 3, little-endian); "
                "re-convert the model with a current llama.cpp"
            )
        cursor.scalar("<Q")  # tensor count: tensors are transformers' business
        kv_count = cursor.scalar("<Q")
        metadata: dict[str, Any] = {"GGUF.version": version}
        for _ in range(kv_count):
            key = cursor.string()
            metadata[key] = cursor.value(cursor.scalar("<I"))
        return metadata
    finally:
        buffer.release()  # the mmap cannot close while a view of it is alive


def gguf_architecture(metadata: dict[str, Any]) -> str:
    return str(metadata.get("general.architecture", "unknown"))


def transformers_major() -> int:
    import transformers

    return int(transformers.__version__.split(".")[0])


def needs_rebuilt_tokenizer(metadata: dict[str, Any]) -> bool:
    """Whether this file's tokenizer must come from :func:`build_gemma_tokenizer`: a Gemma
    model under transformers < 5 (other architectures convert correctly)."""
    return transformers_major() < 5 and gguf_architecture(metadata).startswith("gemma")


def build_gemma_tokenizer(metadata: dict[str, Any]) -> Any:
    """A ``GemmaTokenizerFast`` rebuilt from the vocabulary in ``metadata`` (see module doc)."""
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import BPE
    from transformers.convert_slow_tokenizer import generate_merges

    if metadata.get("tokenizer.ggml.model") != "llama":  # llama.cpp's name for SentencePiece models
        raise ModelUnavailableError(
            f"the GGUF tokenizer is {metadata.get('tokenizer.ggml.model')!r}, not a SentencePiece "
            "('llama') vocabulary: this rebuild only handles Gemma models"
        )
    pieces = [_spm_piece(token) for token in metadata["tokenizer.ggml.tokens"]]
    vocab = {piece: index for index, piece in enumerate(pieces)}
    if len(vocab) != len(pieces):
        raise ModelUnavailableError("the GGUF vocabulary has duplicate pieces; cannot rebuild a BPE from it")
    # SentencePiece BPE: a piece earlier in the vocabulary is a higher-priority merge.
    merges = generate_merges(vocab, {piece: -index for index, piece in enumerate(pieces)})
    backend = Tokenizer(BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    backend.normalizer = normalizers.Replace(" ", _SPACE_MARK)
    backend.pre_tokenizer = pre_tokenizers.Split(" ", "merged_with_previous")
    backend.decoder = decoders.Sequence([decoders.Replace(_SPACE_MARK, " "), decoders.ByteFallback(), decoders.Fuse()])
    types = metadata["tokenizer.ggml.token_type"]
    control = [piece for piece, kind in zip(pieces, types) if int(kind) == TOKEN_TYPE_CONTROL]
    return wrap_gemma_backend(backend, control_tokens=control)


def _spm_piece(token: str) -> str:
    """GGUF stores whitespace-only pieces with literal spaces; SentencePiece spells them ``▁``."""
    if " " in token and not token.strip():
        return token.replace(" ", _SPACE_MARK)
    return token


def wrap_gemma_backend(backend: Any, *, control_tokens: list[str]) -> Any:
    """Wrap a ``tokenizers.Tokenizer`` as Gemma's transformers tokenizer (adds ``<bos>``)."""
    return _gemma_tokenizer({"tokenizer_object": backend}, control_tokens)


def _gemma_tokenizer(source: dict[str, Any], control_tokens: list[str] | None) -> Any:
    """``GemmaTokenizerFast`` over ``source`` (``tokenizer_object`` or ``tokenizer_file``).

    ``control_tokens`` are registered as special tokens (``skip_special_tokens`` drops them);
    None takes them from the backend's special added tokens (a reload of a saved file).
    """
    from tokenizers import AddedToken
    from transformers import GemmaTokenizerFast

    tokenizer = GemmaTokenizerFast(
        **source,
        bos_token="<bos>",
        eos_token="<eos>",
        unk_token="<unk>",
        pad_token="<pad>",
        add_bos_token=True,
        add_eos_token=False,
    )
    if control_tokens is None:
        added = tokenizer.backend_tokenizer.get_added_tokens_decoder()
        control_tokens = [token.content for _, token in sorted(added.items()) if token.special]
    specials = [AddedToken(token, normalized=False, special=True) for token in control_tokens]
    tokenizer.add_special_tokens({"additional_special_tokens": specials})
    return tokenizer


def load_gguf_tokenizer(path: str | Path, metadata: dict[str, Any] | None = None) -> Any:
    """The tokenizer of the GGUF file at ``path``, correct for the installed transformers."""
    path = Path(path)
    metadata = metadata if metadata is not None else read_gguf_metadata(path)
    if needs_rebuilt_tokenizer(metadata):
        return build_gemma_tokenizer(metadata)
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(f"transformers cannot build a tokenizer from {path}: {exc}") from exc


def save_rebuilt_tokenizer(tokenizer: Any, directory: Path) -> Path:
    """Store a tokenizer from :func:`build_gemma_tokenizer` as one ``tokenizer.json``.

    Not ``save_pretrained``: transformers 4.57 copies the whole GGUF file next to a
    GGUF-born tokenizer, and its reload warns about a Mistral regex that Gemma does not have.
    """
    target = directory / "tokenizer.json"
    tokenizer.backend_tokenizer.save(str(target))
    return target


def load_rebuilt_tokenizer(directory: Path) -> Any:
    """Reload what :func:`save_rebuilt_tokenizer` stored (much faster than a rebuild).

    From the file rather than a ``Tokenizer`` object: transformers deep-copies a
    ``tokenizer_object``, which is slow for a vocabulary this size."""
    return _gemma_tokenizer({"tokenizer_file": str(directory / "tokenizer.json")}, None)
