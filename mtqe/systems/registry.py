"""System types: name → (config schema, builder). Explicit, no import magic.

Builders import heavy backends (torch, transformers) only when called, so listing and
validating systems stays fast and loads no model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from mtqe.config_validation import typed_group_entry
from mtqe.registry import Registry, build_registry
from mtqe.systems.base import System
from mtqe.systems.cache import TranslationCache
from mtqe.systems.configs import (
    Ct2Config,
    ExistingSystemConfig,
    GGUFConfig,
    HFCausalConfig,
    HFSeq2SeqConfig,
    SystemConfig,
)


@dataclass(frozen=True)
class SystemType:
    schema: type[SystemConfig]
    build: Callable[[Any, TranslationCache | None], System]
    description: str


def _build_existing(cfg: ExistingSystemConfig, cache: TranslationCache | None) -> System:
    from mtqe.systems.existing import ExistingTranslationSystem

    return ExistingTranslationSystem(cfg)


def _build_hf_seq2seq(cfg: HFSeq2SeqConfig, cache: TranslationCache | None) -> System:
    from mtqe.systems.hf_seq2seq import HFSeq2SeqTranslator
    from mtqe.systems.mt_system import MTSystem

    return MTSystem(cfg=cfg, translator_factory=lambda: HFSeq2SeqTranslator(cfg=cfg), cache=cache)


def _build_ct2(cfg: Ct2Config, cache: TranslationCache | None) -> System:
    from mtqe.systems.ct2 import Ct2Translator
    from mtqe.systems.mt_system import MTSystem

    return MTSystem(cfg=cfg, translator_factory=lambda: Ct2Translator(cfg=cfg), cache=cache)


def _build_hf_causal(cfg: HFCausalConfig, cache: TranslationCache | None) -> System:
    from mtqe.systems.hf_causal import HFCausalTranslator
    from mtqe.systems.mt_system import MTSystem

    return MTSystem(cfg=cfg, translator_factory=lambda: HFCausalTranslator(cfg=cfg), cache=cache)


def _build_gguf(cfg: GGUFConfig, cache: TranslationCache | None) -> System:
    from mtqe.systems.gguf_causal import GGUFCausalTranslator
    from mtqe.systems.mt_system import MTSystem

    return MTSystem(cfg=cfg, translator_factory=lambda: GGUFCausalTranslator(cfg=cfg), cache=cache)


SYSTEM_TYPES: Registry[SystemType] = build_registry(
    "system type",
    [
        ("existing", SystemType(ExistingSystemConfig, _build_existing, "existing translation read from references/")),
        ("hf_seq2seq", SystemType(HFSeq2SeqConfig, _build_hf_seq2seq, "Hugging Face seq2seq (Marian, NLLB, M2M-100, MADLAD)")),
        ("gguf", SystemType(GGUFConfig, _build_gguf, "causal LM from a GGUF file, few-shot prompted")),
        ("hf_causal", SystemType(HFCausalConfig, _build_hf_causal, "Hugging Face chat LM, prompted through its chat template")),
        ("ctranslate2", SystemType(Ct2Config, _build_ct2, "CTranslate2 (int8) Marian, NLLB, M2M-100, converted once")),
    ],
)


def validate_system_config(name: str, node: Any) -> SystemConfig:
    """Typed config of system ``name`` (its key under ``system:``), validated against its type's schema."""
    schemas = {type_name: SYSTEM_TYPES.get(type_name).schema for type_name in SYSTEM_TYPES.names()}
    return typed_group_entry("system", name, node, schemas)


def build_system(cfg: SystemConfig, *, cache: TranslationCache | None) -> System:
    return SYSTEM_TYPES.get(cfg.type).build(cfg, cache)
