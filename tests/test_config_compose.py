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

CONF = Path(__file__).resolve().parents[1] / "mtqe" / "conf"


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
    assert list(cfg.metric) == ["bleu", "chrf", "comet", "xsim"]
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


# --------------------------------------------------------------------------- system_settings_by_type

GPU = ["+experiment=gpu_batch", "cache_dir=/tmp/mtqe-test-cache",  # cache_dir: no ${hydra:} outside a run
       "system=[community,nllb-200-distilled-600m,m2m100-418m-ct2,gemma-3-270m,qwen2.5-1.5b-instruct]"]


def test_gpu_batch_sets_each_system_type(compose_cfg) -> None:
    # Merge semantics only: preflight would refuse int8_bfloat16 on a CPU-only machine (tested below).
    plan = plan_run(compose_cfg(GPU), overrides=GPU, preflight=False)
    seq2seq, ct2 = plan.systems["nllb-200-distilled-600m"], plan.systems["m2m100-418m-ct2"]
    gemma, qwen = plan.systems["gemma-3-270m"], plan.systems["qwen2.5-1.5b-instruct"]
    assert seq2seq.dtype == "auto" and (seq2seq.batching.batch_size, seq2seq.batching.max_batch_tokens) == (64, 16384)
    assert seq2seq.num_beams == 4  # fields the settings do not name keep the system's values
    assert ct2.compute_type == "int8_bfloat16" and ct2.batching.batch_size == 64
    assert qwen.dtype == "bfloat16" and qwen.batching.batch_size == 16
    assert qwen.batching.max_batch_tokens == 16384 and qwen.max_new_tokens == 1024
    assert gemma.dtype == "float32" and gemma.batching.batch_size == 128
    assert "community" not in plan.type_settings  # no settings for `existing`
    assert plan.type_settings["m2m100-418m-ct2"] == {
        "compute_type": "int8_bfloat16", "batching.batch_size": 64, "batching.max_batch_tokens": 16384}


def test_the_command_line_wins_over_the_per_type_settings(compose_cfg) -> None:
    overrides = GPU + ["++system.nllb-200-distilled-600m.batching.batch_size=16",
                       "system.m2m100-418m-ct2.compute_type=float32",
                       "~system.gemma-3-270m.dtype"]  # deleted: the schema default, not the setting
    plan = plan_run(compose_cfg(overrides), overrides=overrides, preflight=False)
    seq2seq = plan.systems["nllb-200-distilled-600m"]
    assert seq2seq.batching.batch_size == 16 and seq2seq.batching.max_batch_tokens == 16384
    assert plan.systems["m2m100-418m-ct2"].compute_type == "float32"
    assert plan.systems["gemma-3-270m"].dtype == "auto"
    assert "batching.batch_size" not in plan.type_settings["nllb-200-distilled-600m"]
    assert "compute_type" not in plan.type_settings["m2m100-418m-ct2"]
    # Without the command line, plan_run cannot tell an override from the YAML: settings win.
    assert plan_run(compose_cfg(overrides), preflight=False).systems["m2m100-418m-ct2"].compute_type == "int8_bfloat16"
    # Per-type values themselves can be changed on the command line.
    more = GPU + ["system_settings_by_type.hf_causal.batching.batch_size=4"]
    assert plan_run(compose_cfg(more), overrides=more, preflight=False).systems["qwen2.5-1.5b-instruct"].batching.batch_size == 4


def test_unknown_system_type_in_the_settings(compose_cfg) -> None:
    cfg = compose_cfg(["+system_settings_by_type.hf_seq2sq.dtype=bfloat16"])
    with pytest.raises(ConfigError, match=r"system_settings_by_type: unknown system type 'hf_seq2sq' "
                                          r"\(one of: ctranslate2, existing, gguf, hf_causal, hf_seq2seq\)"):
        plan_run(cfg)


def test_unknown_or_mistyped_field_in_the_settings(compose_cfg) -> None:
    # Checked even though no gguf system is selected: a typo fails every job of a sweep.
    cfg = compose_cfg(["system=community", "+system_settings_by_type.gguf.dtpye=float32"])
    with pytest.raises(ConfigError, match=r"system_settings_by_type.gguf: invalid config at 'dtpye': "
                                          r"Key 'dtpye' not in 'GGUFConfig'"):
        plan_run(cfg)
    # The same message shape as the per-system schema check.
    with pytest.raises(ConfigError, match=r"system.gemma-3-270m: invalid config at 'dtpye': Key 'dtpye' not in 'GGUFConfig'"):
        plan_run(compose_cfg(["+system.gemma-3-270m.dtpye=float32"]))
    cfg = compose_cfg(["+system_settings_by_type.hf_seq2seq.batching.batch_size=lots"])
    with pytest.raises(ConfigError, match=r"system_settings_by_type.hf_seq2seq: invalid config at 'batching.batch_size'"):
        plan_run(cfg)
    with pytest.raises(ConfigError, match="type cannot be set per type"):
        plan_run(compose_cfg(["+system_settings_by_type.gguf.type=hf_causal"]))


def test_command_line_fields_handle_dotted_system_names() -> None:
    from mtqe.systems.type_settings import command_line_fields

    fields = command_line_fields(
        ["system=[a,qwen2.x-1b]", "+system.qwen2.x-1b.dtype=x", "++system.a.batching.batch_size=2",
         "~system.a.dtype", "system_settings_by_type.gguf.dtype=x", "system.unknown.dtype=y",
         "system.a.batching={batch_size: 3}"],
        ["a", "qwen2.x-1b", "qwen2"],
    )
    assert fields == {"qwen2.x-1b": {"dtype"}, "a": {"batching.batch_size", "dtype", "batching"}}
