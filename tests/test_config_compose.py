"""Hydra configs compose into valid typed configs (no model is loaded)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from mtqe.catalogue import list_metrics, list_systems
from mtqe.config import register_configs
from mtqe.errors import ConfigError
from mtqe.pipeline import plan_run

CONF = Path(__file__).resolve().parents[1] / "conf"


@pytest.fixture()
def compose_cfg():
    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        yield lambda overrides=(): compose(config_name="config", overrides=list(overrides))
    GlobalHydra.instance().clear()


def test_default_experiment(compose_cfg) -> None:
    cfg = compose_cfg()
    assert list(cfg.system) == ["community", "gemma-3-270m"]
    assert list(cfg.metric) == ["bleu", "chrf", "comet"]
    assert (cfg.pair.src_lang, cfg.pair.tgt_lang) == ("ja", "zh")
    plan = plan_run(cfg)
    assert plan.systems["gemma-3-270m"].type == "gguf"
    assert plan.metrics["comet"].model == "Unbabel/wmt22-comet-da"
    assert plan.run.documents == ["jpus-2022"]


def test_every_system_and_metric_config_is_valid() -> None:
    assert not [l for l in list_systems(CONF) if "INVALID" in l]
    assert not [l for l in list_metrics(CONF) if "INVALID" in l]


def test_unknown_key_in_a_system_is_a_config_error(compose_cfg) -> None:
    cfg = compose_cfg(["+system.gemma-3-270m.temprature=0.3"])
    with pytest.raises(ConfigError, match="temprature"):
        plan_run(cfg)


def test_unsupported_pair_fails_before_loading(compose_cfg) -> None:
    cfg = compose_cfg(["pair=ja-en"])
    with pytest.raises(ConfigError, match="community.*does not support ja-en"):
        plan_run(cfg)


def test_unknown_document_and_language(compose_cfg) -> None:
    with pytest.raises(ConfigError, match="unknown document 'nope'"):
        plan_run(compose_cfg(["documents=[nope]"]))
    with pytest.raises(ConfigError):
        plan_run(compose_cfg(["pair.src_lang=xx"]))


def test_wrong_type_for_a_field(compose_cfg) -> None:
    with pytest.raises(ConfigError, match="max_new_tokens"):
        plan_run(compose_cfg(["+system.gemma-3-270m.max_new_tokens=lots"]))


def test_sweep_selects_single_system(compose_cfg) -> None:
    cfg = compose_cfg(["system=community"])
    assert list(cfg.system) == ["community"]
    assert OmegaConf.select(cfg, "stats.baseline") == "community"


def test_cjk_target_with_non_cjk_tokenizer_warns(compose_cfg) -> None:
    plan = plan_run(compose_cfg(["metric.bleu.tokenize=13a"]))
    assert any("13a" in w and "'zh'" in w for w in plan.warnings)
    assert not plan_run(compose_cfg()).warnings
