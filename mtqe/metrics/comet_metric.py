"""COMET (unbabel-comet 2.2.7) as an mtqe metric: reference-based or quality estimation.

Scale: COMET's native segment scores, **not** multiplied by 100 (wmt22-comet-da and
CometKiwi give roughly 0-1, occasionally a little outside). The corpus score is the mean
of the segment scores; ``stats`` is that column, so bootstrap and paired tests resample it.

One instance serves every system of a run: the checkpoint is loaded on the first
``score()`` (never by construction, ``signature()`` or ``info``) and reused. If it cannot
load (offline and not cached, missing file, bad checkpoint, no CUDA) the first ``score()``
records why and every call returns ``MetricResult.not_available`` with that reason and
the remedy, without trying again.

Speed:

* identical model inputs (``(src, mt, ref)``, or ``(src, mt)`` in QE mode) are scored once
  per instance, keyed by content: within a call, across systems, and when the pipeline
  re-scores a system on the baseline's references; with a :class:`ScoreCache` also across
  runs (key: checkpoint sha256 + COMET version + precision + texts, written per batch);
* batches are sorted by token length (longest first), so padding is small;
* ``precision: bf16`` runs under ``torch.autocast`` (about 3.7x faster than fp32 for
  XLM-R large on 2 CPU cores; casting the model with ``.to(bfloat16)`` crashes in COMET).

How COMET is driven, and why not ``CometModel.predict``: each batch goes through COMET's
own ``prepare_for_inference`` and ``predict_step`` (exactly what ``predict`` runs inside a
Lightning ``Trainer``) in a plain loop under ``torch.inference_mode``. ``predict`` adds
nothing to the numbers (the tests compare against it) but has process-wide side effects:
Trainer banners and tips on stdout, a global ``warnings`` filter, ``exit()`` on non-zero
ranks with ``gpus > 1``; it also ignores precision on CPU and keeps no cache across calls.

Other COMET 2.2.7 quirks handled here:

* ``import comet`` calls ``logging.basicConfig(level=INFO)`` on the root logger; undone
  right after the import (when mtqe is the first to import it).
* ``comet.load_from_checkpoint`` always resolves the checkpoint's stored
  ``pretrained_model`` (e.g. ``xlm-roberta-large``) with ``from_pretrained``: a hub name goes
  to the network. The checkpoint is therefore loaded with its class's Lightning
  ``load_from_checkpoint`` and overrides: ``pretrained_model=encoder_dir`` (only tokenizer
  and config are read from it; every weight comes from the checkpoint) and
  ``local_files_only`` when offline. The ``sparsemax_patch`` -> ``softmax`` fix of
  ``comet.load_from_checkpoint`` is applied the same way.
* ``comet.download_model(model, saving_directory=None, local_files_only=False)`` wraps
  ``huggingface_hub.snapshot_download`` but on *any* failure falls back to COMET's legacy
  S3 downloader, which replaces the real cause with ``KeyError: Model ... not supported``
  (and creates ``~/.cache/torch/unbabel_comet``). Hub ids (``owner/name``) are therefore
  resolved with ``snapshot_download`` directly (``local_files_only`` when
  ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` is set: fails in milliseconds); only legacy
  names (no ``/``) go through ``comet.download_model``, and offline only COMET's legacy
  cache folder is looked at.
* COMET's embedding LRU cache is not used: it is keyed by tensor identity and never hits.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import pickle
import re
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from mtqe.errors import ConfigError
from mtqe.io import sha256_file
from mtqe.metrics.base import Metric, MetricInfo, MetricInput, MetricResult
from mtqe.metrics.configs import CometConfig
from mtqe.metrics.score_cache import ScoreCache, score_key
from mtqe.progress import NoProgress, Progress

log = logging.getLogger(__name__)

PRECISIONS = {
    "32": "32",
    "32-true": "32",
    "fp32": "32",
    "bf16": "bf16",
    "bf16-mixed": "bf16",
    "16": "16",
    "16-mixed": "16",
    "fp16": "16",
}
MULTI_REFERENCE = ("mean", "max")
_TRUE = {"1", "true", "yes", "on"}
_SHA256_NAME = re.compile(r"[0-9a-f]{64}")

Key = tuple[str, str, "str | None"]
"""One model input: (src, mt, ref); ref is None in QE mode."""
OnScored = Callable[[list[Key]], None]
"""Told of model inputs as their scores arrive (drives the segment progress)."""


def hub_offline() -> bool:
    """True when the Hugging Face hub must not be contacted (as huggingface_hub decides)."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().lower() in _TRUE


def comet_version() -> str:
    try:
        return metadata.version("unbabel-comet")
    except metadata.PackageNotFoundError:
        return "missing"


class _LoadFailure(Exception):
    """Why the checkpoint cannot be used here (becomes ``MetricResult.unavailable``)."""


@dataclass(frozen=True)
class _CheckpointFacts:
    """What scoring needs to know of a checkpoint before (or without) running it. Learnt by
    loading it once, then kept in the score cache by sha256: a re-run whose scores are all
    cached decides QE vs reference mode and finds its scores without loading the model."""

    checkpoint: Path
    checkpoint_hash: str  # full sha256
    model_class: str
    accepts_reference: bool
    requires_reference: bool
    max_positions: int

    CACHED_FIELDS = ("model_class", "accepts_reference", "requires_reference", "max_positions")


@dataclass(frozen=True)
class _Loaded:
    model: Any
    checkpoint: Path
    checkpoint_hash: str  # full sha256
    model_class: str
    accepts_reference: bool  # the model reads a reference when one is given
    requires_reference: bool  # ... and cannot score without one
    joint: bool  # segments are concatenated into one sequence (UnifiedMetric, XCOMET)
    segments: tuple[str, ...]  # inputs the model reads, of "src", "mt", "ref"
    max_positions: int
    device: Any  # torch.device
    load_s: float


def _import_comet_models():
    """Import ``comet.models`` without keeping COMET's root-logger configuration."""
    if "comet" in sys.modules:
        import comet.models

        return comet.models
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with warnings.catch_warnings():
            # torchmetrics 0.10 (COMET's pin) warns that pkg_resources is deprecated.
            warnings.simplefilter("ignore", UserWarning)
            import comet.models
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    return comet.models


def _comet_models():
    """``comet.models``, or a load failure that says how to install it."""
    try:
        return _import_comet_models()
    except ImportError as exc:
        raise _LoadFailure(
            f"unbabel-comet cannot be imported ({_first_line(exc)}); install it with "
            "`pip install unbabel-comet==2.2.7 'transformers<5'`"
        ) from None


def _first_line(exc: BaseException, limit: int = 300) -> str:
    text = str(exc).strip().splitlines()
    message = text[0] if text else ""
    if len(message) > limit:
        message = message[: limit - 3] + "..."
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class CometMetric(Metric):
    """COMET segment and corpus scores; see the module docstring for the behaviour.

    ``CometMetric(cfg=CometConfig(...), cache=ScoreCache(path) or None)``. Bad config values
    raise :class:`ConfigError` here; everything that depends on the machine (files, hub,
    CUDA) is only looked at by the first ``score()``.

    ``info.needs_reference`` follows ``cfg.reference_free`` (known without loading): set
    ``reference_free: true`` for QE checkpoints so that the pipeline also scores documents
    that have no reference. A QE checkpoint is detected after loading either way and then
    ignores any references it is given.
    """

    def __init__(self, *, cfg: CometConfig, cache: ScoreCache | None = None) -> None:
        precision = PRECISIONS.get(str(cfg.precision).strip().lower())
        if precision is None:
            raise ConfigError(f"metric.{cfg.name}.precision={cfg.precision!r}: use 32, bf16 (autocast) or 16")
        if cfg.multi_reference not in MULTI_REFERENCE:
            raise ConfigError(f"metric.{cfg.name}.multi_reference={cfg.multi_reference!r}: use mean or max")
        if int(cfg.gpus) not in (0, 1):
            raise ConfigError(
                f"metric.{cfg.name}.gpus={cfg.gpus}: mtqe runs COMET in-process on the CPU (0) "
                "or one GPU (1); multi-GPU COMET (DDP) is not supported"
            )
        if int(cfg.batch_size) < 1:
            raise ConfigError(f"metric.{cfg.name}.batch_size={cfg.batch_size}: must be at least 1")
        if not str(cfg.model).strip():
            raise ConfigError(f"metric.{cfg.name}.model is empty: give a hub id or a checkpoint path")
        self.cfg = cfg
        self.precision = precision
        self.cache = cache
        self.info = MetricInfo(
            name=cfg.name,
            higher_is_better=True,
            needs_reference=not cfg.reference_free,
            needs_source=True,
            needs_gpu=False,
            description=(
                "COMET quality estimation (src, mt)"
                if cfg.reference_free
                else "COMET (src, mt, ref); several references: per-segment "
                f"{cfg.multi_reference} over references"
            ),
        )
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._facts: _CheckpointFacts | None = None  # from the score cache, model not loaded
        self._failure: str | None = None
        self._memo: dict[Key, tuple[float, bool]] = {}
        self._cache_identities: dict[bool, str] = {}  # qe -> identity hash in the ScoreCache

    # ----------------------------------------------------------------- signature

    @property
    def model_label(self) -> str:
        """The model as shown in signatures: the hub id, or a local checkpoint's model dir name."""
        model = str(self.cfg.model).strip()
        path = Path(model).expanduser()
        if not self._is_local(model):
            return model
        model_dir = (
            path.parent.parent if path.suffix == ".ckpt" and path.parent.name == "checkpoints" else path
        )
        if path.suffix == ".ckpt" and path.parent.name != "checkpoints":
            label = path.stem
        elif model_dir.parent.name == "snapshots" and model_dir.parent.parent.name.startswith("models--"):
            # a Hugging Face cache snapshot: models--Unbabel--wmt22-comet-da/snapshots/<rev>
            label = model_dir.parent.parent.name[len("models--") :].replace("--", "/")
        else:
            label = model_dir.name
        return (label or model).replace("|", "_")

    def _signature(self, *, refs: int | None = None, truncated: int | None = None) -> str:
        loaded = self._loaded or self._facts
        parts = [
            "comet",
            f"model:{self.model_label}",
            f"hash:{loaded.checkpoint_hash[:12] if loaded else 'unloaded'}",
            f"version:{comet_version()}",
        ]
        if refs is not None:
            parts.append(f"refs:{refs}")
        parts += [
            f"agg:{self.cfg.multi_reference}",
            f"precision:{self.precision}",
            f"bs:{int(self.cfg.batch_size)}",
            f"device:{'cuda' if int(self.cfg.gpus) else 'cpu'}",
        ]
        if truncated is not None:
            parts.append(f"trunc:{truncated}")
        return "|".join(parts)

    def signature(self) -> str:
        """Cheap: loads nothing. The hash reads 'unloaded' until the first ``score()``;
        ``refs`` and ``trunc`` appear in each result's signature."""
        return self._signature()

    def preflight(self, src_lang: str, tgt_lang: str) -> list[str]:
        """A checkpoint or encoder written as a local path must exist (hub ids: when loading)."""
        model = str(self.cfg.model).strip()
        if self._is_local(model):
            try:
                self._resolve_checkpoint(offline=True)
            except _LoadFailure as exc:
                raise ConfigError(str(exc)) from None
        if self.cfg.encoder_dir and not Path(self.cfg.encoder_dir).expanduser().is_dir():
            raise ConfigError(
                f"{self._config_key('encoder_dir')}={self.cfg.encoder_dir!r} is not a directory: point it at the "
                "checkpoint's encoder (e.g. a local xlm-roberta-large) or leave it unset"
            )
        return []

    # ----------------------------------------------------------------- loading

    @staticmethod
    def _is_local(model: str) -> bool:
        """A path (existing, or written like one) rather than a hub id ``owner/name``."""
        if Path(model).expanduser().exists():
            return True
        return (
            model.startswith(("/", ".", "~"))
            or model.endswith(".ckpt")
            or "\\" in model
            or model.count("/") > 1
        )

    def _config_key(self, field: str) -> str:
        return f"metric.{self.cfg.name}.{field}"

    def _resolve_checkpoint(self, offline: bool) -> Path:
        model = str(self.cfg.model).strip()
        if self._is_local(model):
            path = Path(model).expanduser()
            if path.is_dir():
                path = path / "checkpoints" / "model.ckpt"
            if not path.is_file():
                raise _LoadFailure(
                    f"COMET checkpoint {str(path)!r} does not exist. Set {self._config_key('model')} "
                    "to .../checkpoints/model.ckpt, its model directory, or a hub id such as "
                    "Unbabel/wmt22-comet-da"
                )
            return path
        if "/" not in model:
            return self._resolve_legacy(model, offline)
        return self._resolve_hub(model, offline)

    def _resolve_hub(self, model_id: str, offline: bool) -> Path:
        from huggingface_hub import snapshot_download

        try:
            snapshot = snapshot_download(repo_id=model_id, local_files_only=offline)
        except Exception as exc:  # noqa: BLE001 -- third-party download: any failure means "not here"
            if offline:
                raise _LoadFailure(
                    f"COMET model {model_id!r} is not available offline (HF_HUB_OFFLINE=1 and not in "
                    f"the Hugging Face cache). Download it online once (`huggingface-cli download "
                    f"{model_id}` or `comet-score --model {model_id}`) or set "
                    f"{self._config_key('model')}=/path/to/checkpoints/model.ckpt"
                ) from None
            raise _LoadFailure(
                f"COMET model {model_id!r} could not be downloaded ({_first_line(exc)}). Check the id, "
                "the network and, for gated models such as CometKiwi, `huggingface-cli login`; or set "
                f"{self._config_key('model')}=/path/to/checkpoints/model.ckpt"
            ) from None
        checkpoint = Path(snapshot) / "checkpoints" / "model.ckpt"
        if not checkpoint.is_file():
            raise _LoadFailure(
                f"hub repository {model_id!r} has no checkpoints/model.ckpt: not a COMET model. "
                f"Set {self._config_key('model')} to a COMET checkpoint"
            )
        return checkpoint

    def _resolve_legacy(self, name: str, offline: bool) -> Path:
        """Pre-hub COMET names (wmt20-comet-da, ...): COMET's own cache folder and S3 downloader."""
        folder = Path.home() / ".cache" / "torch" / "unbabel_comet" / name / "checkpoints"
        cached = sorted(folder.glob("*.ckpt")) if folder.is_dir() else []
        if cached:
            return cached[-1]
        if offline:
            raise _LoadFailure(
                f"COMET model {name!r} is not available offline (HF_HUB_OFFLINE=1 and not in "
                f"{folder.parent.parent}). Download it online once (`comet-score --model {name}`) "
                f"or set {self._config_key('model')}=/path/to/checkpoints/model.ckpt"
            )
        _comet_models()  # first import through the guard: root logging restored
        from comet import download_model

        try:
            return Path(download_model(name))
        except Exception as exc:  # noqa: BLE001 -- third-party download: any failure means "not here"
            raise _LoadFailure(
                f"COMET model {name!r} could not be downloaded ({_first_line(exc)}). Use a hub id such "
                f"as Unbabel/wmt22-comet-da or set {self._config_key('model')}=/path/to/checkpoints/model.ckpt"
            ) from None

    def _checkpoint_sha256(self, checkpoint: Path) -> str:
        real = os.path.realpath(checkpoint)
        blob = os.path.basename(real)
        if _SHA256_NAME.fullmatch(blob):  # a Hugging Face cache blob is named by its sha256
            return blob
        if self.cache is not None:
            return self.cache.file_sha256(Path(real))
        return sha256_file(Path(real))

    def _load_model(self, checkpoint: Path, offline: bool):
        import yaml

        hparams_file = checkpoint.parent.parent / "hparams.yaml"
        if not hparams_file.is_file():
            raise _LoadFailure(
                f"COMET checkpoint {str(checkpoint)!r} has no {str(hparams_file)!r} (COMET's layout is "
                "<model>/hparams.yaml + <model>/checkpoints/model.ckpt)"
            )
        try:
            hparams = yaml.safe_load(hparams_file.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise _LoadFailure(f"cannot read {str(hparams_file)!r}: {_first_line(exc)}") from None
        if not isinstance(hparams, dict):
            raise _LoadFailure(f"{str(hparams_file)!r} is not a mapping of COMET hyper-parameters")
        overrides: dict[str, Any] = {"load_pretrained_weights": False, "local_files_only": offline}
        stored_encoder = str(hparams.get("pretrained_model") or "")
        encoder = stored_encoder
        if self.cfg.encoder_dir:
            encoder_dir = Path(self.cfg.encoder_dir).expanduser()
            if not encoder_dir.is_dir():
                raise _LoadFailure(
                    f"{self._config_key('encoder_dir')}={self.cfg.encoder_dir!r} is not a directory "
                    f"(expected a local copy of {stored_encoder!r}: its tokenizer files and config.json)"
                )
            overrides["pretrained_model"] = str(encoder_dir)
            encoder = str(encoder_dir)
        elif self._encoder_missing(stored_encoder, offline):
            raise _LoadFailure(self._encoder_reason(stored_encoder, offline))
        models = _comet_models()
        identifier = hparams.get("class_identifier")
        model_class = models.str2model.get(identifier) if isinstance(identifier, str) else None
        if model_class is None:
            raise _LoadFailure(
                f"{str(hparams_file)!r}: class_identifier {identifier!r} is not a COMET 2.2.7 model "
                f"({', '.join(sorted(models.str2model))})"
            )
        if hparams.get("layer_transformation") == "sparsemax_patch":
            overrides["layer_transformation"] = "softmax"  # what comet.load_from_checkpoint does
        try:
            with _quiet_comet_logs():
                try:
                    return model_class.load_from_checkpoint(
                        checkpoint, map_location="cpu", strict=False, **overrides
                    )
                except pickle.UnpicklingError as exc:
                    if "Unsupported global" not in str(exc):
                        raise
                    # torch >= 2.6 loads weights only by default; checkpoints written by old
                    # Lightning versions may hold other objects. The user chose this file.
                    log.warning("%s needs weights_only=False to load (trusted checkpoint)", checkpoint)
                    return model_class.load_from_checkpoint(
                        checkpoint, map_location="cpu", strict=False, weights_only=False, **overrides
                    )
        except Exception as exc:  # noqa: BLE001 -- third-party load: the checkpoint or encoder is unusable
            if _raised_in_encoder(exc) or _is_hub_miss(exc) or (encoder and encoder in str(exc)):
                if self.cfg.encoder_dir:
                    raise _LoadFailure(
                        f"{self._config_key('encoder_dir')}={self.cfg.encoder_dir!r} cannot be loaded as the "
                        f"checkpoint's encoder ({_first_line(exc, 160)}); it must hold the tokenizer files "
                        f"and config.json of {stored_encoder!r}"
                    ) from None
                raise _LoadFailure(self._encoder_reason(encoder, offline, exc)) from None
            if isinstance(exc, (pickle.UnpicklingError, EOFError)):
                found = re.search(r"Unpickler error:\s*(\S[^\n]*)", str(exc))
                detail = f"unpickler: {found.group(1).strip()}" if found else _first_line(exc)
                raise _LoadFailure(
                    f"COMET checkpoint {str(checkpoint)!r} is not a readable PyTorch checkpoint ({detail}); "
                    "is it corrupt or an incomplete download? Download it again"
                ) from None
            raise _LoadFailure(
                f"COMET checkpoint {str(checkpoint)!r} could not be loaded ({_first_line(exc)})"
            ) from None

    @staticmethod
    def _encoder_missing(encoder: str, offline: bool) -> bool:
        """Cheap pre-check (before reading a 2 GB checkpoint) that the stored encoder resolves."""
        if not encoder:
            return False
        path = Path(encoder).expanduser()
        if path.is_dir():
            return False
        if encoder.startswith(("/", ".", "~")) or "\\" in encoder:
            return True  # a local path from the machine that wrote the checkpoint
        if not offline:
            return False  # from_pretrained may download it
        from huggingface_hub import try_to_load_from_cache

        try:
            hit = try_to_load_from_cache(encoder, "config.json")
        except Exception:  # noqa: BLE001 -- not a valid repo id: the load itself reports it
            return False
        return not isinstance(hit, str)

    def _encoder_reason(self, encoder: str, offline: bool, exc: BaseException | None = None) -> str:
        where = "offline (HF_HUB_OFFLINE=1 and not in the Hugging Face cache)" if offline else "here"
        cause = f" ({_first_line(exc, 160)})" if exc is not None else ""
        return (
            f"the encoder {encoder!r} named in the COMET checkpoint (pretrained_model) is not available "
            f"{where}{cause}. Set {self._config_key('encoder_dir')}=/path/to/{Path(encoder).name} (only "
            f"its config.json and tokenizer files are read; the weights come from the checkpoint) or "
            f"download it online once (`huggingface-cli download {encoder}`)"
        )

    def _load(self) -> _Loaded:
        started = time.perf_counter()
        offline = hub_offline()
        checkpoint = self._resolve_checkpoint(offline)  # first: fails in milliseconds, imports no torch

        import torch

        if int(self.cfg.gpus) and not torch.cuda.is_available():
            raise _LoadFailure(
                f"{self._config_key('gpus')}={self.cfg.gpus} but no CUDA device is visible; "
                f"set {self._config_key('gpus')}=0 to run on the CPU"
            )
        digest = self._checkpoint_sha256(checkpoint)
        model = self._load_model(checkpoint, offline)
        models = _comet_models()
        device = torch.device("cuda" if int(self.cfg.gpus) else "cpu")
        model.to(device)
        model.eval()

        if isinstance(model, models.UnifiedMetric):
            segments = tuple(model.hparams.input_segments)
            accepts, requires, joint = "ref" in segments, bool(model.requires_references()), True
        elif isinstance(model, models.ReferencelessRegression):
            segments, accepts, requires, joint = ("src", "mt"), False, False, False
        else:  # RegressionMetric, RankingMetric: separate src/mt/ref encodings
            requires = bool(model.requires_references())
            segments = ("src", "mt", "ref") if requires else ("src", "mt")
            accepts, joint = requires, False
        return _Loaded(
            model=model,
            checkpoint=checkpoint,
            checkpoint_hash=digest,
            model_class=type(model).__name__,
            accepts_reference=accepts,
            requires_reference=requires,
            joint=joint,
            segments=segments,
            max_positions=int(model.encoder.max_positions),
            device=device,
            load_s=time.perf_counter() - started,
        )

    def _ensure_loaded(self) -> tuple[_Loaded | None, bool]:
        """The loaded model (or None after a failure) and whether this call loaded it."""
        with self._lock:
            if self._loaded is not None or self._failure is not None:
                return self._loaded, False
            try:
                self._loaded = self._load()
            except _LoadFailure as failure:
                self._failure = str(failure)
                log.warning("%s unavailable: %s", self.cfg.name, self._failure)
                return None, True
            if self.cache is not None:
                loaded = self._loaded
                self.cache.put_checkpoint_facts(
                    loaded.checkpoint_hash, {f: getattr(loaded, f) for f in _CheckpointFacts.CACHED_FIELDS}
                )
            log.info(
                "%s: loaded %s (%s, sha256 %s) in %.1fs",
                self.cfg.name,
                self._loaded.checkpoint,
                self._loaded.model_class,
                self._loaded.checkpoint_hash[:12],
                self._loaded.load_s,
            )
            return self._loaded, True

    def _ensure_facts(self) -> tuple[_Loaded | _CheckpointFacts | None, bool]:
        """The loaded model, or the checkpoint's facts from the score cache (model not loaded)
        when this checkpoint has been loaded before; (None, True) after a load failure."""
        with self._lock:
            if self._loaded is not None or self._failure is not None:
                return self._loaded, False
            if self._facts is not None:
                return self._facts, False
            if self.cache is not None:
                try:
                    checkpoint = self._resolve_checkpoint(hub_offline())
                    digest = self._checkpoint_sha256(checkpoint)
                except (_LoadFailure, OSError):
                    digest = ""  # the load below reports why
                known = self.cache.checkpoint_facts(digest) if digest else None
                if known is not None and set(_CheckpointFacts.CACHED_FIELDS) <= set(known):
                    self._facts = _CheckpointFacts(
                        checkpoint=checkpoint,
                        checkpoint_hash=digest,
                        **{f: known[f] for f in _CheckpointFacts.CACHED_FIELDS},
                    )
                    return self._facts, False
        return self._ensure_loaded()

    def close(self) -> None:
        """Release the model; a later ``score()`` loads it again. Scores stay memoised."""
        with self._lock:
            loaded, self._loaded = self._loaded, None
            self._failure = None
        if loaded is not None and loaded.device.type == "cuda":
            import torch

            del loaded
            torch.cuda.empty_cache()

    # ----------------------------------------------------------------- scoring

    def score(self, data: MetricInput, *, progress: Progress | None = None) -> MetricResult:
        """``progress`` advances by a segment once all its model inputs are scored (memo and
        score cache first, then per model batch)."""
        if not isinstance(data, MetricInput):
            raise TypeError(f"CometMetric.score expects a MetricInput, got {type(data).__name__}")
        started = time.perf_counter()
        loaded, loaded_now = self._ensure_facts()
        if loaded is None:
            return MetricResult.not_available(self.cfg.name, self.signature(), self._failure or "")
        qe = bool(self.cfg.reference_free) or not loaded.accepts_reference
        if qe and loaded.requires_reference:
            return MetricResult.not_available(
                self.cfg.name,
                self.signature(),
                f"COMET checkpoint {self.model_label!r} ({loaded.model_class}) needs references, but "
                f"{self._config_key('reference_free')}=true: use a QE checkpoint (e.g. "
                "Unbabel/wmt22-cometkiwi-da) or set reference_free=false",
            )
        if not qe and not data.references:
            return MetricResult.not_available(
                self.cfg.name,
                self._signature(refs=0),
                f"COMET model {self.model_label!r} is reference-based and no reference was given; add "
                f"a reference, or use a QE checkpoint with {self._config_key('reference_free')}=true",
            )

        keys = _input_keys(data, qe)  # one row of model inputs per reference stream
        unique = list(dict.fromkeys(k for row in keys for k in row))
        ticks = _SegmentProgress(keys, self._memo, progress or NoProgress())
        try:
            scored, from_cache = self._fill(loaded, unique, qe, ticks.scored)
        except _OutOfMemory as oom:
            return MetricResult.not_available(self.cfg.name, self.signature(), str(oom))
        except _LoadFailure:  # some inputs were not cached and the model cannot load here
            return MetricResult.not_available(self.cfg.name, self.signature(), self._failure or "")
        if self._loaded is not None and not loaded_now and isinstance(loaded, _CheckpointFacts):
            loaded_now = True  # the facts were cached but some inputs were not: loaded for them
            loaded = self._loaded

        per_stream = np.array([[self._memo[k][0] for k in row] for row in keys], dtype=np.float64)
        truncated_rows = np.array([[self._memo[k][1] for k in row] for row in keys], dtype=bool)
        segment = per_stream.max(axis=0) if self.cfg.multi_reference == "max" else per_stream.mean(axis=0)
        truncated = int(truncated_rows.any(axis=0).sum())
        n_refs = 0 if qe else len(keys)
        details: dict[str, Any] = {
            "model_class": loaded.model_class,
            "checkpoint_sha256": loaded.checkpoint_hash,
            "reference_free": qe,
            "references": () if qe else tuple(data.reference_ids),
            "multi_reference": self.cfg.multi_reference,
            "truncated": truncated,
            "max_tokens": loaded.max_positions,
            "inputs": len(unique),
            "scored": scored,
            "cached": len(unique) - scored,
            "from_score_cache": from_cache,
            "seconds": round(time.perf_counter() - started, 3),
            "scale": "COMET native (not x100)",
        }
        if n_refs > 1:
            details["per_reference"] = {
                ref_id: tuple(float(s) for s in row) for ref_id, row in zip(data.reference_ids, per_stream)
            }
        if loaded_now:
            details["load_s"] = round(loaded.load_s, 3)
        return MetricResult(
            metric=self.cfg.name,
            score=float(segment.mean()),
            signature=self._signature(refs=n_refs, truncated=truncated),
            segment_scores=tuple(float(s) for s in segment),
            stats=segment.reshape(-1, 1),
            details=details,
        )

    def aggregate(self, rows: np.ndarray) -> float:
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[0] == 0:
            raise ValueError(f"CometMetric.aggregate: expected (n>0, k) rows, got shape {rows.shape}")
        return float(rows[:, 0].mean())

    def aggregate_many(self, samples: np.ndarray) -> np.ndarray:
        """``(n_batch, n_rows, k) -> (n_batch,)``: the same mean as :meth:`aggregate`."""
        return np.asarray(samples, dtype=np.float64)[:, :, 0].mean(axis=1)

    # ----------------------------------------------------------------- internals

    def _cache_identity(self, loaded: _Loaded | _CheckpointFacts, qe: bool) -> str | None:
        if self.cache is None:
            return None
        if qe in self._cache_identities:
            return self._cache_identities[qe]
        identity = {
            "metric": "comet",
            "model": self.model_label,
            "checkpoint_sha256": loaded.checkpoint_hash,
            "comet": comet_version(),
            "precision": self.precision,
            "encoder": str(self.cfg.encoder_dir or ""),
            "mode": "qe" if qe else "ref",
        }
        self._cache_identities[qe] = self.cache.register_identity(identity)
        return self._cache_identities[qe]

    def _fill(
        self, loaded: _Loaded | _CheckpointFacts, unique: list[Key], qe: bool, on_scored: OnScored | None = None
    ) -> tuple[int, int]:
        """Make sure every key is in the memo; returns (scored by the model, read from the cache).
        ``on_scored(keys)`` is told of the keys read from the cache, then of each model batch."""
        missing = [k for k in unique if k not in self._memo]
        if not missing:
            return 0, 0
        ident = self._cache_identity(loaded, qe)
        from_cache = 0
        if ident is not None:
            cache_keys = {k: score_key(ident, k) for k in missing}
            found = self.cache.get_many(list(cache_keys.values()))
            for key, ckey in cache_keys.items():
                if ckey in found:
                    self._memo[key] = found[ckey]
                    from_cache += 1
            missing = [k for k in missing if k not in self._memo]
            if on_scored is not None and from_cache:
                on_scored([k for k in cache_keys if k in self._memo])
        if missing:
            model, _ = self._ensure_loaded()
            if model is None:
                raise _LoadFailure(self._failure or "")
            self._run_model(model, missing, ident, on_scored)
        return len(missing), from_cache

    def _token_lengths(self, loaded: _Loaded, texts: list[str]) -> dict[str, int]:
        tokenizer = loaded.model.encoder.tokenizer
        unique = list(dict.fromkeys(texts))
        ids = tokenizer(unique, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
        return {text: len(tok) for text, tok in zip(unique, ids)}

    def _truncated(self, loaded: _Loaded, key: Key, lengths: dict[str, int]) -> bool:
        """Whether COMET cuts any token of this input (mirrors its encoders' truncation)."""
        src, mt, ref = key
        limit = loaded.max_positions
        texts = {"src": src, "mt": mt, "ref": ref}
        used = [s for s in loaded.segments if texts[s] is not None]
        # each segment is tokenized with max_length = max_positions - 2 (specials included)
        if any(lengths[texts[s]] > limit - 2 for s in used):
            return True
        if not loaded.joint:
            return False
        # UnifiedMetric joins "mt </s></s> src [</s></s> ref]" and cuts it at max_positions
        # tokens; with src and ref it encodes (mt, src), (mt, ref) and (mt, src, ref).
        others = [s for s in used if s != "mt"]
        combos = [[s] for s in others] + ([others] if len(others) > 1 else [])
        for combo in combos:
            parts = ["mt", *combo]
            joined = sum(lengths[texts[s]] - 2 for s in parts) + 2 * len(parts)
            if joined > limit:
                return True
        return False

    def _batches(self, loaded: _Loaded, keys: list[Key]) -> Iterator[tuple[list[Key], dict[str, int]]]:
        if not keys:
            return
        texts = [t for k in keys for t in k if t is not None]
        lengths = self._token_lengths(loaded, texts)
        order = sorted(keys, key=lambda k: -sum(lengths[t] for t in k if t is not None))
        size = int(self.cfg.batch_size)
        # Longest first (an out-of-memory error shows at once), and the one short batch is
        # the first: a batch costs its size x its longest input, so the remainder should hold
        # the longest inputs, not the shortest. Measured: 24 inputs at batch 16 ran 18% faster
        # this way than with the remainder last (docs/benchmarks.md, COMET).
        start = len(order) % size or size
        yield order[:start], lengths
        for begin in range(start, len(order), size):
            yield order[begin : begin + size], lengths

    def _autocast(self, device):
        import torch

        if self.precision == "bf16":
            return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
        if self.precision == "16":
            return torch.autocast(device_type=device.type, dtype=torch.float16)
        return contextlib.nullcontext()

    def _run_model(
        self, loaded: _Loaded, keys: list[Key], ident: str | None, on_scored: OnScored | None = None
    ) -> None:
        import torch

        model = loaded.model
        model.eval()
        for batch, lengths in self._batches(loaded, keys):
            samples = [
                {"src": src, "mt": mt} if ref is None else {"src": src, "mt": mt, "ref": ref}
                for src, mt, ref in batch
            ]
            try:
                with torch.inference_mode(), self._autocast(loaded.device):
                    inputs = _to_device(model.prepare_for_inference(samples), loaded.device)
                    prediction = model.predict_step(inputs)
            except torch.cuda.OutOfMemoryError:
                raise _OutOfMemory(
                    f"COMET ran out of GPU memory at batch_size={self.cfg.batch_size}; lower "
                    f"{self._config_key('batch_size')} or use {self._config_key('precision')}=bf16"
                ) from None
            scores = prediction["scores"].detach().float().cpu().tolist()
            rows = []
            for key, value in zip(batch, scores):
                flag = self._truncated(loaded, key, lengths)
                self._memo[key] = (float(value), flag)
                if ident is not None:
                    rows.append((score_key(ident, key), float(value), flag))
            if ident is not None and self.cache is not None:
                self.cache.put_many(ident, rows)
            if on_scored is not None:
                on_scored(batch)
            if any(not math.isfinite(s) for s in scores):
                log.warning(
                    "%s: non-finite COMET scores in a batch (precision %s)", self.cfg.name, self.precision
                )


class _OutOfMemory(Exception):
    pass


class _SegmentProgress:
    """Advances ``progress`` by one segment once every model input of it (one per reference
    stream; the same input may serve several segments) is in the memo."""

    def __init__(self, keys: list[list[Key]], memo: dict[Key, Any], progress: Progress) -> None:
        pending: list[set[Key]] = [set() for _ in keys[0]] if keys else []
        for row in keys:
            for i, key in enumerate(row):
                if key not in memo:
                    pending[i].add(key)
        self._progress = progress
        self._left = [len(p) for p in pending]
        self._segments: dict[Key, list[int]] = {}
        for i, waiting in enumerate(pending):
            for key in waiting:
                self._segments.setdefault(key, []).append(i)
        ready = self._left.count(0)
        if ready:
            progress.advance(ready)

    def scored(self, keys: list[Key]) -> None:
        done = 0
        for key in keys:
            for i in self._segments.pop(key, ()):
                self._left[i] -= 1
                done += self._left[i] == 0
        if done:
            self._progress.advance(done)


def _is_hub_miss(exc: BaseException) -> bool:
    """A Hugging Face "not found locally / cannot connect" error (the encoder, not the ckpt)."""
    name = type(exc).__name__
    return name in {"LocalEntryNotFoundError", "RepositoryNotFoundError", "GatedRepoError"} or (
        isinstance(exc, OSError) and "huggingface.co" in str(exc)
    )


def _input_keys(data: MetricInput, qe: bool) -> list[list[Key]]:
    """Model inputs per reference stream: (src, mt, ref), or a single row of (src, mt, None)."""
    pairs = list(zip(data.sources, data.hypotheses))
    if qe:
        return [[(src, mt, None) for src, mt in pairs]]
    return [[(src, mt, ref) for (src, mt), ref in zip(pairs, stream)] for stream in data.references]


def _raised_in_encoder(exc: BaseException) -> bool:
    """Whether the failure came from COMET building its encoder (tokenizer/config lookup)."""
    marker = os.sep + os.path.join("comet", "encoders") + os.sep
    tb = exc.__traceback__
    while tb is not None:
        if marker in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return False


def _to_device(obj: Any, device) -> Any:
    """Move the tensors of a COMET batch (dicts / tuples / lists of tensors) to ``device``."""
    if device.type == "cpu":
        return obj
    import torch

    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return tuple(_to_device(v, device) for v in obj)
    if isinstance(obj, list):
        return [_to_device(v, device) for v in obj]
    if hasattr(obj, "to") and hasattr(obj, "keys"):  # transformers BatchEncoding
        return obj.to(device)
    return obj


@contextlib.contextmanager
def _quiet_comet_logs():
    """COMET logs "Encoder model frozen." at INFO on every load; keep it out of the console."""
    logger = logging.getLogger("comet")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)
