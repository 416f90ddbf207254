"""MetricX-24 (google-research/metricx) as an mtqe metric: reference-based or QE.

Scale: MetricX's own **error** score in [0, 25], lower is better (0: no error); the corpus
score is the mean of the segment scores. ``info.higher_is_better`` is False, so ranks,
clusters and charts read it the right way round.

The published code is not a package; what it does is re-implemented here from its
description (google-research/metricx ``metricx24/predict.py`` and the ``MT5ForRegression``
model class), with transformers' own ``MT5ForConditionalGeneration`` holding the weights
(the hub checkpoints use the same parameter names):

* **input**: ``"source: {src} candidate: {mt} reference: {ref}"``, or without the
  `` reference: …`` part in QE mode (the hybrid models score both ways);
* **tokens**: the mT5 tokenizer (the published models use ``google/mt5-xl``'s), cut at
  ``max_input_tokens`` (1536, the training length) *including* the end-of-sequence token,
  which is then dropped: the model reads at most 1535 tokens and never an EOS;
* **head**: the encoder reads the input, the decoder takes one step from token 0, and the
  score is the logit of ``<extra_id_10>`` (id 250089 in the mT5 vocabulary) at that step,
  clamped to [0, 25].

Batches are padded on the right with an attention mask, so inputs of unequal length batch
correctly (the published script stacks unpadded tensors and fails with batch_size > 1,
google-research/metricx#2).

Precision: ``bf16`` loads the weights in bfloat16 (the ``-bfloat16`` hub variants store them
so; the XXL configs use it). fp16 is not offered: mT5 activations overflow in float16.
``device_map`` (``auto`` ...) shards one model over the GPUs of a node with accelerate.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mtqe.errors import ConfigError
from mtqe.io import sha256_text
from mtqe.metrics.base import MetricInput
from mtqe.metrics.checkpoints import (
    LoadFailure,
    checkpoint_sha256,
    first_line,
    hub_snapshot,
    is_local,
    model_label,
)
from mtqe.metrics.configs import MetricxConfig
from mtqe.metrics.neural import NeuralMetric
from mtqe.metrics.neural_batching import Key
from mtqe.metrics.neural_types import CheckpointFacts, InputPlan, LoadedModel, ModelTraits, Unscorable
from mtqe.metrics.score_cache import ScoreCache

SCORE_TOKEN = "<extra_id_10>"  # its logit is the score
MT5_SCORE_ID = 250089  # SCORE_TOKEN's id in the mT5 vocabulary of the published models
MT5_VOCAB_SIZE = 250112  # the published models' embedding rows
MAX_SCORE = 25.0
FORMAT = "metricx-24"  # input format, part of the cache identity
_WEIGHT_SUFFIXES = (".safetensors", ".bin")
_LOCAL_HINT = "/path/to/metricx-24-hybrid-large-v2p6"


def metricx_input(src: str, mt: str, ref: str | None) -> str:
    """The text MetricX-24 reads: reference-based, or QE when ``ref`` is None."""
    text = f"source: {src} candidate: {mt}"
    return text if ref is None else f"{text} reference: {ref}"


class MetricxMetric(NeuralMetric):
    """MetricX-24 segment and corpus scores; see the module docstring.

    ``MetricxMetric(cfg=MetricxConfig(...), cache=ScoreCache(path) or None)``.
    """

    family = "metricx"
    package = "transformers"

    def __init__(self, *, cfg: MetricxConfig, cache: ScoreCache | None = None) -> None:
        super().__init__(cfg=cfg, cache=cache)  # values were checked by MetricxConfig.__post_init__
        self.cfg: MetricxConfig = cfg
        self._tokenizer: Any = None
        self.info = self.neural_info(
            needs_reference=not cfg.qe,
            higher_is_better=False,
            description=(
                "MetricX-24 QE (src, mt): error score 0-25, lower is better"
                if cfg.qe
                else "MetricX-24 (src, mt, ref): error score 0-25, lower is better; several references: "
                f"per-segment {cfg.multi_reference}"
            ),
        )

    # ----------------------------------------------------------------- finding the model

    def resolve_checkpoint(self, offline: bool) -> Path:
        model = str(self.cfg.model).strip()
        if is_local(model):
            path = Path(model).expanduser()
            if not (path / "config.json").is_file():
                raise LoadFailure(
                    f"MetricX model directory {str(path)!r} has no config.json. Set {self.config_key('model')} "
                    "to a directory holding config.json and the weights, or a hub id such as "
                    "google/metricx-24-hybrid-large-v2p6"
                )
            return path
        return hub_snapshot(model, offline, family="MetricX", model_key=self.config_key("model"), local_hint=_LOCAL_HINT)

    def checkpoint_hash(self, checkpoint: Path) -> str:
        """sha256 over the names and sha256s of config.json and the weight files."""
        files = sorted(
            p for p in checkpoint.iterdir()
            if p.is_file() and (p.name == "config.json" or p.name.endswith(_WEIGHT_SUFFIXES)
                                or p.name.endswith(".index.json"))
        )
        if not any(p.name.endswith(_WEIGHT_SUFFIXES) for p in files):
            raise LoadFailure(f"MetricX model directory {str(checkpoint)!r} holds no weights (*.safetensors, *.bin)")
        return sha256_text("\n".join(f"{p.name}\0{checkpoint_sha256(p, self.cache)}" for p in files))

    def preflight(self, src_lang: str, tgt_lang: str) -> list[str]:
        """Local paths must exist; ``device_map`` needs CUDA (hub ids are checked when loading)."""
        for key, value in (("model", self.cfg.model), ("tokenizer", self.cfg.tokenizer)):
            if is_local(str(value).strip()) and not Path(str(value).strip()).expanduser().is_dir():
                raise ConfigError(f"{self.config_key(key)}={value!r} is not a directory (give a hub id or a local dir)")
        if self.cfg.device_map is not None:
            import torch

            if not torch.cuda.is_available():
                raise ConfigError(
                    f"{self.config_key('device_map')}={self.cfg.device_map!r} shards the model over GPUs, but no "
                    f"CUDA device is visible here; set {self.config_key('device_map')}=null and "
                    f"{self.config_key('gpus')}=0 to run on the CPU"
                )
        return []

    # ----------------------------------------------------------------- loading

    def _load_tokenizer(self, offline: bool) -> Any:
        from transformers import AutoTokenizer

        name = str(self.cfg.tokenizer).strip()
        local = is_local(name)
        if local and not Path(name).expanduser().is_dir():
            raise LoadFailure(f"{self.config_key('tokenizer')}={name!r} is not a directory")
        try:
            return AutoTokenizer.from_pretrained(
                str(Path(name).expanduser()) if local else name, local_files_only=offline or local
            )
        except Exception as exc:  # noqa: BLE001 -- third-party load: any failure means "not usable here"
            where = "offline (HF_HUB_OFFLINE=1 and not in the Hugging Face cache)" if offline else "here"
            raise LoadFailure(
                f"the MetricX tokenizer {name!r} is not available {where} ({first_line(exc, 160)}). Download it "
                f"online once (`huggingface-cli download {name} --include '*.json' '*.model'`) or set "
                f"{self.config_key('tokenizer')}=/path/to/mt5-xl (a directory with its tokenizer files)"
            ) from None

    def load_model(self, checkpoint: Path, offline: bool) -> Any:
        import torch
        from transformers import MT5ForConditionalGeneration

        from mtqe.systems.hf_common import dtype_kwarg

        self._tokenizer = self._load_tokenizer(offline)  # first: small, and fails fast when missing
        kwargs: dict[str, Any] = {dtype_kwarg(): torch.bfloat16 if self.precision == "bf16" else torch.float32}
        if self.cfg.device_map is not None:
            kwargs["device_map"] = self.cfg.device_map
        try:
            model, info = MT5ForConditionalGeneration.from_pretrained(
                str(checkpoint), local_files_only=True, output_loading_info=True, **kwargs
            )
        except Exception as exc:  # noqa: BLE001 -- third-party load: the directory is unusable
            raise LoadFailure(f"MetricX model {str(checkpoint)!r} could not be loaded ({first_line(exc)})") from None
        # transformers fills missing weights with random values and only warns: refuse instead
        missing = [k for k in info.get("missing_keys", ()) if not k.endswith("embed_tokens.weight")]
        if missing:
            raise LoadFailure(
                f"MetricX model {str(checkpoint)!r} lacks {len(missing)} weights of an mT5 encoder-decoder "
                f"({', '.join(sorted(missing)[:3])}, ...): not a MetricX checkpoint"
            )
        self._check_vocabulary(model)
        return model

    def _check_vocabulary(self, model: Any) -> None:
        """The score logit must exist and, for a full mT5 vocabulary, be the published one."""
        index = self._score_index()
        rows = int(model.config.vocab_size)
        if index is None or index >= rows or (rows == MT5_VOCAB_SIZE and index != MT5_SCORE_ID):
            raise LoadFailure(
                f"the tokenizer {self.cfg.tokenizer!r} does not put {SCORE_TOKEN} at id {MT5_SCORE_ID} of the "
                f"model's {rows}-row vocabulary (got {index}); set {self.config_key('tokenizer')} to the mT5 "
                "tokenizer (google/mt5-xl)"
            )

    def _score_index(self) -> int | None:
        index = self._tokenizer.convert_tokens_to_ids(SCORE_TOKEN)
        return None if index is None or index == self._tokenizer.unk_token_id else int(index)

    def place_model(self, model: Any, device: Any) -> Any:
        if self.cfg.device_map is None:
            return super().place_model(model, device)
        return model.get_input_embeddings().weight.device  # accelerate placed the shards

    def read_model(self, model: Any) -> tuple[ModelTraits, Mapping[str, Any]]:
        traits = ModelTraits(
            model_class=f"{type(model).__name__} (MetricX-24 regression head)",
            accepts_reference=True,
            requires_reference=False,
        )
        return traits, {"tokenizer": self._tokenizer, "score_index": self._score_index()}

    def max_input_tokens(self, model: Any) -> int:
        return int(self.cfg.max_input_tokens)

    def configured_limit(self) -> int | None:
        return int(self.cfg.max_input_tokens)

    # ----------------------------------------------------------------- inputs and outputs

    def input_key(self, src: str, mt: str, ref: str | None) -> Key:
        return (metricx_input(src, mt, ref),)

    def plan_inputs(self, data: MetricInput, facts: CheckpointFacts) -> InputPlan | Unscorable:
        if not self.cfg.qe and not data.references:
            return Unscorable(
                f"MetricX ({self.model_label}) is reference-based here and no reference was given; add a "
                f"reference, or set {self.config_key('qe')}=true to score without one",
                refs=0,
            )
        pairs = list(zip(data.sources, data.hypotheses))
        if self.cfg.qe:
            texts = [[(src, mt, None) for src, mt in pairs]]
            mode = "qe"
        else:
            texts = [[(src, mt, ref) for (src, mt), ref in zip(pairs, stream)] for stream in data.references]
            mode = "ref"
        rows = [[self.input_key(*triple) for triple in row] for row in texts]
        return InputPlan(rows=rows, mode=mode, n_refs=0 if self.cfg.qe else len(rows), texts=texts)

    def token_lengths(self, loaded: LoadedModel, texts: list[str]) -> dict[str, int]:
        """Tokens with the end-of-sequence token, as the model's limit counts them."""
        unique = list(dict.fromkeys(texts))
        ids = loaded.extra["tokenizer"](unique, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
        return {text: len(tok) for text, tok in zip(unique, ids)}

    def encode_inputs(self, loaded: LoadedModel, batch: list[Key]) -> Any:
        import torch

        tokenizer = loaded.extra["tokenizer"]
        encoded = tokenizer(
            [key[0] for key in batch], max_length=loaded.facts.max_positions, truncation=True, padding=False
        )["input_ids"]
        ids = [row[:-1] for row in encoded]  # the end-of-sequence token is dropped, as MetricX does
        width = max(len(row) for row in ids)
        pad = int(tokenizer.pad_token_id)
        input_ids = torch.tensor([row + [pad] * (width - len(row)) for row in ids], dtype=torch.long)
        mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in ids], dtype=torch.long)
        return {"input_ids": input_ids.to(loaded.device), "attention_mask": mask.to(loaded.device)}

    def predict_batch(self, loaded: LoadedModel, encoded: Any) -> list[float]:
        import torch

        start = torch.zeros((encoded["input_ids"].shape[0], 1), dtype=torch.long, device=loaded.device)
        logits = loaded.model(**encoded, decoder_input_ids=start, use_cache=False).logits
        scores = logits[:, 0, loaded.extra["score_index"]].float().clamp(0.0, MAX_SCORE)
        return scores.cpu().tolist()

    # ----------------------------------------------------------------- results

    def combine(self, per_stream: np.ndarray) -> np.ndarray:
        """The best (lowest) error over references with ``multi_reference: min``, else the mean."""
        return per_stream.min(axis=0) if self.cfg.multi_reference == "min" else per_stream.mean(axis=0)

    def cache_identity(self, facts: CheckpointFacts, mode: str) -> dict[str, Any]:
        return {
            **super().cache_identity(facts, mode),
            "format": FORMAT,
            "tokenizer": self._tokenizer_identity(),
            "max_input_tokens": int(self.cfg.max_input_tokens),
        }

    def _tokenizer_identity(self) -> dict[str, Any]:
        """The tokenizer's files, without loading it (hub: cached commit; directory: digest)."""
        from mtqe.errors import MtqeError
        from mtqe.systems.hf_loading import model_fingerprint

        try:
            return model_fingerprint(str(self.cfg.tokenizer).strip())
        except MtqeError:
            return {"model": str(self.cfg.tokenizer)}

    def signature_fields(self) -> list[str]:
        return [f"mode:{'qe' if self.cfg.qe else 'ref'}", f"agg:{self.cfg.multi_reference}",
                f"tok:{model_label(str(self.cfg.tokenizer))}", f"max:{int(self.cfg.max_input_tokens)}"] + (
            [f"device_map:{self.cfg.device_map}"] if self.cfg.device_map else [])

    def result_details(self, plan: InputPlan, per_stream: np.ndarray, data: MetricInput) -> dict[str, Any]:
        qe = plan.mode == "qe"
        details: dict[str, Any] = {
            "reference_free": qe,
            "references": () if qe else tuple(data.reference_ids),
            "multi_reference": self.cfg.multi_reference,
            "scale": "MetricX error score 0-25, lower is better",
        }
        if plan.n_refs > 1:
            details["per_reference"] = {
                ref_id: tuple(float(s) for s in row) for ref_id, row in zip(data.reference_ids, per_stream)
            }
        return details
