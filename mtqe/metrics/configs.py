"""Typed config schemas of the metric types (one dataclass per ``type``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from omegaconf import MISSING


@dataclass
class MetricConfig:
    type: str = field(default=MISSING, metadata={"help": "bleu | chrf | ter | comet"})
    name: str = field(default=MISSING, metadata={"help": "column name on the leaderboard"})


@dataclass
class SacreBleuConfig(MetricConfig):
    tokenize: str = field(
        default="auto",
        metadata={"help": "auto (zh for Chinese, ja-mecab for Japanese, 13a otherwise) or a sacrebleu tokenizer"},
    )
    lowercase: bool = False


@dataclass
class ChrfConfig(MetricConfig):
    char_order: int = 6
    word_order: int = field(default=0, metadata={"help": "0: chrF, 2: chrF++"})
    beta: int = 2
    lowercase: bool = False


@dataclass
class TerConfig(MetricConfig):
    asian_support: str = field(
        default="auto", metadata={"help": "auto (on for zh/ja/ko targets) | true | false: CJK-aware tokenization"}
    )
    normalized: bool = False
    no_punct: bool = False
    case_sensitive: bool = False


@dataclass
class CometConfig(MetricConfig):
    model: str = field(
        default="Unbabel/wmt22-comet-da",
        metadata={"help": "hub id (online) or a local checkpoint: .../checkpoints/model.ckpt or its model dir"},
    )
    reference_free: bool = field(
        default=False, metadata={"help": "true for QE checkpoints (CometKiwi): scores (src, mt) only"}
    )
    batch_size: int = 16
    gpus: int = field(default=0, metadata={"help": "0: CPU; 1: one GPU"})
    precision: str = field(default="32", metadata={"help": "32 | bf16 (autocast) | 16"})
    multi_reference: str = field(default="mean", metadata={"help": "mean | max over references"})
    encoder_dir: Optional[str] = field(
        default=None,
        metadata={"help": "local directory of the checkpoint's encoder (e.g. xlm-roberta-large) for offline use"},
    )
    trust_checkpoint: bool = field(
        default=False,
        metadata={
            "help": "unpickle the checkpoint in full (it can run code) when the safe loader refuses it; "
            "only for a file whose origin you trust; a warning is printed"
        },
    )


METRIC_SCHEMAS: dict[str, type[MetricConfig]] = {
    "bleu": SacreBleuConfig,
    "chrf": ChrfConfig,
    "ter": TerConfig,
    "comet": CometConfig,
}
