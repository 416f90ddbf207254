"""``human``: a document's human judgments (``mtqe corpus add-judgments``) as a metric column.

Segment scores are the judgments of ``data.system`` for ``data.document`` (the mean over
raters, or their z-scores with ``use_z``); a segment without a judgment is NaN, never
imputed. Statistics are :class:`~mtqe.metrics.base.MeanOfValid`'s ``[value, valid]`` rows, so
the system score is the mean over the judged segments and its CI, paired tests and clusters
come from the same statistics code as every other metric. A system without any judgment
is not available (with the reason), not zero.

Higher is better for every protocol: DA / ESA / SQM scores as given, MQM as the negated
error penalty (:mod:`mtqe.corpus.testsets.judgment_formats`). Result signatures start with
``human|protocol:P|name:N`` — how other code (agreement statistics) recognises a human column.
"""

from __future__ import annotations

import math

from mtqe.corpus.judgments import Judgments, load_judgments
from mtqe.corpus.model import Manifest
from mtqe.errors import MtqeError
from mtqe.metrics.base import MeanOfValid, Metric, MetricInfo, MetricInput, MetricResult
from mtqe.progress import Progress

SIGNATURE_PREFIX = "human|"


class HumanMetric(MeanOfValid, Metric):
    def __init__(self, *, cfg, manifest: Manifest | None = None) -> None:
        self.cfg = cfg
        self.info = MetricInfo(
            name=cfg.name, higher_is_better=True, needs_reference=False, needs_source=False,
            description=f"human judgments {cfg.judgments!r}{' (z-scores)' if cfg.use_z else ''}: mean over "
            "judged segments (MQM as a negative penalty)",
        )
        self._manifest = manifest
        self._loaded: dict[str, Judgments | str] = {}  # document -> judgments, or why there are none

    def signature(self, protocol: str | None = None) -> str:
        protocol = protocol or self.cfg.protocol or "*"  # "*": no judgments read yet, none required
        value = "z" if self.cfg.use_z else "raw"
        return f"{SIGNATURE_PREFIX}protocol:{protocol}|name:{self.cfg.judgments}|value:{value}"

    def _judgments(self, document: str) -> Judgments | str:
        if document not in self._loaded:
            try:
                if self._manifest is None:
                    from mtqe.corpus.manifest import load_manifest

                    self._manifest = load_manifest()
                found: Judgments | str = load_judgments(self._manifest, document, self.cfg.judgments)
            except MtqeError as exc:
                found = str(exc)
            if isinstance(found, Judgments) and self.cfg.protocol and found.protocol != self.cfg.protocol:
                found = (f"judgments {self.cfg.judgments!r} of {document} are {found.protocol}, "
                         f"not {self.cfg.protocol} (metric protocol setting)")
            if isinstance(found, Judgments) and self.cfg.use_z and not found.has_z:
                found = f"use_z: judgments {self.cfg.judgments!r} of {document} have no z-score for every item"
            self._loaded[document] = found
        return self._loaded[document]

    def score(self, data: MetricInput, *, progress: Progress | None = None) -> MetricResult:
        if not data.document or not data.system or not data.segment_ids:
            return MetricResult.not_available(self.cfg.name, self.signature(),
                                              "the caller did not say which document, system and segments")
        judgments = self._judgments(data.document)
        if isinstance(judgments, str):
            return MetricResult.not_available(self.cfg.name, self.signature(), judgments)
        signature = self.signature(judgments.protocol)
        found = judgments.for_system(data.system, data.segment_ids)
        if all(j is None for j in found):
            return MetricResult.not_available(
                self.cfg.name, signature, f"no human judgments for system {data.system} in {data.document}"
            )
        values = [math.nan if j is None else (j.z if self.cfg.use_z else j.score) for j in found]
        valid = [j is not None for j in found]
        stats = self.valid_stats(values, valid)
        raters = [j.raters for j in found if j is not None]
        return MetricResult(
            metric=self.cfg.name, score=self.aggregate(stats), signature=signature,
            segment_scores=tuple(float(v) for v in values), stats=stats,
            details={
                "protocol": judgments.protocol, "name": judgments.name, "judged": sum(valid),
                "segments": len(found),
                # mean ratings per judged segment; None when the file held aggregated scores
                "raters": None if any(r is None for r in raters) else sum(raters) / len(raters),
            },
        )
