"""The explicit registries: lookups, near-miss suggestions, duplicates rejected."""

from __future__ import annotations

import pytest

from mtqe.errors import ConfigError
from mtqe.metrics.registry import METRIC_TYPES
from mtqe.registry import build_registry
from mtqe.systems.registry import SYSTEM_TYPES


def test_unknown_name_suggests_close_match() -> None:
    with pytest.raises(ConfigError, match="Did you mean: chrf"):
        METRIC_TYPES.get("chrff")


def test_duplicate_names_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        build_registry("thing", [("a", 1), ("a", 2)])


def test_registered_types() -> None:
    assert SYSTEM_TYPES.names() == ["ctranslate2", "existing", "gguf", "hf_causal", "hf_seq2seq"]
    assert METRIC_TYPES.names() == [
        "bleu", "chrf", "comet", "human", "llm-judge", "metricx", "ter", "xcomet", "xsim",
    ]
