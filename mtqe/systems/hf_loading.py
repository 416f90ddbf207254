"""Loading Hugging Face models and tokenizers without surprises, shared by the HF backends.

A model reference is either a local directory or a hub id (``facebook/nllb-200-distilled-600M``).

* A local directory is always loaded with ``local_files_only=True``: nothing touches the network.
* A hub id while offline (``HF_HUB_OFFLINE`` / ``TRANSFORMERS_OFFLINE``) is looked up in the
  local cache only, and a miss is one :class:`~mtqe.errors.ModelUnavailableError` that says how
  to provide the model. The environment is read at call time: huggingface_hub snapshots
  ``HF_HUB_OFFLINE`` when it is first imported, so a variable set later would otherwise be
  ignored and the load would go to the network.
* A hub id pinned to a full commit hash is tried in the cache first even online (a commit is
  immutable, so the cached copy is exactly what the hub would send).

:func:`model_fingerprint` gives the cheap, honest identity of a reference for cache keys.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtqe.errors import ConfigError, ModelUnavailableError

_TRUE = {"1", "on", "yes", "true"}
_COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# A hub id: "name" or "owner/name" with the characters the hub allows.
_HUB_ID_RE = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
# Files up to this size are hashed by content for a local directory's fingerprint; bigger ones
# (weights of real models, GBs) by name + size + mtime, unless the HF cache already names them
# by their sha256. Hashing 2 GB on every start would cost more than the lookup saves.
CONTENT_HASH_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class ModelRef:
    """Where a model comes from: exactly one of ``local_dir`` and ``hub_id`` is set."""

    ref: str  # as written in the config
    local_dir: Path | None = None
    hub_id: str | None = None

    @property
    def is_local(self) -> bool:
        return self.local_dir is not None


def hub_offline() -> bool:
    """Whether the user asked for no hub access (checked now, not at import time)."""
    return any(os.environ.get(name, "").strip().lower() in _TRUE for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def resolve_model_ref(model_ref: str | os.PathLike[str]) -> ModelRef:
    """Classify ``model_ref`` as a local directory or a hub id.

    An existing directory wins (a relative path like ``models/opus`` also looks like a hub
    id). Something that is clearly a path but does not exist is an error here rather than a
    confusing hub lookup of ``/data/models/x``.
    """
    text = str(model_ref).strip()
    if not text:
        raise ConfigError("model reference is empty: set `model:` to a hub id or a local directory")
    path = Path(text).expanduser()
    if path.is_dir():
        return ModelRef(ref=text, local_dir=path.resolve())
    if path.exists():
        raise ModelUnavailableError(f"model path {text!r} is a file; `model:` must be a directory or a hub id")
    if _HUB_ID_RE.match(text) and not text.startswith((".", "~")):
        return ModelRef(ref=text, hub_id=text)
    raise ModelUnavailableError(f"model directory {text!r} does not exist (and it is not a valid hub id)")


def _hub_cache_dir() -> str:
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def _offline_message(ref: ModelRef, revision: str | None) -> str:
    rev = f" at revision {revision!r}" if revision else ""
    return (
        f"model {ref.hub_id!r}{rev} is not in the local Hugging Face cache ({_hub_cache_dir()}) "
        "and the hub is offline (HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE is set). Provide it locally: "
        "set HF_HOME to a cache that holds it (before starting mtqe), or point `model:` in the "
        "system config at a local directory with the model files (e.g. from "
        f"`huggingface-cli download {ref.hub_id} --local-dir DIR` on a machine with network)."
    )


def load_pretrained(cls: Any, model_ref: str | os.PathLike[str], *, revision: str | None = None, **kwargs: Any) -> Any:
    """``cls.from_pretrained`` for ``model_ref`` with mtqe's offline rules (see module doc).

    ``cls`` is any transformers class with ``from_pretrained`` (AutoConfig, AutoTokenizer,
    AutoModelForSeq2SeqLM, ...); ``kwargs`` go to it unchanged. Every failure to find the
    files becomes a :class:`ModelUnavailableError` chained to the original error.
    """
    ref = resolve_model_ref(model_ref)
    if ref.local_dir is not None:
        if revision:
            raise ConfigError(
                f"revision {revision!r} was given for the local directory {ref.ref!r}; a revision "
                "only applies to hub ids (remove it, or point `model:` at the hub id)"
            )
        return _from_local_dir(cls, ref, **kwargs)
    return _from_hub(cls, ref, revision=revision, **kwargs)


def _from_local_dir(cls: Any, ref: ModelRef, **kwargs: Any) -> Any:
    try:
        return cls.from_pretrained(str(ref.local_dir), local_files_only=True, **kwargs)
    except (OSError, ValueError) as exc:  # ValueError: no config.json / unrecognized model
        raise ModelUnavailableError(
            f"cannot load {getattr(cls, '__name__', cls)} from the local directory {ref.ref!r}: {exc}"
        ) from exc


def _from_hub(cls: Any, ref: ModelRef, *, revision: str | None, **kwargs: Any) -> Any:
    offline = hub_offline()
    pinned = revision is not None and _COMMIT_RE.match(revision) is not None
    if offline or pinned:
        try:
            return cls.from_pretrained(ref.hub_id, revision=revision, local_files_only=True, **kwargs)
        except OSError as exc:
            if offline:
                raise ModelUnavailableError(_offline_message(ref, revision)) from exc
            # pinned but not cached yet: fall through to a normal download
    try:
        return cls.from_pretrained(ref.hub_id, revision=revision, **kwargs)
    except OSError as exc:
        raise ModelUnavailableError(
            f"cannot load {ref.hub_id!r} (revision {revision or 'main'}) from the Hugging Face hub: {exc}. "
            "If this machine has no network, set HF_HUB_OFFLINE=1 and provide the model locally "
            "(HF_HOME pointing at a cache that holds it, or `model:` set to a local directory)."
        ) from exc


def cached_commit(hub_id: str, revision: str | None) -> str | None:
    """The commit the local HF cache resolves ``hub_id@revision`` to, or None if not cached.

    Reads the cache only (refs/ and snapshots/), never the network.
    """
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(hub_id, "config.json", revision=revision)
    if not isinstance(found, str):
        return None
    commit = Path(found).parent.name  # .../snapshots/<commit>/config.json
    return commit if _COMMIT_RE.match(commit) else None


def model_fingerprint(model_ref: str | os.PathLike[str], *, revision: str | None = None) -> dict[str, Any]:
    """What identifies the model's files, without loading it.

    Hub id: the id, the requested revision and the commit the local cache resolves it to (None
    when not cached; then only an immutable pinned commit makes the identity exact). Local
    directory: a sha256 over its top-level files (see :func:`directory_digest`).
    """
    ref = resolve_model_ref(model_ref)
    if ref.local_dir is not None:
        # No absolute path: the same files moved elsewhere give the same outputs.
        return {"model": ref.ref, "files_sha256": directory_digest(ref.local_dir)}
    hub_id = str(ref.hub_id)  # resolve_model_ref sets exactly one of local_dir and hub_id
    return {"model": hub_id, "revision": revision, "cached_commit": cached_commit(hub_id, revision)}


def file_digest(path: Path) -> str:
    """Content hash of one file, or the cheapest honest stand-in for a big one."""
    target = path.resolve()
    # The HF cache stores LFS files as blobs named by their sha256 (snapshots hold symlinks).
    if path.is_symlink() and target.parent.name == "blobs" and _SHA256_RE.match(target.name):
        return f"sha256:{target.name}"
    stat = target.stat()
    if stat.st_size <= CONTENT_HASH_LIMIT:
        digest = hashlib.sha256()
        with open(target, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return f"sha256:{digest.hexdigest()}"
    # Copying a model changes mtime: a cache miss, never a wrong hit.
    return f"stat:{stat.st_size}:{stat.st_mtime_ns}"


def directory_digest(directory: Path) -> str:
    """sha256 over (name, file digest) of the top-level regular files of a model directory.

    Hidden files and Markdown (model cards) are skipped: they never change the output.
    """
    digest = hashlib.sha256()
    for path in sorted(Path(directory).iterdir()):
        if path.name.startswith(".") or path.suffix.lower() == ".md" or not path.is_file():
            continue
        digest.update(f"{path.name}\0{file_digest(path)}\n".encode())
    return digest.hexdigest()
