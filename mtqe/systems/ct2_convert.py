"""Converting a Hugging Face seq2seq model to the CTranslate2 format, once per machine.

The converted model lives under ``<mtqe cache>/ct2/<key>/`` where ``key`` hashes the source
model's fingerprint (:func:`mtqe.systems.hf_loading.model_fingerprint`: hub commit or a digest
of the local files), the quantization and the ctranslate2 version. So a changed checkpoint or
another quantization gets its own directory, and an unchanged one is never converted twice.

Safe for concurrent jobs (Hydra multirun, several terminals):

* the conversion is written into a temporary sibling directory and renamed into place, with
  the marker file (:data:`MARKER`) written last, so a reader sees no directory or a complete one;
* an exclusive ``flock`` on ``<key>.lock`` makes the second job wait for the first one's
  result instead of converting too (a 600M model takes a minute and a few GB of memory);
* where locks do not work (some network file systems), the rename race is still safe: the
  loser finds a complete directory in place and throws its own copy away.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtqe.errors import ModelUnavailableError

MARKER = "mtqe-ct2.json"
# Bump when what mtqe writes into a converted directory changes.
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Converted:
    """A converted model directory and how it was obtained."""

    path: Path
    converted_now: bool  # False: it was found in the cache
    seconds: float  # conversion time (0 when found in the cache)


def cache_key(fingerprint: dict[str, Any], quantization: str) -> str:
    """Directory name for ``fingerprint`` converted with ``quantization``."""
    import ctranslate2

    payload = {
        "fingerprint": fingerprint,
        "quantization": quantization,
        "ctranslate2": ctranslate2.__version__,
        "format": FORMAT_VERSION,
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]
    return f"{digest}-{quantization}"


def is_complete(directory: Path) -> bool:
    return (directory / MARKER).is_file() and (directory / "model.bin").is_file()


def ensure_converted(
    *,
    model_ref: str,
    revision: str | None,
    fingerprint: dict[str, Any],
    quantization: str,
    cache_root: Path,
) -> Converted:
    """The converted copy of ``model_ref`` for ``quantization``, converting it if needed.

    ``model_ref`` is a local directory or a hub id whose files are already in the local HF
    cache (or downloadable); loading goes through :func:`mtqe.systems.hf_loading.load_pretrained`.
    """
    target = Path(cache_root) / cache_key(fingerprint, quantization)
    if is_complete(target):
        return Converted(path=target, converted_now=False, seconds=0.0)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target.with_name(target.name + ".lock")):
        if is_complete(target):  # another job converted it while we waited
            return Converted(path=target, converted_now=False, seconds=0.0)
        if target.exists():  # incomplete (copied by hand, or damaged): we hold the lock, replace it
            shutil.rmtree(target)
        started = time.perf_counter()
        marker = {"source": fingerprint, "quantization": quantization}
        _convert_into(target, model_ref=model_ref, revision=revision, quantization=quantization, marker=marker)
        return Converted(path=target, converted_now=True, seconds=time.perf_counter() - started)


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``lock_path`` (blocks while another job holds it)."""
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _convert_into(
    target: Path, *, model_ref: str, revision: str | None, quantization: str, marker: dict[str, Any]
) -> None:
    import ctranslate2

    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        out = staging / "model"
        converter = _converter_class()(model_ref, revision=revision)
        try:
            converter.convert(str(out), quantization=quantization)
        except (ValueError, NotImplementedError, KeyError) as exc:
            raise ModelUnavailableError(
                f"ctranslate2 {ctranslate2.__version__} cannot convert {model_ref!r} "
                f"(quantization {quantization}): {exc}; use `type: hf_seq2seq` for this model"
            ) from exc
        marker = {**marker, "ctranslate2": ctranslate2.__version__, "format": FORMAT_VERSION}
        (out / MARKER).write_text(json.dumps(marker, indent=2, ensure_ascii=False), encoding="utf-8")
        try:
            os.rename(out, target)
        except OSError:
            # Lost a race with a job that could not take the lock: its copy is as good.
            if not is_complete(target):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _converter_class() -> type:
    """TransformersConverter that loads through mtqe's offline-aware loader.

    ctranslate2's own ``from_pretrained`` calls would go to the hub for a hub id even when it
    is cached; mtqe's loader answers with local files or a clear ModelUnavailableError.
    ``revision`` is ours (the converter's own ``revision`` argument is left unset).
    """
    from ctranslate2.converters import TransformersConverter

    from mtqe.systems.hf_loading import load_pretrained

    class MtqeTransformersConverter(TransformersConverter):  # type: ignore[misc]
        def __init__(self, model_ref: str, *, revision: str | None) -> None:
            super().__init__(model_ref)
            self._mtqe_revision = revision

        def load_model(self, model_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            if self._mtqe_revision is not None:
                # The converter read this config at the hub's default revision; let the
                # model read the one of the requested revision instead.
                kwargs.pop("config", None)
            return load_pretrained(model_class, model_name_or_path, revision=self._mtqe_revision, **kwargs)

        def load_tokenizer(self, tokenizer_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            return load_pretrained(tokenizer_class, model_name_or_path, revision=self._mtqe_revision, **kwargs)

    return MtqeTransformersConverter
