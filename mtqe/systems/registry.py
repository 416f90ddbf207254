"""System types: one entry per ``type`` — config schema, lazy ``"module:Class"`` target, description.

Adding a type is one config dataclass (``systems/configs.py``), one class and one entry here.
A target that is a :class:`~mtqe.systems.base.System` is built from its config; a target that
is a :class:`~mtqe.systems.base.Translator` is wrapped in an :class:`MTSystem` (cache, sentence
splitting) and created only when a segment is missing from the cache. Targets are imported
when a system is built, never when listing or validating configs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mtqe.config_validation import typed_group_entry
from mtqe.registry import Registry, build_registry, load_target
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
    target: str  # "module:Class", a System or a Translator taking cfg=
    description: str


SYSTEM_TYPES: Registry[SystemType] = build_registry(
    "system type",
    [
        ("existing", SystemType(ExistingSystemConfig, "mtqe.systems.existing:ExistingTranslationSystem",
                                "existing translation read from references/")),
        ("hf_seq2seq", SystemType(HFSeq2SeqConfig, "mtqe.systems.hf_seq2seq:HFSeq2SeqTranslator",
                                  "Hugging Face seq2seq (Marian, NLLB, M2M-100, MADLAD)")),
        ("gguf", SystemType(GGUFConfig, "mtqe.systems.gguf_causal:GGUFCausalTranslator",
                            "causal LM from a GGUF file, few-shot prompted")),
        ("hf_causal", SystemType(HFCausalConfig, "mtqe.systems.hf_causal:HFCausalTranslator",
                                 "Hugging Face chat LM, prompted through its chat template")),
        ("ctranslate2", SystemType(Ct2Config, "mtqe.systems.ct2:Ct2Translator",
                                   "CTranslate2 (int8) Marian, NLLB, M2M-100, converted once")),
    ],
)


def validate_system_config(name: str, node: Any) -> SystemConfig:
    """Typed config of system ``name`` (its key under ``system:``), validated against its type's schema."""
    schemas = {type_name: SYSTEM_TYPES.get(type_name).schema for type_name in SYSTEM_TYPES.names()}
    return typed_group_entry("system", name, node, schemas)


def build_system(cfg: SystemConfig, *, cache: TranslationCache | None) -> System:
    """The system of ``cfg`` (loads no model: a translator is created on first use)."""
    target = load_target(SYSTEM_TYPES.get(cfg.type).target)
    if issubclass(target, System):
        return target(cfg)
    from mtqe.systems.mt_system import MTSystem

    return MTSystem(cfg=cfg, translator_factory=lambda: target(cfg=cfg), cache=cache)
