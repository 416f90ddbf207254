"""COMET (unbabel-comet 2.2.7) as an mtqe metric: reference-based or quality estimation.

Scale: COMET's native segment scores, **not** multiplied by 100 (wmt22-comet-da and
CometKiwi give roughly 0-1, occasionally a little outside). The corpus score is the mean
of the segment scores; ``stats`` is that column, so bootstrap and paired tests resample it.

:class:`CometMetric` is the first :class:`~mtqe.metrics.neural.NeuralMetric`: the base
loads once, de-duplicates, caches, batches, casts, halves batches on CUDA OOM, counts
truncation and reports progress; this module only says how COMET checkpoints are found and
loaded, how its inputs are built and how its outputs are read.

How COMET is driven, and why not ``CometModel.predict``: each batch goes through COMET's
own ``prepare_for_inference`` and ``predict_step`` (exactly what ``predict`` runs inside a
Lightning ``Trainer``). ``predict`` adds nothing to the numbers (the tests compare against
it) but has process-wide side effects: Trainer banners and tips on stdout, a global
``warnings`` filter, ``exit()`` on non-zero ranks with ``gpus > 1``; it also ignores
precision on CPU and keeps no cache across calls. Casting the model with
``.to(bfloat16)`` crashes in COMET, hence autocast for ``precision: bf16``.

Checkpoints are read with torch's weights-only unpickler and never unpickled in full unless
``trust_checkpoint: true`` (see :mod:`mtqe.metrics.checkpoint_safety`).

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
  resolved with ``snapshot_download`` directly (``local_files_only`` when offline); only
  legacy names (no ``/``) go through ``comet.download_model``, and offline only COMET's
  legacy cache folder is looked at.
* COMET's embedding LRU cache is not used: it is keyed by tensor identity and never hits.

Encode once: for regression models (wmt22-comet-da: src, mt and ref encoded separately) a
batch is scored by :mod:`mtqe.metrics.comet_embeddings` instead of ``predict_step``: each
distinct text's sentence embedding is computed once per metric instance and the model's own
``estimate`` combines them, so source and reference are encoded once for all systems and
reference streams. Joint models (CometKiwi, XCOMET) run ``predict_step`` per input and say
why in ``details["encode_once"]``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import re
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mtqe.errors import ConfigError
from mtqe.metrics.base import MetricInput
from mtqe.metrics.checkpoint_safety import (
    COMET_SAFE_GLOBALS,
    allowed_globals,
    load_kwargs,
    refusal_reason,
    refused_global,
    warn_trusted,
)
from mtqe.metrics.checkpoints import LoadFailure, first_line, hub_snapshot, is_local
from mtqe.metrics.comet_embeddings import EmbeddingScorer, VectorStore, encode_once_reason
from mtqe.metrics.configs import CometConfig
from mtqe.metrics.neural import NeuralMetric
from mtqe.metrics.neural_batching import Key
from mtqe.metrics.neural_types import CheckpointFacts, InputPlan, LoadedModel, ModelTraits, Unscorable
from mtqe.metrics.score_cache import ScoreCache

log = logging.getLogger(__name__)


_LOCAL_HINT = "/path/to/checkpoints/model.ckpt"


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
        raise LoadFailure(
            f"unbabel-comet cannot be imported ({first_line(exc)}); install it with "
            "`pip install unbabel-comet==2.2.7 'transformers<5'`"
        ) from None


class CometMetric(NeuralMetric):
    """COMET segment and corpus scores; see the module docstring for the behaviour.

    ``CometMetric(cfg=CometConfig(...), cache=ScoreCache(path) or None)``.

    ``info.needs_reference`` follows ``cfg.reference_free`` (known without loading): set
    ``reference_free: true`` for QE checkpoints so that the pipeline also scores documents
    that have no reference. A QE checkpoint is detected after loading either way and then
    ignores any references it is given.
    """

    family = "comet"
    package = "unbabel-comet"
    encode_once = True  # False: every input runs the full model (tests and benchmarks compare the paths)

    def __init__(self, *, cfg: CometConfig, cache: ScoreCache | None = None) -> None:
        super().__init__(cfg=cfg, cache=cache)  # values were checked by CometConfig.__post_init__
        self.cfg: CometConfig = cfg
        self._embeddings = EmbeddingScorer()  # encode once: sentence embeddings by text
        self._embedding_counts = (0, 0, 0)
        self._vectors: VectorStore | None = None  # source/reference embeddings across runs
        self.info = self.neural_info(
            needs_reference=not cfg.reference_free,
            description=(
                "COMET quality estimation (src, mt)"
                if cfg.reference_free
                else "COMET (src, mt, ref); several references: per-segment "
                f"{cfg.multi_reference} over references"
            ),
        )

    # ----------------------------------------------------------------- finding the checkpoint

    def resolve_checkpoint(self, offline: bool) -> Path:
        model = str(self.cfg.model).strip()
        if is_local(model):
            path = Path(model).expanduser()
            if path.is_dir():
                path = path / "checkpoints" / "model.ckpt"
            if not path.is_file():
                raise LoadFailure(
                    f"COMET checkpoint {str(path)!r} does not exist. Set {self.config_key('model')} "
                    "to .../checkpoints/model.ckpt, its model directory, or a hub id such as "
                    "Unbabel/wmt22-comet-da"
                )
            return path
        if "/" not in model:
            return self._resolve_legacy(model, offline)
        snapshot = hub_snapshot(
            model, offline, family="COMET", model_key=self.config_key("model"), local_hint=_LOCAL_HINT
        )
        checkpoint = snapshot / "checkpoints" / "model.ckpt"
        if not checkpoint.is_file():
            raise LoadFailure(
                f"hub repository {model!r} has no checkpoints/model.ckpt: not a COMET model. "
                f"Set {self.config_key('model')} to a COMET checkpoint"
            )
        return checkpoint

    def _resolve_legacy(self, name: str, offline: bool) -> Path:
        """Pre-hub COMET names (wmt20-comet-da, ...): COMET's own cache folder and S3 downloader."""
        folder = Path.home() / ".cache" / "torch" / "unbabel_comet" / name / "checkpoints"
        cached = sorted(folder.glob("*.ckpt")) if folder.is_dir() else []
        if cached:
            return cached[-1]
        if offline:
            raise LoadFailure(
                f"COMET model {name!r} is not available offline (HF_HUB_OFFLINE=1 and not in "
                f"{folder.parent.parent}). Download it online once (`comet-score --model {name}`) "
                f"or set {self.config_key('model')}={_LOCAL_HINT}"
            )
        _comet_models()  # first import through the guard: root logging restored
        from comet import download_model

        try:
            return Path(download_model(name))
        except Exception as exc:  # noqa: BLE001 -- third-party download: any failure means "not here"
            raise LoadFailure(
                f"COMET model {name!r} could not be downloaded ({first_line(exc)}). Use a hub id such "
                f"as Unbabel/wmt22-comet-da or set {self.config_key('model')}={_LOCAL_HINT}"
            ) from None

    def preflight(self, src_lang: str, tgt_lang: str) -> list[str]:
        """A checkpoint or encoder written as a local path must exist (hub ids: checked when loading)."""
        if is_local(str(self.cfg.model).strip()):
            try:
                self.resolve_checkpoint(offline=True)
            except LoadFailure as exc:
                raise ConfigError(str(exc)) from None
        if self.cfg.encoder_dir and not Path(self.cfg.encoder_dir).expanduser().is_dir():
            raise ConfigError(
                f"{self.config_key('encoder_dir')}={self.cfg.encoder_dir!r} is not a directory: point it at the "
                "checkpoint's encoder (e.g. a local xlm-roberta-large) or leave it unset"
            )
        return []

    # ----------------------------------------------------------------- loading

    def load_model(self, checkpoint: Path, offline: bool) -> Any:
        hparams_file = checkpoint.parent.parent / "hparams.yaml"
        hparams = _read_hparams(checkpoint, hparams_file)
        overrides: dict[str, Any] = {"load_pretrained_weights": False, "local_files_only": offline}
        stored_encoder = str(hparams.get("pretrained_model") or "")
        encoder = stored_encoder
        if self.cfg.encoder_dir:
            encoder_dir = Path(self.cfg.encoder_dir).expanduser()
            if not encoder_dir.is_dir():
                raise LoadFailure(
                    f"{self.config_key('encoder_dir')}={self.cfg.encoder_dir!r} is not a directory "
                    f"(expected a local copy of {stored_encoder!r}: its tokenizer files and config.json)"
                )
            overrides["pretrained_model"] = str(encoder_dir)
            encoder = str(encoder_dir)
        elif _encoder_missing(stored_encoder, offline):
            raise LoadFailure(self._encoder_reason(stored_encoder, offline))
        models = _comet_models()
        identifier = hparams.get("class_identifier")
        model_class = models.str2model.get(identifier) if isinstance(identifier, str) else None
        if model_class is None:
            raise LoadFailure(
                f"{str(hparams_file)!r}: class_identifier {identifier!r} is not a COMET 2.2.7 model "
                f"({', '.join(sorted(models.str2model))})"
            )
        if hparams.get("layer_transformation") == "sparsemax_patch":
            overrides["layer_transformation"] = "softmax"  # what comet.load_from_checkpoint does
        try:
            return self._load_lightning(model_class, checkpoint, overrides)
        except LoadFailure:
            raise
        except Exception as exc:  # noqa: BLE001 -- third-party load: the checkpoint or encoder is unusable
            raise LoadFailure(self._load_error(exc, checkpoint, encoder, stored_encoder, offline)) from None

    def _load_lightning(self, model_class: Any, checkpoint: Path, overrides: dict[str, Any]) -> Any:
        """Lightning's load, weights-only with COMET's allow-list unless the user trusts the file."""
        trusted = bool(self.cfg.trust_checkpoint)
        if trusted:
            warn_trusted(checkpoint, self.config_key("trust_checkpoint"))
        with _quiet_comet_logs(), allowed_globals(COMET_SAFE_GLOBALS):
            try:
                return model_class.load_from_checkpoint(
                    checkpoint, map_location="cpu", strict=False, **load_kwargs(trusted=trusted), **overrides
                )
            except pickle.UnpicklingError as exc:
                refused = refused_global(exc)
                if refused is None:
                    raise
        raise LoadFailure(
            refusal_reason(checkpoint, refused, family="COMET", trust_key=self.config_key("trust_checkpoint"))
        )

    def _load_error(self, exc: Exception, checkpoint: Path, encoder: str, stored_encoder: str, offline: bool) -> str:
        """One line for a failed load: the encoder, an unreadable file, or anything else."""
        if _raised_in_encoder(exc) or _is_hub_miss(exc) or (encoder and encoder in str(exc)):
            if self.cfg.encoder_dir:
                return (
                    f"{self.config_key('encoder_dir')}={self.cfg.encoder_dir!r} cannot be loaded as the "
                    f"checkpoint's encoder ({first_line(exc, 160)}); it must hold the tokenizer files "
                    f"and config.json of {stored_encoder!r}"
                )
            return self._encoder_reason(encoder, offline, exc)
        if isinstance(exc, (pickle.UnpicklingError, EOFError)):
            found = re.search(r"Unpickler error:\s*(\S[^\n]*)", str(exc))
            detail = f"unpickler: {found.group(1).strip()}" if found else first_line(exc)
            return (
                f"COMET checkpoint {str(checkpoint)!r} is not a readable PyTorch checkpoint ({detail}); "
                "is it corrupt or an incomplete download? Download it again"
            )
        return f"COMET checkpoint {str(checkpoint)!r} could not be loaded ({first_line(exc)})"

    def _encoder_reason(self, encoder: str, offline: bool, exc: BaseException | None = None) -> str:
        where = "offline (HF_HUB_OFFLINE=1 and not in the Hugging Face cache)" if offline else "here"
        cause = f" ({first_line(exc, 160)})" if exc is not None else ""
        return (
            f"the encoder {encoder!r} named in the COMET checkpoint (pretrained_model) is not available "
            f"{where}{cause}. Set {self.config_key('encoder_dir')}=/path/to/{Path(encoder).name} (only "
            f"its config.json and tokenizer files are read; the weights come from the checkpoint) or "
            f"download it online once (`huggingface-cli download {encoder}`)"
        )

    def read_model(self, model: Any) -> tuple[ModelTraits, Mapping[str, Any]]:
        models = _comet_models()
        if isinstance(model, models.UnifiedMetric):
            # joint: segments are concatenated into one sequence (UnifiedMetric, XCOMET)
            segments = tuple(model.hparams.input_segments)
            accepts, requires, joint = "ref" in segments, bool(model.requires_references()), True
        elif isinstance(model, models.ReferencelessRegression):
            segments, accepts, requires, joint = ("src", "mt"), False, False, False
        else:  # RegressionMetric, RankingMetric: separate src/mt/ref encodings
            requires = bool(model.requires_references())
            segments = ("src", "mt", "ref") if requires else ("src", "mt")
            accepts, joint = requires, False
        traits = ModelTraits(model_class=type(model).__name__, accepts_reference=accepts, requires_reference=requires)
        return traits, {"segments": segments, "joint": joint, "no_reuse": encode_once_reason(model, models)}

    def max_input_tokens(self, model: Any) -> int:
        return int(model.encoder.max_positions)

    # ----------------------------------------------------------------- inputs and outputs

    def _qe(self, facts: CheckpointFacts) -> bool:
        return bool(self.cfg.reference_free) or not facts.accepts_reference

    def plan_inputs(self, data: MetricInput, facts: CheckpointFacts) -> InputPlan | Unscorable:
        """(src, mt, ref) per reference stream, or a single row of (src, mt, None) in QE mode."""
        scorer = self._embeddings
        self._embedding_counts = (scorer.encoded, scorer.reused, scorer.from_store)  # this call's start
        qe = self._qe(facts)
        if qe and facts.requires_reference:
            return Unscorable(
                f"COMET checkpoint {self.model_label!r} ({facts.model_class}) needs references, but "
                f"{self.config_key('reference_free')}=true: use a QE checkpoint (e.g. "
                "Unbabel/wmt22-cometkiwi-da) or set reference_free=false"
            )
        if not qe and not data.references:
            return Unscorable(
                f"COMET model {self.model_label!r} is reference-based and no reference was given; add "
                f"a reference, or use a QE checkpoint with {self.config_key('reference_free')}=true",
                refs=0,
            )
        pairs = list(zip(data.sources, data.hypotheses))
        if qe:
            rows = [[(src, mt, None) for src, mt in pairs]]
            return InputPlan(rows=rows, mode="qe", n_refs=0, texts=rows)  # a key is its texts
        rows = [[(src, mt, ref) for (src, mt), ref in zip(pairs, stream)] for stream in data.references]
        return InputPlan(rows=rows, mode="ref", n_refs=len(rows), texts=rows)

    def token_lengths(self, loaded: LoadedModel, texts: list[str]) -> dict[str, int]:
        tokenizer = loaded.model.encoder.tokenizer
        unique = list(dict.fromkeys(texts))
        ids = tokenizer(unique, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
        return {text: len(tok) for text, tok in zip(unique, ids)}

    def is_truncated(self, loaded: LoadedModel, key: Key, lengths: Mapping[str, int]) -> bool:
        """Whether COMET cuts any token of this input (mirrors its encoders' truncation)."""
        src, mt, ref = key
        limit = loaded.facts.max_positions
        texts = {"src": src, "mt": mt, "ref": ref}
        used = [s for s in loaded.extra["segments"] if texts[s] is not None]
        # each segment is tokenized with max_length = max_positions - 2 (specials included)
        if any(lengths[texts[s]] > limit - 2 for s in used):
            return True
        if not loaded.extra["joint"]:
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

    def _reuses(self, loaded: LoadedModel, batch: list[Key]) -> bool:
        """Whether this batch is scored from reusable sentence embeddings (encode once)."""
        return self.encode_once and loaded.extra.get("no_reuse") is None and all(None not in k for k in batch)

    def encode_inputs(self, loaded: LoadedModel, batch: list[Key]) -> Any:
        if self._reuses(loaded, batch):
            return _EncodeOnce(batch)  # texts are encoded in predict_batch, only those not in memory
        samples = [
            {"src": src, "mt": mt} if ref is None else {"src": src, "mt": mt, "ref": ref} for src, mt, ref in batch
        ]
        return _to_device(loaded.model.prepare_for_inference(samples), loaded.device)

    def predict_batch(self, loaded: LoadedModel, encoded: Any) -> list[float]:
        if isinstance(encoded, _EncodeOnce):
            store = self._vector_store(loaded)
            return self._embeddings.score(loaded.model, loaded.device, encoded.keys, self._batch_cap, store)
        prediction = loaded.model.predict_step(encoded)
        return prediction["scores"].detach().float().cpu().tolist()

    # ----------------------------------------------------------------- results

    def combine(self, per_stream: np.ndarray) -> np.ndarray:
        return per_stream.max(axis=0) if self.cfg.multi_reference == "max" else per_stream.mean(axis=0)

    def cache_identity(self, facts: CheckpointFacts, mode: str) -> dict[str, Any]:
        return {
            "metric": "comet",
            "model": self.model_label,
            "checkpoint_sha256": facts.checkpoint_hash,
            "comet": self.version(),
            "precision": self.precision,
            "encoder": str(self.cfg.encoder_dir or ""),
            "mode": mode,
        }

    def signature_fields(self) -> list[str]:
        return [f"agg:{self.cfg.multi_reference}"]

    def _vector_store(self, loaded: LoadedModel) -> VectorStore | None:
        """Where source and reference embeddings persist across runs: ``embeddings.sqlite``
        beside the score cache, under this metric's cache identity; None without a cache."""
        if self.cache is None:
            return None
        if self._vectors is None:
            from mtqe.corpus.align.embedding_store import EmbeddingStore

            store = EmbeddingStore(Path(self.cache.path).parent / "embeddings.sqlite")
            ident = store.register_identity(self.cache_identity(loaded.facts, "sentence-embedding"))
            self._vectors = (store, ident)
        return self._vectors

    def _encode_once_details(self, loaded: LoadedModel) -> dict[str, Any]:
        """Whether sentence embeddings were reused, and this call's counts (texts run through the
        encoder, embeddings taken from memory)."""
        reason = loaded.extra.get("no_reuse") or (None if self.encode_once else "switched off")
        if reason is not None:
            return {"on": False, "why": reason}
        encoded, reused, stored = self._embedding_counts
        details = {
            "on": True,
            "texts_encoded": self._embeddings.encoded - encoded,
            "embeddings_reused": self._embeddings.reused - reused,
            "embeddings_held": len(self._embeddings),
        }
        if self.cache is not None:
            details["embeddings_from_cache"] = self._embeddings.from_store - stored
        return details

    def result_details(self, plan: InputPlan, per_stream: np.ndarray, data: MetricInput) -> dict[str, Any]:
        qe = plan.mode == "qe"
        details: dict[str, Any] = {
            "reference_free": qe,
            "references": () if qe else tuple(data.reference_ids),
            "multi_reference": self.cfg.multi_reference,
            "scale": "COMET native (not x100)",
        }
        if self.cfg.trust_checkpoint:
            details["trusted_checkpoint"] = True
        if self._loaded is not None:
            details["encode_once"] = self._encode_once_details(self._loaded)
        if plan.n_refs > 1:
            details["per_reference"] = {
                ref_id: tuple(float(s) for s in row) for ref_id, row in zip(data.reference_ids, per_stream)
            }
        return details


@dataclass(frozen=True)
class _EncodeOnce:
    """A batch scored from sentence embeddings (see :mod:`mtqe.metrics.comet_embeddings`)."""

    keys: list[Key]


def _read_hparams(checkpoint: Path, hparams_file: Path) -> dict[str, Any]:
    import yaml

    if not hparams_file.is_file():
        raise LoadFailure(
            f"COMET checkpoint {str(checkpoint)!r} has no {str(hparams_file)!r} (COMET's layout is "
            "<model>/hparams.yaml + <model>/checkpoints/model.ckpt)"
        )
    try:
        hparams = yaml.safe_load(hparams_file.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LoadFailure(f"cannot read {str(hparams_file)!r}: {first_line(exc)}") from None
    if not isinstance(hparams, dict):
        raise LoadFailure(f"{str(hparams_file)!r} is not a mapping of COMET hyper-parameters")
    return hparams


def _encoder_missing(encoder: str, offline: bool) -> bool:
    """Cheap pre-check (before reading a multi-GB checkpoint) that the stored encoder resolves."""
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


def _is_hub_miss(exc: BaseException) -> bool:
    """A Hugging Face "not found locally / cannot connect" error (the encoder, not the ckpt)."""
    name = type(exc).__name__
    return name in {"LocalEntryNotFoundError", "RepositoryNotFoundError", "GatedRepoError"} or (
        isinstance(exc, OSError) and "huggingface.co" in str(exc)
    )


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
