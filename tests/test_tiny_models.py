"""The tiny models of tests/tiny_models.py load from disk only and run their real code paths."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from tests import tiny_models
from tests.tiny_models import CORPUS_EN, CORPUS_JA, CORPUS_ZH

SOURCES = [CORPUS_JA[0], CORPUS_JA[4], "見たことのない文も訳せるか。"]


def _load_seq2seq(path: Path):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModelForSeq2SeqLM.from_pretrained(path, local_files_only=True).eval()
    return tokenizer, model


def _generate(model, batch, **kwargs) -> torch.Tensor:
    with torch.no_grad():
        return model.generate(**batch, max_new_tokens=8, num_beams=2, **kwargs)


def test_offline_env_is_set():
    import huggingface_hub.constants

    assert huggingface_hub.constants.HF_HUB_OFFLINE


def test_marian_generates(tiny_marian: Path):
    from transformers import MarianMTModel, MarianTokenizer

    tokenizer, model = _load_seq2seq(tiny_marian)
    assert isinstance(tokenizer, MarianTokenizer) and isinstance(model, MarianMTModel)
    batch = tokenizer(SOURCES, return_tensors="pt", padding=True)
    out = _generate(model, batch)
    assert out.shape[0] == len(SOURCES) and 2 <= out.shape[1] <= 9
    assert (out[:, 0] == model.config.decoder_start_token_id).all()
    assert (batch.input_ids[:, -1] == tokenizer.pad_token_id).any()  # padded batch
    assert all(isinstance(text, str) for text in tokenizer.batch_decode(out, skip_special_tokens=True))


def test_marian_target_token_is_one_token(tiny_marian: Path):
    tokenizer, _ = _load_seq2seq(tiny_marian)
    assert set(tiny_models.MARIAN_LANG_TOKENS) <= set(tokenizer.supported_language_codes)
    ids = tokenizer(">>cmn_Hans<< " + CORPUS_JA[1]).input_ids
    assert ids[0] == tokenizer.convert_tokens_to_ids(">>cmn_Hans<<") != tokenizer.unk_token_id
    assert ids[-1] == tokenizer.eos_token_id


def test_m2m100_forced_bos_is_target_language(tiny_m2m100: Path):
    tokenizer, model = _load_seq2seq(tiny_m2m100)
    tokenizer.src_lang = "ja"
    batch = tokenizer(SOURCES, return_tensors="pt", padding=True)
    assert (batch.input_ids[:, 0] == tokenizer.get_lang_id("ja")).all()
    zh_id = tokenizer.get_lang_id("zh")
    out = _generate(model, batch, forced_bos_token_id=zh_id)
    assert (out[:, 0] == model.config.decoder_start_token_id).all()
    assert (out[:, 1] == zh_id).all()
    # Lang codes must be special tokens (see the workaround in build_tiny_m2m100).
    assert all("__zh__" not in text for text in tokenizer.batch_decode(out, skip_special_tokens=True))


def test_nllb_lang_codes_are_special_tokens(tiny_nllb: Path):
    from transformers import NllbTokenizer, NllbTokenizerFast

    fast, _ = _load_seq2seq(tiny_nllb)
    slow = NllbTokenizer.from_pretrained(tiny_nllb, local_files_only=True)
    assert isinstance(fast, NllbTokenizerFast)
    for code in tiny_models.NLLB_LANG_CODES.values():
        code_id = fast.convert_tokens_to_ids(code)
        assert code_id != fast.unk_token_id and code_id >= slow.vocab_size
        assert code in fast.all_special_tokens
        assert slow.convert_tokens_to_ids(code) == code_id
    assert slow(CORPUS_ZH[2]).input_ids == fast(CORPUS_ZH[2]).input_ids


def test_nllb_forced_bos_is_target_language(tiny_nllb: Path):
    tokenizer, model = _load_seq2seq(tiny_nllb)
    tokenizer.src_lang = "jpn_Jpan"
    batch = tokenizer(SOURCES, return_tensors="pt", padding=True)
    # Non-legacy NLLB input: [src_lang] tokens </s>.
    assert (batch.input_ids[:, 0] == tokenizer.convert_tokens_to_ids("jpn_Jpan")).all()
    assert batch.input_ids[0, batch.attention_mask[0].sum() - 1] == tokenizer.eos_token_id
    zh_id = tokenizer.convert_tokens_to_ids("zho_Hans")
    out = _generate(model, batch, forced_bos_token_id=zh_id)
    assert (out[:, 0] == tokenizer.eos_token_id).all()  # decoder_start_token_id
    assert (out[:, 1] == zh_id).all()
    assert all("zho_Hans" not in text for text in tokenizer.batch_decode(out, skip_special_tokens=True))


def test_madlad_prefix_token_is_one_token(tiny_madlad: Path):
    from transformers import T5ForConditionalGeneration, T5TokenizerFast

    tokenizer, model = _load_seq2seq(tiny_madlad)
    # The fast tokenizer matters: slow T5Tokenizer puts a stray "▁" before a leading <2xx>.
    assert isinstance(tokenizer, T5TokenizerFast) and isinstance(model, T5ForConditionalGeneration)
    for token in tiny_models.MADLAD_LANG_TOKENS.values():
        assert tokenizer.tokenize(f"{token} {CORPUS_JA[3]}")[0] == token
        assert tokenizer.convert_tokens_to_ids(token) != tokenizer.unk_token_id
    batch = tokenizer([f"<2zh> {text}" for text in SOURCES], return_tensors="pt", padding=True)
    assert (batch.input_ids[:, 0] == tokenizer.convert_tokens_to_ids("<2zh>")).all()
    out = _generate(model, batch)
    assert out.shape[0] == len(SOURCES)
    assert (out[:, 0] == tokenizer.pad_token_id).all()  # T5 decoding starts from <pad>


def test_causal_lm_chat_template_and_generate(tiny_causal_lm: Path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_causal_lm, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(tiny_causal_lm, local_files_only=True).eval()
    conversations = [
        [{"role": "system", "content": "Translate Japanese to English."}, {"role": "user", "content": CORPUS_JA[5]}],
        [{"role": "user", "content": CORPUS_JA[6]}],
    ]
    prompts = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in conversations]
    assert prompts[1] == f"<|im_start|>user\n{CORPUS_JA[6]}<|im_end|>\n<|im_start|>assistant\n"
    batch = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    assert tokenizer.padding_side == "left" and batch.attention_mask[:, -1].all()
    with torch.no_grad():
        out = model.generate(**batch, max_new_tokens=6, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    prompt_len = batch.input_ids.shape[1]
    assert out.shape[0] == 2 and prompt_len < out.shape[1] <= prompt_len + 6
    assert torch.equal(out[:, :prompt_len], batch.input_ids)
    assert tokenizer.decode(tokenizer(CORPUS_EN[0]).input_ids) == CORPUS_EN[0]  # byte-level round trip


def _comet_inputs(with_ref: bool) -> list[dict[str, str]]:
    rows = [
        {"src": CORPUS_JA[i], "mt": CORPUS_ZH[i], "ref": CORPUS_ZH[i]} for i in range(3)
    ]
    # Far longer than the tiny encoder's 64 positions: must be truncated, not crash.
    rows.append({"src": "".join(CORPUS_JA), "mt": "".join(CORPUS_ZH), "ref": "".join(CORPUS_ZH)})
    return rows if with_ref else [{"src": r["src"], "mt": r["mt"]} for r in rows]


@pytest.mark.parametrize(("key", "class_name", "with_ref"), [
    ("comet_da", "RegressionMetric", True),
    ("cometkiwi", "UnifiedMetric", False),
])
def test_comet_predict(tiny_comet: dict[str, Path], key: str, class_name: str, with_ref: bool):
    from comet import load_from_checkpoint

    model = load_from_checkpoint(str(tiny_comet[key]), local_files_only=True)
    assert type(model).__name__ == class_name
    assert model.encoder.max_positions == tiny_models.COMET_MAX_TOKENS
    inputs = _comet_inputs(with_ref)
    long_ids = model.encoder.tokenizer(inputs[-1]["src"]).input_ids
    assert len(long_ids) > tiny_models.COMET_MAX_TOKENS
    out = model.predict(inputs, batch_size=2, gpus=0, progress_bar=False, num_workers=0)
    assert len(out.scores) == len(inputs)
    assert all(math.isfinite(score) for score in out.scores)
    assert math.isclose(out.system_score, sum(out.scores) / len(out.scores), rel_tol=1e-5)


@pytest.mark.parametrize("builder", [
    tiny_models.build_tiny_marian,
    tiny_models.build_tiny_nllb,
    tiny_models.build_tiny_madlad,
    tiny_models.build_tiny_causal_lm,
])
def test_builds_are_deterministic_and_keep_global_rng(tmp_path: Path, builder):
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = builder(tmp_path / "a")
    assert torch.equal(torch.rand(1), expected_next)  # building did not consume global RNG
    second = builder(tmp_path / "b")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_tiny_metricx_is_deterministic_keeps_global_rng_and_has_the_score_token(tmp_path: Path):
    from transformers import AutoTokenizer, MT5Config

    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = tiny_models.build_tiny_mt5_metricx(tmp_path / "a")
    assert torch.equal(torch.rand(1), expected_next)
    second = tiny_models.build_tiny_mt5_metricx(tmp_path / "b")
    for key in ("model", "tokenizer"):
        files = sorted(p.relative_to(first[key]) for p in first[key].rglob("*") if p.is_file())
        assert files and all((first[key] / n).read_bytes() == (second[key] / n).read_bytes() for n in files)
    tokenizer = AutoTokenizer.from_pretrained(first["tokenizer"])
    index = tokenizer.convert_tokens_to_ids(tiny_models.METRICX_SCORE_TOKEN)
    assert index == len(tokenizer) - 11 < MT5Config.from_pretrained(first["model"]).vocab_size  # as in mT5
