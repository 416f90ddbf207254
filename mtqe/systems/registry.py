"""System types: name → (config schema, builder). Explicit, no import magic.

Builders import heavy backends (torch, transformers) only when called, so listing and
validating systems stays fast and loads no model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from mtqe.config_validation import to_typed
from mtqe.errors import ConfigError
from mtqe.registry import Registry, build_registry
from mtqe.systems.base import System
from mtqe.systems.cache import TranslationCache
from mtqe.systems.configs import ExistingSystemConfig, GGUFConfig, HFSeq2SeqConfig, SystemConfig


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
    ],
)


def validate_system_config(name: str, node: Any) -> SystemConfig:
    """Typed config of system ``name`` (the key under ``system:``); ``name`` defaults from the key."""
    if not hasattr(node, "get") or node.get("type") is None:
        raise ConfigError(f"system.{name}: missing `type` (one of: {', '.join(SYSTEM_TYPES.names())})")
    system_type = SYSTEM_TYPES.get(str(node.get("type")))
    from omegaconf import OmegaConf

    data = OmegaConf.to_container(node, resolve=True) if not isinstance(node, dict) else dict(node)
    data.setdefault("name", name)
    if data["name"] != name:
        raise ConfigError(f"system.{name}: `name: {data['name']}` differs from its key {name!r}")
    return to_typed(system_type.schema, data, where=f"system.{name}")


def build_system(cfg: SystemConfig, *, cache: TranslationCache | None) -> System:
    return SYSTEM_TYPES.get(cfg.type).build(cfg, cache)
