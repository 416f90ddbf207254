"""Shared pytest setup: offline Hugging Face hub and tiny real models built once per session."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.tiny_models import (
    MARIAN_LANG_TOKENS,
    build_tiny_causal_lm,
    build_tiny_comet,
    build_tiny_m2m100,
    build_tiny_madlad,
    build_tiny_marian,
    build_tiny_mt5_metricx,
    build_tiny_nllb,
)

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def pytest_configure(config: pytest.Config) -> None:
    # huggingface_hub and transformers read these once, when first imported; test
    # modules import them during collection, before any fixture runs, so set them here.
    os.environ.update(OFFLINE_ENV)


@pytest.fixture(scope="session", autouse=True)
def hf_offline():
    """Keep the hub offline for the whole session, whatever a test changed before."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in OFFLINE_ENV.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_marian(tmp_path_factory.mktemp("marian"))


@pytest.fixture(scope="session")
def single_pair_marian(tiny_marian: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny Marian with its >>xxx<< entries renamed, i.e. a single-pair OPUS-MT model
    (same ids, no language tokens)."""
    directory = tmp_path_factory.mktemp("marian-single") / "tiny-marian-single"
    shutil.copytree(tiny_marian, directory)
    vocab_path = directory / "vocab.json"
    vocab = json.loads(vocab_path.read_text(encoding="utf-8"))
    for n, token in enumerate(MARIAN_LANG_TOKENS):
        vocab[f"<unused{n}>"] = vocab.pop(token)
    vocab_path.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def tiny_m2m100(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_m2m100(tmp_path_factory.mktemp("m2m100"))


@pytest.fixture(scope="session")
def tiny_nllb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_nllb(tmp_path_factory.mktemp("nllb"))


@pytest.fixture(scope="session")
def tiny_madlad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_madlad(tmp_path_factory.mktemp("madlad"))


@pytest.fixture(scope="session")
def tiny_causal_lm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_causal_lm(tmp_path_factory.mktemp("causal_lm"))


@pytest.fixture(scope="session")
def tiny_comet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{"encoder": dir, "comet_da": ckpt, "cometkiwi": ckpt}; see build_tiny_comet."""
    return build_tiny_comet(tmp_path_factory.mktemp("comet"))


@pytest.fixture(scope="session")
def tiny_metricx(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{"model": dir, "tokenizer": dir}; see build_tiny_mt5_metricx."""
    return build_tiny_mt5_metricx(tmp_path_factory.mktemp("metricx"))
