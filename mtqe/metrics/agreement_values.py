"""Frozen values of the metric–human agreement (:mod:`mtqe.metrics.agreement`), kept apart
from the computation so that results.json and the report read them without loading it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

AGREEMENT_FIELDS = ("document", "src_lang", "tgt_lang", "metric", "human", "statistic", "value",
                    "ci_low", "ci_high", "n_systems", "n_segments", "note")
DELTA_FIELDS = ("document", "src_lang", "tgt_lang", "system", "baseline", "metric", "human", "delta",
                "probability", "n_pairs", "n_agree", "note")


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class AgreementStat:
    """One statistic of agreement between an automatic metric and a human metric on one
    (document, pair). ``value`` is None when the statistic is not defined there, and then
    ``note`` says why; ``ci_low``/``ci_high`` are the bootstrap interval (None when none)."""

    document: str
    src_lang: str
    tgt_lang: str
    metric: str
    human: str
    statistic: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n_systems: int
    n_segments: int
    note: str = ""

    @property
    def pair(self) -> str:
        return f"{self.src_lang}-{self.tgt_lang}"

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in AGREEMENT_FIELDS}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> "AgreementStat":
        return AgreementStat(
            document=str(data["document"]), src_lang=str(data["src_lang"]), tgt_lang=str(data["tgt_lang"]),
            metric=str(data["metric"]), human=str(data["human"]), statistic=str(data["statistic"]),
            value=_opt_float(data["value"]), ci_low=_opt_float(data["ci_low"]),
            ci_high=_opt_float(data["ci_high"]), n_systems=int(data["n_systems"]),
            n_segments=int(data["n_segments"]), note=str(data.get("note") or ""),
        )


@dataclass(frozen=True)
class DeltaAgreement:
    """How far a leaderboard delta (``system`` minus ``baseline`` on ``metric``) can be
    believed: ``probability`` is the share of this run's judged system pairs with at least
    this |delta| on which the metric and the humans prefer the same system (``n_agree`` of
    ``n_pairs``). None with the reason in ``note`` when it cannot be estimated."""

    document: str
    src_lang: str
    tgt_lang: str
    system: str
    baseline: str
    metric: str
    human: str
    delta: float | None
    probability: float | None
    n_pairs: int
    n_agree: int
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in DELTA_FIELDS}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> "DeltaAgreement":
        return DeltaAgreement(
            document=str(data["document"]), src_lang=str(data["src_lang"]), tgt_lang=str(data["tgt_lang"]),
            system=str(data["system"]), baseline=str(data["baseline"]), metric=str(data["metric"]),
            human=str(data["human"]), delta=_opt_float(data["delta"]),
            probability=_opt_float(data["probability"]), n_pairs=int(data["n_pairs"]),
            n_agree=int(data["n_agree"]), note=str(data.get("note") or ""),
        )
