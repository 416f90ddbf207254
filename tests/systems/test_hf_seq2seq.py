"""HFSeq2SeqTranslator on the tiny real models, and the shared HF loading helpers.

The tiny models have random weights: outputs are noise, so tests check ids, prefixes,
order and bookkeeping, never translation quality.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import torch
import transformers
from transformers import AutoTokenizer

from mtqe.errors import ConfigError, ModelUnavailableError, UnknownLanguageError
from mtqe.systems.configs import BatchingConfig, HFSeq2SeqConfig
from mtqe.systems.hf_loading import (
    directory_digest,
    file_digest,
    load_pretrained,
    model_fingerprint,
    resolve_model_ref,
)
from mtqe.systems.hf_seq2seq import HFSeq2SeqTranslator, detect_family
from tests.tiny_models import CORPUS_JA, MARIAN_LANG_TOKENS

FAKE_HUB_ID = "mtqe-tests/no-such-model"
SOURCES = [CORPUS_JA[0], CORPUS_JA[2] + CORPUS_JA[10], "山", CORPUS_JA[5], CORPUS_JA[7] + CORPUS_JA[8], CORPUS_JA[1]]


def make_translator(model: str | Path, **overrides: Any) -> HFSeq2SeqTranslator:
    batching = overrides.pop("batching", BatchingConfig(batch_size=4, max_batch_tokens=4096))
    fields = dict(
        type="hf_seq2seq", name="tiny", model=str(model), device="cpu", dtype="float32", num_beams=2, max_new_tokens=8
    )
    fields.update(overrides)
    return HFSeq2SeqTranslator(cfg=HFSeq2SeqConfig(batching=batching, **fields))


def tokenizer_of(model_dir: Path) -> Any:
    """An independent tokenizer instance, to compute expected ids outside the translator."""
    return AutoTokenizer.from_pretrained(model_dir, local_files_only=True)



@pytest.fixture(scope="module")
def m2m100_codes_not_special(tiny_m2m100: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny M2M-100 saved the way some checkpoints are: language codes not listed as
    special tokens. transformers 4.57 then leaves ``__zh__`` in skip_special_tokens output."""
    directory = tmp_path_factory.mktemp("m2m100-plain-codes") / "tiny-m2m100"
    shutil.copytree(tiny_m2m100, directory)
    (directory / "added_tokens.json").unlink(missing_ok=True)
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        data = json.loads((directory / name).read_text(encoding="utf-8"))
        data.pop("additional_special_tokens", None)
        decoder = data.get("added_tokens_decoder", {})
        data["added_tokens_decoder"] = {k: v for k, v in decoder.items() if not v["content"].startswith("__")}
        (directory / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return directory


# -- identity -------------------------------------------------------------------------------


def test_identity_is_stable_and_does_not_load(tiny_nllb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("identity() must not load anything")

    for cls in (transformers.AutoModelForSeq2SeqLM, transformers.AutoTokenizer, transformers.AutoConfig):
        monkeypatch.setattr(cls, "from_pretrained", refuse)
    first = make_translator(tiny_nllb)
    ident = first.identity()
    assert not first.loaded
    assert ident == first.identity() == make_translator(tiny_nllb).identity()
    assert ident["backend"] == "hf_seq2seq" and ident["family"] == "auto"
    assert ident["num_beams"] == 2 and ident["max_new_tokens"] == 8 and ident["dtype"] == "float32"
    assert ident["transformers"] == transformers.__version__
    assert len(ident["files_sha256"]) == 64
    json.dumps(ident)  # the translation cache stores it as JSON


def test_identity_same_after_loading(tiny_madlad: Path) -> None:
    translator = make_translator(tiny_madlad)
    before = translator.identity()
    translator.translate(["猫"], src_lang="ja", tgt_lang="zh")
    assert translator.identity() == before


def test_identity_changes_with_decoding_and_model_files(tiny_marian: Path, tmp_path: Path) -> None:
    base = make_translator(tiny_marian).identity()
    assert make_translator(tiny_marian, num_beams=1).identity() != base
    assert make_translator(tiny_marian, max_new_tokens=9).identity() != base
    assert make_translator(tiny_marian, family="marian").identity() != base
    copy = shutil.copytree(tiny_marian, tmp_path / "copy")
    assert make_translator(copy).identity()["files_sha256"] == base["files_sha256"]
    config = json.loads((copy / "config.json").read_text())
    config["num_beams"] = 3
    (copy / "config.json").write_text(json.dumps(config))
    assert make_translator(copy).identity()["files_sha256"] != base["files_sha256"]


def test_identity_of_uncached_hub_id_offline() -> None:
    ident = make_translator(FAKE_HUB_ID, revision="v1").identity()
    assert ident["model"] == FAKE_HUB_ID and ident["revision"] == "v1" and ident["cached_commit"] is None


# -- the four families ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "family"),
    [("tiny_marian", "marian"), ("tiny_m2m100", "m2m100"), ("tiny_nllb", "nllb"), ("tiny_madlad", "madlad")],
)
def test_family_detected_and_translation_runs(fixture: str, family: str, request: pytest.FixtureRequest) -> None:
    translator = make_translator(request.getfixturevalue(fixture))
    outputs = translator.translate(SOURCES[:3], src_lang="ja", tgt_lang="zh")
    assert len(outputs) == 3 and all(isinstance(text, str) for text in outputs)
    facts = translator.describe()
    assert facts["family"] == family == translator.family
    assert facts["device"] == "cpu" and facts["dtype"] == "float32"
    assert facts["generate_calls"] == translator.generate_calls == 1
    assert facts["segments"] == 3 and facts["tokens_generated"] > 0
    assert facts["load_seconds"] > 0 and facts["generate_seconds"] > 0
    assert facts["truncated_inputs"] == 0 and facts["oom_retries"] == 0
    assert facts["max_input_tokens"] == 128


@pytest.mark.parametrize(("tgt", "code"), [("zh", "zho_Hans"), ("en", "eng_Latn"), ("zh-Hant", "zho_Hant")])
def test_nllb_source_code_and_forced_bos(tiny_nllb: Path, tgt: str, code: str) -> None:
    tokenizer = tokenizer_of(tiny_nllb)
    translator = make_translator(tiny_nllb)
    encoded = translator.encode(SOURCES[:2], src_lang="ja", tgt_lang=tgt)
    assert all(row[0] == tokenizer.convert_tokens_to_ids("jpn_Jpan") for row in encoded)
    assert all(row[-1] == tokenizer.eos_token_id for row in encoded)
    rows = translator.translate_ids(SOURCES[:2], src_lang="ja", tgt_lang=tgt)
    expected = tokenizer.convert_tokens_to_ids(code)
    assert expected != tokenizer.unk_token_id
    assert [row[1] for row in rows] == [expected, expected]


@pytest.mark.parametrize("tgt", ["zh", "en"])
def test_m2m100_source_code_and_forced_bos(tiny_m2m100: Path, tgt: str) -> None:
    tokenizer = tokenizer_of(tiny_m2m100)
    translator = make_translator(tiny_m2m100)
    encoded = translator.encode(SOURCES[:2], src_lang="ja", tgt_lang=tgt)
    assert all(row[0] == tokenizer.get_lang_id("ja") for row in encoded)
    rows = translator.translate_ids(SOURCES[:2], src_lang="ja", tgt_lang=tgt)
    assert [row[1] for row in rows] == [tokenizer.get_lang_id(tgt)] * 2
    # The language code never reaches the decoded text.
    assert all(f"__{tgt}__" not in text for text in translator.translate(SOURCES[:2], src_lang="ja", tgt_lang=tgt))


def test_m2m100_language_code_stripped_even_when_not_special(m2m100_codes_not_special: Path) -> None:
    translator = make_translator(m2m100_codes_not_special)
    rows = translator.translate_ids(SOURCES[:2], src_lang="ja", tgt_lang="zh")
    outputs = translator.translate(SOURCES[:2], src_lang="ja", tgt_lang="zh")
    assert [row[1] for row in rows] == [translator.tokenizer.get_lang_id("zh")] * 2
    assert all("__zh__" not in text for text in outputs)


def test_madlad_prefers_the_sentencepiece_tokenizer(tiny_madlad: Path, tmp_path: Path) -> None:
    translator = make_translator(tiny_madlad)
    translator.translate(["猫"], src_lang="ja", tgt_lang="zh")
    assert translator.describe()["tokenizer"] == "T5Tokenizer"
    # Without spiece.model only the fast tokenizer exists: it is used instead.
    fast_only = shutil.copytree(tiny_madlad, tmp_path / "fast-only")
    (fast_only / "spiece.model").unlink()
    translator = make_translator(fast_only)
    assert len(translator.translate(["猫"], src_lang="ja", tgt_lang="zh")) == 1
    assert translator.describe()["tokenizer"] == "T5TokenizerFast"


@pytest.mark.parametrize("tgt", ["zh", "en", "ja"])
def test_madlad_target_prefix(tiny_madlad: Path, tgt: str) -> None:
    tokenizer = tokenizer_of(tiny_madlad)
    translator = make_translator(tiny_madlad)
    encoded = translator.encode(["猫が寝ている。"], src_lang="ja", tgt_lang=tgt)
    # The model card's usage: "<2xx> " prefixed to the source text.
    assert encoded == [translator.tokenizer(f"<2{tgt}> 猫が寝ている。")["input_ids"]]
    assert tokenizer.convert_tokens_to_ids(f"<2{tgt}>") != tokenizer.unk_token_id
    assert tokenizer.convert_tokens_to_ids(f"<2{tgt}>") in encoded[0][:2]


@pytest.mark.parametrize(("tgt", "token"), [("zh", ">>cmn_Hans<<"), ("ja", ">>jpn<<"), ("en", ">>eng<<")])
def test_marian_multi_target_token(tiny_marian: Path, tgt: str, token: str) -> None:
    tokenizer = tokenizer_of(tiny_marian)
    translator = make_translator(tiny_marian)
    encoded = translator.encode(["猫が寝ている。"], src_lang="ja", tgt_lang=tgt)[0]
    assert encoded[0] == tokenizer.convert_tokens_to_ids(token)
    assert encoded[1:] == tokenizer("猫が寝ている。")["input_ids"]
    assert len(translator.translate(["猫が寝ている。"], src_lang="ja", tgt_lang=tgt)) == 1


def test_marian_single_pair_gets_no_prefix(single_pair_marian: Path) -> None:
    tokenizer = tokenizer_of(single_pair_marian)
    translator = make_translator(single_pair_marian)
    # Any pair is accepted: the checkpoint itself fixes the languages (the config's `pairs` guards it).
    encoded = translator.encode(["猫が寝ている。"], src_lang="ja", tgt_lang="zh")
    assert encoded == [tokenizer("猫が寝ている。")["input_ids"]]
    assert len(translator.translate(SOURCES[:2], src_lang="ja", tgt_lang="zh")) == 2


# -- languages -----------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["tiny_m2m100", "tiny_nllb", "tiny_madlad"])
def test_unknown_target_language_lists_valid_codes(fixture: str, request: pytest.FixtureRequest) -> None:
    translator = make_translator(request.getfixturevalue(fixture))
    with pytest.raises(UnknownLanguageError) as info:
        translator.translate(["猫"], src_lang="ja", tgt_lang="tlh")
    assert "'tlh'" in str(info.value) and "ja, ko" in str(info.value)
    assert translator.generate_calls == 0


def test_unknown_source_language_for_coded_families(tiny_nllb: Path) -> None:
    with pytest.raises(UnknownLanguageError, match="'tlh'"):
        make_translator(tiny_nllb).translate(["猫"], src_lang="tlh", tgt_lang="zh")


def test_language_missing_from_checkpoint_vocab(tiny_madlad: Path) -> None:
    # <2ko> is in the MADLAD table but not in the tiny model's vocabulary.
    with pytest.raises(UnknownLanguageError, match="<2ko>"):
        make_translator(tiny_madlad).translate(["猫"], src_lang="ja", tgt_lang="ko")


def test_marian_target_missing_lists_model_tokens(tiny_marian: Path) -> None:
    with pytest.raises(UnknownLanguageError) as info:
        make_translator(tiny_marian).translate(["猫"], src_lang="ja", tgt_lang="ko")
    assert all(token in str(info.value) for token in MARIAN_LANG_TOKENS)


# -- batching, truncation, OOM --------------------------------------------------------------


def test_batched_outputs_in_input_order(tiny_madlad: Path) -> None:
    # MADLAD's random weights give input-dependent outputs (the others collapse to one string),
    # so a mix-up of order would show. Greedy: batched and one-by-one must agree.
    batched = make_translator(tiny_madlad, num_beams=1, batching=BatchingConfig(batch_size=4, max_batch_tokens=4096))
    outputs = batched.translate(SOURCES, src_lang="ja", tgt_lang="zh")
    assert batched.generate_calls == 2  # 6 inputs, at most 4 per batch
    single = make_translator(tiny_madlad, num_beams=1)
    one_by_one = [single.translate([text], src_lang="ja", tgt_lang="zh")[0] for text in SOURCES]
    assert len(set(one_by_one)) > 1, "test needs input-dependent outputs"
    assert outputs == one_by_one


def test_token_budget_splits_batches(tiny_madlad: Path) -> None:
    translator = make_translator(tiny_madlad, batching=BatchingConfig(batch_size=8, max_batch_tokens=20))
    translator.translate(SOURCES, src_lang="ja", tgt_lang="zh")
    assert translator.generate_calls > 1


def test_over_long_input_truncated_and_reported(tiny_nllb: Path) -> None:
    translator = make_translator(tiny_nllb)
    long_text = "".join(CORPUS_JA) * 4
    outputs = translator.translate([long_text, "猫"], src_lang="ja", tgt_lang="zh")
    assert len(outputs) == 2
    assert translator.describe()["truncated_inputs"] == 1
    encoded = translator.encode([long_text], src_lang="ja", tgt_lang="zh")[0]
    assert len(encoded) == 128 and encoded[-1] == tokenizer_of(tiny_nllb).eos_token_id


def test_cuda_oom_halves_the_batch(tiny_madlad: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    translator = make_translator(tiny_madlad, num_beams=1, batching=BatchingConfig(batch_size=4))
    real_generate = translator.model.generate

    def generate_fitting_one(**kwargs: Any) -> torch.Tensor:
        if kwargs["input_ids"].shape[0] > 1:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_generate(**kwargs)

    monkeypatch.setattr(translator.model, "generate", generate_fitting_one)
    outputs = translator.translate(SOURCES[:4], src_lang="ja", tgt_lang="zh")
    single = make_translator(tiny_madlad, num_beams=1)
    assert outputs == [single.translate([text], src_lang="ja", tgt_lang="zh")[0] for text in SOURCES[:4]]
    facts = translator.describe()
    assert facts["oom_retries"] == 3  # 4 → 2 + 2 → 1 + 1 + 1 + 1
    assert facts["batch_size_cap"] == 1  # later calls start with batches that fit


def test_cuda_oom_on_one_segment_is_a_clear_error(tiny_madlad: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    translator = make_translator(tiny_madlad)

    def always_oom(**kwargs: Any) -> torch.Tensor:
        raise torch.OutOfMemoryError("CUDA out of memory (simulated)")

    monkeypatch.setattr(translator.model, "generate", always_oom)
    with pytest.raises(ModelUnavailableError, match="out of memory"):
        translator.translate(["猫"], src_lang="ja", tgt_lang="zh")


def test_bfloat16_on_cpu(tiny_marian: Path) -> None:
    translator = make_translator(tiny_marian, dtype="bfloat16")
    assert translator.identity()["dtype"] == "bfloat16"
    assert len(translator.translate(SOURCES[:2], src_lang="ja", tgt_lang="zh")) == 2
    assert translator.describe()["dtype"] == "bfloat16"
    assert next(translator.model.parameters()).dtype == torch.bfloat16


def test_empty_input_does_not_load(tiny_marian: Path) -> None:
    translator = make_translator(tiny_marian)
    assert translator.translate([], src_lang="ja", tgt_lang="zh") == []
    assert not translator.loaded


def test_close_releases_and_reloads(tiny_marian: Path) -> None:
    translator = make_translator(tiny_marian)
    translator.translate(["猫"], src_lang="ja", tgt_lang="zh")
    translator.close()
    assert not translator.loaded
    translator.translate(["猫"], src_lang="ja", tgt_lang="zh")
    assert translator.generate_calls == 2


# -- family checks -------------------------------------------------------------------------


def test_explicit_family_must_match_the_model(tiny_marian: Path, tiny_nllb: Path) -> None:
    with pytest.raises(ConfigError, match="'m2m_100' model"):
        make_translator(tiny_marian, family="nllb").translate(["猫"], src_lang="ja", tgt_lang="zh")
    with pytest.raises(ConfigError, match="NLLB tokenizer means family nllb"):
        make_translator(tiny_nllb, family="m2m100").translate(["猫"], src_lang="ja", tgt_lang="zh")


def test_bad_config_values_rejected_at_construction() -> None:
    with pytest.raises(ConfigError, match=r"family='mbart': use one of auto \| marian \| nllb \| m2m100 \| madlad"):
        make_translator(FAKE_HUB_ID, family="mbart")
    with pytest.raises(ConfigError, match="num_beams"):
        make_translator(FAKE_HUB_ID, num_beams=0)


class _VocabStub:
    """A tokenizer stand-in with a fixed vocabulary (for detection rules only)."""

    unk_token_id = 2

    def __init__(self, vocab: dict[str, int]) -> None:
        self.vocab = vocab

    def convert_tokens_to_ids(self, token: str) -> int:
        return self.vocab.get(token, self.unk_token_id)


def test_detect_family_rules() -> None:
    assert detect_family("marian", _VocabStub({})) == "marian"
    assert detect_family("m2m_100", _VocabStub({})) == "m2m100"
    assert detect_family("t5", _VocabStub({"<2en>": 7})) == "madlad"
    with pytest.raises(ConfigError, match="not a MADLAD-400"):
        detect_family("t5", _VocabStub({}))  # plain T5: no <2xx> tokens
    with pytest.raises(ConfigError, match="unsupported model_type 'bart'"):
        detect_family("bart", _VocabStub({}))


# -- loading helpers -----------------------------------------------------------------------


def test_offline_hub_id_fails_fast_with_instructions() -> None:
    started = time.perf_counter()
    with pytest.raises(ModelUnavailableError) as info:
        make_translator(FAKE_HUB_ID).translate(["猫"], src_lang="ja", tgt_lang="zh")
    assert time.perf_counter() - started < 10
    message = str(info.value)
    assert FAKE_HUB_ID in message and "HF_HOME" in message and "`model:`" in message


def test_offline_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only TRANSFORMERS_OFFLINE, set after huggingface_hub was imported: still no network.
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    started = time.perf_counter()
    with pytest.raises(ModelUnavailableError, match="offline"):
        load_pretrained(transformers.AutoConfig, FAKE_HUB_ID, revision=None)
    assert time.perf_counter() - started < 10


def test_missing_local_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        load_pretrained(transformers.AutoConfig, str(tmp_path / "absent"), revision=None)


def test_local_directory_rejects_revision(tiny_marian: Path) -> None:
    with pytest.raises(ConfigError, match="only applies to hub ids"):
        load_pretrained(transformers.AutoConfig, tiny_marian, revision="main")


def test_local_directory_without_model_files(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="local directory"):
        load_pretrained(transformers.AutoConfig, tmp_path, revision=None)


def test_model_ref_classification(tiny_marian: Path) -> None:
    assert resolve_model_ref(tiny_marian).is_local
    assert resolve_model_ref("facebook/nllb-200-distilled-600M").hub_id == "facebook/nllb-200-distilled-600M"
    assert resolve_model_ref("t5-small").hub_id == "t5-small"


def _fake_hub_cache(root: Path, source: Path, repo: str, commit: str) -> None:
    """The huggingface_hub cache layout: refs/main → snapshots/<commit>/ with blob symlinks."""
    repo_dir = root / ("models--" + repo.replace("/", "--"))
    (repo_dir / "refs").mkdir(parents=True)
    (repo_dir / "refs" / "main").write_text(commit)
    snapshot = repo_dir / "snapshots" / commit
    blobs = repo_dir / "blobs"
    snapshot.mkdir(parents=True)
    blobs.mkdir()
    for path in source.iterdir():
        blob = blobs / file_digest(path).removeprefix("sha256:")
        shutil.copyfile(path, blob)
        (snapshot / path.name).symlink_to(blob)


def test_hub_id_from_local_cache(tiny_marian: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    commit = "0123456789abcdef0123456789abcdef01234567"
    _fake_hub_cache(tmp_path, tiny_marian, "mtqe-tests/cached-marian", commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    fingerprint = model_fingerprint("mtqe-tests/cached-marian")
    assert fingerprint["cached_commit"] == commit
    config = load_pretrained(
        transformers.AutoConfig, "mtqe-tests/cached-marian", revision=None, cache_dir=str(tmp_path)
    )
    assert config.model_type == "marian"
    # Blobs named by sha256 are identified by that name, not re-hashed.
    snapshot = tmp_path / "models--mtqe-tests--cached-marian" / "snapshots" / commit
    assert file_digest(snapshot / "model.safetensors") == file_digest(tiny_marian / "model.safetensors")


def test_directory_digest_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"x" * 100)
    base = directory_digest(tmp_path)
    (tmp_path / "README.md").write_text("model card")
    (tmp_path / ".gitattributes").write_text("*")
    assert directory_digest(tmp_path) == base  # cards and hidden files do not change outputs
    (tmp_path / "model.safetensors").write_bytes(b"y" * 100)
    assert directory_digest(tmp_path) != base
    monkeypatch.setattr("mtqe.systems.hf_loading.CONTENT_HASH_LIMIT", 10)
    assert file_digest(tmp_path / "model.safetensors").startswith("stat:100:")
