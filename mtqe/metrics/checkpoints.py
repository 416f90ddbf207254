"""Where a neural metric's checkpoint lives: hub id or local path, online or offline.

Shared by every neural metric (:mod:`mtqe.metrics.neural`). A failure is a
:class:`LoadFailure` whose message says what to set or run; it becomes the metric's
``MetricResult.unavailable``. Hub ids are resolved with ``huggingface_hub.snapshot_download``
and ``local_files_only`` when ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` is set, so an
offline miss fails in milliseconds instead of waiting on the network.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from mtqe.io import sha256_file
from mtqe.systems.hf_loading import hub_offline  # one definition of "offline" for models and metrics

if TYPE_CHECKING:
    from mtqe.metrics.score_cache import ScoreCache

_SHA256_NAME = re.compile(r"[0-9a-f]{64}")


__all__ = ["LoadFailure", "checkpoint_sha256", "first_line", "hub_offline", "hub_snapshot", "is_local", "model_label"]


class LoadFailure(Exception):
    """Why a checkpoint cannot be used here (becomes ``MetricResult.unavailable``)."""


def first_line(exc: BaseException, limit: int = 300) -> str:
    """``Type: first line of the message``, cut to ``limit`` characters (for one-line reasons)."""
    text = str(exc).strip().splitlines()
    message = text[0] if text else ""
    if len(message) > limit:
        message = message[: limit - 3] + "..."
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def is_local(model: str) -> bool:
    """A path (existing, or written like one) rather than a hub id ``owner/name``."""
    if Path(model).expanduser().exists():
        return True
    return model.startswith(("/", ".", "~")) or model.endswith(".ckpt") or "\\" in model or model.count("/") > 1


def hub_snapshot(model_id: str, offline: bool, *, family: str, model_key: str, local_hint: str) -> Path:
    """The local snapshot directory of a hub repository (downloaded unless ``offline``).

    ``family`` names the metric in messages (``COMET``), ``model_key`` is the config key to
    set (``metric.comet.model``) and ``local_hint`` the local path to suggest instead.
    """
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id=model_id, local_files_only=offline))
    except Exception as exc:  # noqa: BLE001 -- third-party download: any failure means "not here"
        if offline:
            raise LoadFailure(
                f"{family} model {model_id!r} is not available offline (HF_HUB_OFFLINE=1 and not in "
                f"the Hugging Face cache). Download it online once (`huggingface-cli download "
                f"{model_id}`) or set {model_key}={local_hint}"
            ) from None
        raise LoadFailure(
            f"{family} model {model_id!r} could not be downloaded ({first_line(exc)}). Check the id, "
            "the network and, for gated models, `huggingface-cli login`; or set "
            f"{model_key}={local_hint}"
        ) from None


def checkpoint_sha256(checkpoint: Path, cache: ScoreCache | None) -> str:
    """Full sha256 of a checkpoint file: a Hugging Face cache blob is named by it; otherwise
    hashed once per (path, size, mtime) through the score cache when there is one."""
    real = os.path.realpath(checkpoint)
    blob = os.path.basename(real)
    if _SHA256_NAME.fullmatch(blob):
        return blob
    if cache is not None:
        return cache.file_sha256(Path(real))
    return sha256_file(Path(real))


def model_label(model: str) -> str:
    """The model as shown in signatures: the hub id, or a local checkpoint's model dir name."""
    model = model.strip()
    if not is_local(model):
        return model
    path = Path(model).expanduser()
    model_dir = path.parent.parent if path.suffix == ".ckpt" and path.parent.name == "checkpoints" else path
    if path.suffix == ".ckpt" and path.parent.name != "checkpoints":
        label = path.stem
    elif model_dir.parent.name == "snapshots" and model_dir.parent.parent.name.startswith("models--"):
        # a Hugging Face cache snapshot: models--Unbabel--wmt22-comet-da/snapshots/<rev>
        label = model_dir.parent.parent.name[len("models--") :].replace("--", "/")
    else:
        label = model_dir.name
    return (label or model).replace("|", "_")
