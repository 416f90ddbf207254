"""XCOMET (``Unbabel/XCOMET-XL``, ``-XXL``) as an mtqe metric: scores and error spans.

XCOMET is a COMET checkpoint of class ``XCOMETMetric`` (unbabel-comet 2.2.7,
``comet/models/multitask/xcomet_metric.py``): one XLM-R encoder reads the hypothesis joined
with the source and/or the reference, a regression head gives sentence scores and a
word-level head tags each hypothesis subword as no error / minor / major / critical. Its
``predict_step`` decodes the tags into spans (character offsets into the hypothesis, the
mean probability of the tagged subwords as confidence) and folds them into the score as an
MQM-like penalty. :class:`XcometMetric` runs exactly that ``predict_step`` per batch, so its
scores and spans are XCOMET's own (the tests compare both with ``predict``); everything else
(loading, offline errors, caching, batching, truncation counts) is :class:`CometMetric`'s.

Modes, as XCOMET decides them from the inputs it is given:

* reference-based (``reference_free: false``): (src, mt, ref) -> three encodings
  ``mt+src``, ``mt+ref``, ``mt+src+ref``; score and span probabilities are weighted sums;
* quality estimation (``reference_free: true``, the same checkpoint): (src, mt) -> one
  encoding ``mt+src``.

Several references (reference-based): the segment score is the mean (or max) over the
references; the spans are those of the first reference, or with ``multi_reference: max``
those of the reference whose score is kept. Spans XCOMET marks on the ``<s>`` special token
alone cover no character of the hypothesis and are dropped.

Precision: ``auto`` is bf16 on a GPU and 32 on the CPU; bf16 on a GPU also casts the weights
to bf16 (XCOMET-XXL, 10.7B parameters, needs about 43 GB in fp32 and half that in bf16),
shown as ``weights:bf16`` in the signature; on the CPU bf16 is autocast, as for COMET.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mtqe.metrics.base import ErrorSpan, MetricInput
from mtqe.metrics.checkpoints import LoadFailure
from mtqe.metrics.comet_metric import CometMetric, _read_hparams
from mtqe.metrics.configs import XcometConfig
from mtqe.metrics.neural_types import CheckpointFacts, InputPlan, LoadedModel, Prediction
from mtqe.metrics.score_cache import ScoreCache

XCOMET_CLASS = "xcomet_metric"  # COMET's class_identifier of XCOMET checkpoints


class XcometMetric(CometMetric):
    """XCOMET segment and corpus scores with per-segment error spans; see the module docstring.

    ``XcometMetric(cfg=XcometConfig(...), cache=ScoreCache(path) or None)``.
    """

    family = "xcomet"

    def __init__(self, *, cfg: XcometConfig, cache: ScoreCache | None = None) -> None:
        if str(cfg.precision).strip().lower() == "auto":
            cfg = dataclasses.replace(cfg, precision="bf16" if int(cfg.gpus) else "32")
        super().__init__(cfg=cfg, cache=cache)
        self.cfg: XcometConfig = cfg
        # bf16 weights halve GPU memory; on the CPU bf16 stays autocast (weights fp32)
        self.bf16_weights = self.precision == "bf16" and int(cfg.gpus) == 1
        self.info = self.neural_info(
            needs_reference=not cfg.reference_free,
            description=(
                "XCOMET quality estimation (src, mt) with error spans"
                if cfg.reference_free
                else "XCOMET (src, mt, ref) with error spans; several references: per-segment "
                f"{cfg.multi_reference} over references"
            ),
        )

    def load_model(self, checkpoint: Path, offline: bool) -> Any:
        hparams = _read_hparams(checkpoint, checkpoint.parent.parent / "hparams.yaml")
        identifier = hparams.get("class_identifier")
        if identifier != XCOMET_CLASS:
            raise LoadFailure(
                f"{str(checkpoint)!r} is a COMET {identifier!r} checkpoint, not XCOMET ({XCOMET_CLASS}): "
                f"score it with `type: comet`, or set {self.config_key('model')} to Unbabel/XCOMET-XL"
            )
        model = super().load_model(checkpoint, offline)
        if self.bf16_weights:
            import torch

            model.to(torch.bfloat16)
        return model

    def predict_batch(self, loaded: LoadedModel, encoded: Any) -> list[Prediction]:
        out = loaded.model.predict_step(encoded)
        scores = out["scores"].detach().float().cpu().tolist()
        spans = out["metadata"]["error_spans"]
        # a span on the <s> special token alone has offsets (0, 0): no character, dropped
        return [
            Prediction(score, tuple(_span(s) for s in found if s["end"] > s["start"]))
            for score, found in zip(scores, spans)
        ]

    def combine_spans(
        self, per_stream: list[list[tuple[ErrorSpan, ...] | None]], scores: np.ndarray
    ) -> list[tuple[ErrorSpan, ...] | None]:
        """The spans of the first reference, or with ``multi_reference: max`` of the reference
        whose score is the segment's."""
        if len(per_stream) == 1 or self.cfg.multi_reference != "max":
            return list(per_stream[0])
        best = np.argmax(scores, axis=0)
        return [per_stream[int(stream)][i] for i, stream in enumerate(best)]

    def cache_identity(self, facts: CheckpointFacts, mode: str) -> dict[str, Any]:
        # "xcomet" keeps these rows (with spans) apart from the same checkpoint run as `type: comet`
        return {**super().cache_identity(facts, mode), "metric": "xcomet", "weights": self._weights()}

    def signature_fields(self) -> list[str]:
        return [*super().signature_fields(), f"weights:{self._weights()}"]

    def result_details(self, plan: InputPlan, per_stream: np.ndarray, data: MetricInput) -> dict[str, Any]:
        details = super().result_details(plan, per_stream, data)
        if plan.n_refs > 1:
            details["error_spans_from"] = (
                "reference of the max score" if self.cfg.multi_reference == "max" else data.reference_ids[0]
            )
        return details

    def _weights(self) -> str:
        return "bf16" if self.bf16_weights else "fp32"


def _span(found: Mapping[str, Any]) -> ErrorSpan:
    """One of XCOMET's decoded spans (text, confidence, severity, start, end) as an ErrorSpan."""
    return ErrorSpan(
        start=int(found["start"]),
        end=int(found["end"]),
        text=str(found["text"]),
        severity=str(found["severity"]),
        confidence=float(found["confidence"]),
    )
