"""Every config value is checked before any work: plan_run names the full key and the allowed
values; `mtqe run` answers a misspelt name with one line and a did-you-mean."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from mtqe.command_line import add_schema_fields, check_overrides
from mtqe.config import register_configs
from mtqe.config_validation import FieldError
from mtqe.errors import ConfigError, MtqeError
from mtqe.metrics.base import Metric
from mtqe.metrics.registry import METRIC_TYPES
from mtqe.pipeline import plan_run
from mtqe.registry import load_target
from mtqe.systems.base import System, Translator
from mtqe.systems.configs import BatchingConfig, HFSeq2SeqConfig
from mtqe.systems.registry import SYSTEM_TYPES

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "mtqe" / "conf"
# ja→en: a seq2seq system (hf_seq2seq and ctranslate2) whose model is a hub id, resolved lazily.
JA_EN = ["pair=ja-en", "system=[opus-mt-ja-en,opus-mt-ja-en-ct2]", "metric=[chrf]",
         "stats.baseline=opus-mt-ja-en", "cache_dir=/tmp/mtqe-test-cache"]


@pytest.fixture()
def plan():
    """plan_run of the real conf/ with overrides, as `mtqe run` prepares them (no model loads)."""
    register_configs()
    GlobalHydra.instance().clear()

    def run(overrides: list[str]):
        overrides = add_schema_fields(overrides, CONF)
        return plan_run(compose(config_name="config", overrides=overrides), overrides=overrides)

    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        yield run
    GlobalHydra.instance().clear()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("metric.comet.precision=bogus", r"metric\.comet\.precision='bogus': use one of 32 \| bf16 \| 16"),
        ("metric.comet.multi_reference=median", r"metric\.comet\.multi_reference='median': use one of mean \| max"),
        ("metric.comet.gpus=2", r"metric\.comet\.gpus=2: use 0 \(CPU\) or 1"),
        ("system.opus-mt-ja-en.dtype=float8", r"system\.opus-mt-ja-en\.dtype='float8': use one of auto \| float32"),
        ("system.opus-mt-ja-en.device=gpu", r"system\.opus-mt-ja-en\.device='gpu': use one of auto \| cpu \| cuda"),
        ("system.opus-mt-ja-en.num_beams=-1", r"system\.opus-mt-ja-en\.num_beams=-1: must be >= 1"),
        ("system.opus-mt-ja-en.batching.batch_size=-1",
         r"system\.opus-mt-ja-en\.batching\.batch_size=-1: must be >= 1"),
        ("system.opus-mt-ja-en.batching.max_batch_tokens=0", r"batching\.max_batch_tokens=0: must be >= 1"),
        ("system.opus-mt-ja-en-ct2.compute_type=int9",
         r"system\.opus-mt-ja-en-ct2\.compute_type='int9': use one of auto"),
        ("system.opus-mt-ja-en-ct2.family=madlad", r"opus-mt-ja-en-ct2\.family='madlad'.*type: hf_seq2seq"),
        ("stats.bootstrap_samples=0", r"^stats\.bootstrap_samples=0: must be >= 1"),
        ("stats.alpha=1.5", r"^stats\.alpha=1\.5: must be strictly between 0 and 1"),
        ("unit=word", r"^unit='word': use one of paragraph \| sentence"),
    ],
)
def test_a_bad_value_fails_in_plan_naming_the_full_key(plan, override: str, message: str) -> None:
    metric = ["metric=[comet]"] if override.startswith("metric.comet") else []
    with pytest.raises(ConfigError, match=message):
        plan(JA_EN + metric + [override])


def test_the_same_checks_run_when_a_config_is_built_in_python() -> None:
    with pytest.raises(FieldError, match=r"batch_size=0: must be >= 1"):
        BatchingConfig(batch_size=0)
    with pytest.raises(FieldError, match=r"num_beams=0"):
        HFSeq2SeqConfig(type="hf_seq2seq", name="x", model="m", num_beams=0)


def test_a_missing_local_model_path_fails_in_plan(plan, tmp_path: Path) -> None:
    gone = tmp_path / "no-such-model"
    with pytest.raises(MtqeError, match=rf"system\.opus-mt-ja-en: model directory '{gone}' does not exist"):
        plan(JA_EN + [f"system.opus-mt-ja-en.model={gone}"])
    with pytest.raises(MtqeError, match=r"system\.gemma-3-270m: GGUF model file .* does not exist"):
        plan(["system=[community,gemma-3-270m]", "metric=[chrf]", f"system.gemma-3-270m.model={gone}.gguf"])
    with pytest.raises(ConfigError, match=r"COMET checkpoint .* does not exist\. Set metric\.comet\.model"):
        plan(JA_EN + ["metric=[comet]", f"metric.comet.model={gone}/checkpoints/model.ckpt"])


def test_the_documented_encoder_dir_override_works(plan, tmp_path: Path) -> None:
    # README and docs/cluster.md: metric.comet.encoder_dir=... (no `+`).
    planned = plan(JA_EN + ["metric=[comet]", f"metric.comet.encoder_dir={tmp_path}"])
    assert planned.metrics["comet"].encoder_dir == str(tmp_path)
    with pytest.raises(ConfigError, match=r"metric\.comet\.encoder_dir='/no/such/dir' is not a directory"):
        plan(JA_EN + ["metric=[comet]", "metric.comet.encoder_dir=/no/such/dir"])


def test_cuda_requested_without_cuda_fails_in_plan(plan) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(ConfigError, match=r"system\.opus-mt-ja-en: device 'cuda' was requested but torch sees no CUDA"):
        plan(JA_EN + ["system.opus-mt-ja-en.device=cuda"])
    with pytest.raises(ConfigError, match=r"system\.opus-mt-ja-en: dtype float16 on the CPU is refused"):
        plan(JA_EN + ["system.opus-mt-ja-en.device=cpu", "system.opus-mt-ja-en.dtype=float16"])


def test_a_compute_type_the_device_cannot_run_fails_in_plan(plan) -> None:
    ctranslate2 = pytest.importorskip("ctranslate2")
    if "float16" in ctranslate2.get_supported_compute_types("cpu") or ctranslate2.get_cuda_device_count():
        pytest.skip("this machine runs float16 in ctranslate2")
    with pytest.raises(ConfigError, match=r"system\.opus-mt-ja-en-ct2: compute_type 'float16' is not supported on cpu"):
        plan(JA_EN + ["system.opus-mt-ja-en-ct2.compute_type=float16", "system.opus-mt-ja-en-ct2.device=cpu"])


def test_a_baseline_that_is_not_a_system_is_a_visible_warning(plan) -> None:
    warnings = plan(JA_EN + ["stats.baseline=nobody"]).warnings
    assert any("stats.baseline='nobody' is not among the systems" in w for w in warnings)


def test_unknown_names_get_one_line_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"^Unknown metric 'blue'\. Did you mean: bleu\? Known: bleu, chrf"):
        check_overrides(["metric=[blue]"], CONF)
    with pytest.raises(ConfigError, match=r"^Unknown system 'nosuch'\. Known: community, "):
        check_overrides(["system=[community,nosuch]"], CONF)
    with pytest.raises(ConfigError, match=r"^Unknown system 'gemm'\. Did you mean: gemma-3-270m\?"):
        check_overrides(["-m", "system=community,gemm"], CONF)  # each option of a sweep
    with pytest.raises(ConfigError, match=r"^Unknown pair 'ja-zhh'\. Did you mean: ja-zh\?"):
        check_overrides(["pair=ja-zhh"], CONF)
    with pytest.raises(ConfigError, match=r"unknown config key 'sytem' in 'sytem=community'\. Did you mean: system=\?"):
        check_overrides(["sytem=community"], CONF)
    # What is right passes: groups, sweeps, nested keys, Hydra's own.
    check_overrides(["-m", "system=community,gemma-3-270m", "metric=[bleu,comet]", "+experiment=gpu_batch",
                     "stats.alpha=0.1", "hydra.run.dir=out", "hydra/launcher=basic", "~system.community.pairs"], CONF)


def test_a_schema_field_left_out_of_the_yaml_needs_no_plus() -> None:
    assert add_schema_fields(
        ["system.opus-mt-ja-en.dtype=float32", "system.opus-mt-ja-en.model=/m", "metric.comet.multi_reference=max",
         "system.opus-mt-ja-en.nosuch=1", "+system.community.description=x", "stats.alpha=0.1"], CONF
    ) == ["++system.opus-mt-ja-en.dtype=float32", "system.opus-mt-ja-en.model=/m", "metric.comet.multi_reference=max",
          "system.opus-mt-ja-en.nosuch=1", "+system.community.description=x", "stats.alpha=0.1"]


def test_registry_entries_name_classes_of_the_right_kind() -> None:
    for name in SYSTEM_TYPES:
        target = load_target(SYSTEM_TYPES.get(name).target)
        assert issubclass(target, (System, Translator)), name
    for name in METRIC_TYPES:
        assert issubclass(load_target(METRIC_TYPES.get(name).target), Metric), name


def _mtqe_run(args: list[str], tmp_path: Path) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mtqe.cli", "run", *args, f"hydra.run.dir={tmp_path / 'run'}",
         f"cache_dir={tmp_path / 'cache'}"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )
    return proc, time.perf_counter() - started


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["metric.comet.precision=bogus"], "mtqe: error: metric.comet.precision='bogus': use one of 32 | bf16 | 16"),
        (["metric=[blue]"], "mtqe: error: Unknown metric 'blue'. Did you mean: bleu?"),
        (["sytem=community"], "mtqe: error: unknown config key 'sytem' in 'sytem=community'. Did you mean: system=?"),
    ],
)
def test_mtqe_run_fails_in_seconds_with_one_line_before_any_translation(
    tmp_path: Path, args: list[str], line: str
) -> None:
    proc, seconds = _mtqe_run(args, tmp_path)
    assert proc.returncode != 0
    errors = [x for x in proc.stderr.splitlines() if x.startswith("mtqe: error:")]
    assert len(errors) == 1 and errors[0].startswith(line), proc.stderr
    assert "Traceback" not in proc.stderr and "HYDRA_FULL_ERROR" not in proc.stderr
    assert not (tmp_path / "cache" / "translations.sqlite").exists()  # nothing was translated
    assert not (tmp_path / "run" / "leaderboard.csv").exists()
    # Import and compose only (the default run's Gemma would take minutes on a CPU).
    assert seconds < 60
