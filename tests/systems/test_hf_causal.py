"""HFCausalTranslator (``type: hf_causal``) on the tiny Qwen2-style chat LM, and the chat
output cleaning rules of ``mtqe.systems.prompting``.

The tiny model has random weights: outputs are noise, so tests check prompts, order, stop
rules and bookkeeping, never translation quality. Its fixture draws weights so small that it
answers every prompt with newlines; ``varied_lm`` redraws them larger so that different
inputs give different outputs (otherwise a batching mix-up could not be seen).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from mtqe.corpus.model import AlignedSegment, ParallelDocument, Provenance, TextSpec
from mtqe.errors import ConfigError, UnknownLanguageError
from mtqe.systems.cache import TranslationCache
from mtqe.systems.configs import BatchingConfig, ChatCleaningConfig, HFCausalConfig
from mtqe.systems.hf_causal import HFCausalTranslator, end_of_turn_token
from mtqe.systems.mt_system import MTSystem
from mtqe.systems.causal_generation import cut_at_stop_strings
from mtqe.systems.prompting import clean_chat_output
from mtqe.systems.registry import build_system, validate_system_config
from tests.tiny_models import CORPUS_EN, CORPUS_JA

CONF_SYSTEM = Path(__file__).resolve().parents[2] / "mtqe" / "conf" / "system"
SOURCES = [CORPUS_JA[0], CORPUS_JA[2], "山", "", CORPUS_JA[7] + CORPUS_JA[8], CORPUS_EN[1]]


def make_cfg(model: str | Path, **overrides: Any) -> HFCausalConfig:
    """Short prompts: the tiny model's context is 256 tokens of a 512-entry byte-level BPE."""
    values: dict[str, Any] = {
        "type": "hf_causal",
        "name": "tiny-chat",
        "model": str(model),
        "device": "cpu",
        "dtype": "float32",
        "system_prompt": "To {tgt_name}.",
        "user_prompt": "{text}",
        "max_new_tokens": 8,
        "batching": BatchingConfig(batch_size=8, max_batch_tokens=4096),
    }
    values.update(overrides)
    return HFCausalConfig(**values)


def _copy(source: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    directory = tmp_path_factory.mktemp(name) / name
    shutil.copytree(source, directory)
    return directory


def _edit_json(path: Path, **changes: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def varied_lm(tiny_causal_lm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny chat LM with larger random weights (std 0.3): outputs depend on the input."""
    from transformers import AutoModelForCausalLM

    directory = _copy(tiny_causal_lm, tmp_path_factory, "varied-lm")
    model = AutoModelForCausalLM.from_pretrained(directory, local_files_only=True)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(1)
        for name, parameter in model.named_parameters():
            if "norm" not in name:
                parameter.normal_(0, 0.3)
    model.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def eot_only_lm(varied_lm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``varied_lm`` whose tokenizer and configs name ``<|endoftext|>`` (id 0) as EOS: only the
    chat template says that ``<|im_end|>`` ends a turn."""
    directory = _copy(varied_lm, tmp_path_factory, "eot-only-lm")
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        _edit_json(directory / name, eos_token="<|endoftext|>")
    for name in ("config.json", "generation_config.json"):
        _edit_json(directory / name, eos_token_id=0)
    return directory


@pytest.fixture(scope="module")
def base_lm(tiny_causal_lm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny LM without a chat template, like a base (not instruction-tuned) checkpoint."""
    directory = _copy(tiny_causal_lm, tmp_path_factory, "base-lm")
    (directory / "chat_template.jinja").unlink(missing_ok=True)
    config = json.loads((directory / "tokenizer_config.json").read_text(encoding="utf-8"))
    config.pop("chat_template", None)
    (directory / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return directory


# -- prompts ---------------------------------------------------------------------------------


def test_prompt_is_rendered_through_the_chat_template_with_few_shot_turns(tiny_causal_lm: Path) -> None:
    cfg = make_cfg(
        tiny_causal_lm,
        system_prompt="Translate {src_name} into {tgt_name}.",
        user_prompt="{src_name}: {text}",
        few_shot={"ja-zh": [{"source": "猫が寝ている。", "target": "猫在睡觉。"}]},
    )
    translator = HFCausalTranslator(cfg=cfg)
    assert translator.prompt("雨の日", src_lang="ja", tgt_lang="zh") == (
        "<|im_start|>system\nTranslate Japanese into Chinese.<|im_end|>\n"
        "<|im_start|>user\nJapanese: 猫が寝ている。<|im_end|>\n"
        "<|im_start|>assistant\n猫在睡觉。<|im_end|>\n"
        "<|im_start|>user\nJapanese: 雨の日<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    # Other pairs are zero-shot; an empty system prompt leaves the system turn out.
    bare = HFCausalTranslator(cfg=make_cfg(tiny_causal_lm, system_prompt=""))
    assert bare.messages("Hi {there}", src_lang="en", tgt_lang="ja") == [{"role": "user", "content": "Hi {there}"}]
    assert not translator.loaded and not bare.loaded  # prompt() reads the tokenizer only


def test_few_shot_turns_reach_the_model(varied_lm: Path) -> None:
    shots = {"ja-zh": [{"source": CORPUS_JA[1], "target": "走到车站要十分钟。"}]}
    translator = HFCausalTranslator(cfg=make_cfg(varied_lm, few_shot=shots, pairs=["ja-zh"]))
    translator.translate(["雨"], src_lang="ja", tgt_lang="zh")
    prompt = translator.prompt("雨", src_lang="ja", tgt_lang="zh")
    assert prompt.count("<|im_start|>assistant\n") == 2 and "走到车站要十分钟。<|im_end|>" in prompt
    facts = translator.describe()
    assert facts["prompt_tokens"] == len(translator.tokenizer(prompt, add_special_tokens=False)["input_ids"])
    assert facts["few_shot_pairs"] == ["ja-zh"] and facts["zero_shot_pairs"] == []


def test_model_without_chat_template_is_a_config_error(base_lm: Path, tiny_causal_lm: Path) -> None:
    translator = HFCausalTranslator(cfg=make_cfg(base_lm))
    with pytest.raises(ConfigError, match="no chat template") as error:
        translator.translate(["猫"], src_lang="ja", tgt_lang="zh")
    assert "type: gguf" in str(error.value) and not translator.loaded
    # A template given in the config makes it usable.
    template = (tiny_causal_lm / "chat_template.jinja").read_text(encoding="utf-8")
    rescued = HFCausalTranslator(cfg=make_cfg(base_lm, chat_template=template))
    assert rescued.prompt("猫", src_lang="ja", tgt_lang="zh").endswith("<|im_start|>assistant\n")


def test_template_rejecting_the_system_turn_says_what_to_change(tiny_causal_lm: Path) -> None:
    template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
        "{% endif %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"
    )
    translator = HFCausalTranslator(cfg=make_cfg(tiny_causal_lm, chat_template=template))
    with pytest.raises(ConfigError, match="system_prompt: ''"):
        translator.prompt("猫", src_lang="ja", tgt_lang="zh")


def test_config_is_checked_before_anything_loads(tiny_causal_lm: Path) -> None:
    with pytest.raises(ConfigError, match=r"\{text\}"):
        HFCausalTranslator(cfg=make_cfg(tiny_causal_lm, user_prompt="Translate into {tgt_name}."))
    with pytest.raises(ConfigError, match=r"\{language\}"):
        HFCausalTranslator(cfg=make_cfg(tiny_causal_lm, system_prompt="Into {language}."))
    with pytest.raises(ConfigError, match="temperature"):
        HFCausalTranslator(cfg=make_cfg(tiny_causal_lm, temperature=-0.1))
    with pytest.raises(ConfigError, match="en-zh"):
        HFCausalTranslator(
            cfg=make_cfg(tiny_causal_lm, pairs=["ja-zh"], few_shot={"en-zh": [{"source": "a", "target": "b"}]})
        )
    with pytest.raises(UnknownLanguageError, match="tlh"):
        HFCausalTranslator(cfg=make_cfg(tiny_causal_lm, pairs=["ja-tlh"]))
    named = HFCausalTranslator(cfg=make_cfg(tiny_causal_lm, pairs=["ja-tlh"], language_names={"tlh": "Klingon"}))
    assert named.messages("猫", src_lang="ja", tgt_lang="tlh")[0]["content"] == "To Klingon."
    translator = HFCausalTranslator(cfg=make_cfg(tiny_causal_lm))
    with pytest.raises(UnknownLanguageError):
        translator.translate(["猫"], src_lang="ja", tgt_lang="xx")
    assert not translator.loaded


# -- identity --------------------------------------------------------------------------------


def test_identity_is_cheap_complete_and_stable(tiny_causal_lm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import transformers

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("identity() must not load the tokenizer or the model")

    with monkeypatch.context() as patch:
        for name in ("AutoTokenizer", "AutoModelForCausalLM", "AutoConfig"):
            patch.setattr(getattr(transformers, name), "from_pretrained", refuse)
        translator = HFCausalTranslator(cfg=make_cfg(tiny_causal_lm))
        identity = translator.identity()
    assert identity["backend"] == "hf_causal" and len(identity["files_sha256"]) == 64
    assert identity["system_prompt"] == "To {tgt_name}." and identity["user_prompt"] == "{text}"
    assert identity["decoding"]["strategy"] == "greedy" and identity["decoding"]["max_new_tokens"] == 8
    assert identity["dtype"] == "float32" and identity["transformers"] == transformers.__version__
    translator.translate(["猫"], src_lang="ja", tgt_lang="zh")
    assert translator.identity() == identity  # the same after loading
    variants = [
        make_cfg(tiny_causal_lm, user_prompt="Text: {text}"),
        make_cfg(tiny_causal_lm, few_shot={"ja-zh": [{"source": "猫", "target": "猫"}]}),
        make_cfg(tiny_causal_lm, max_new_tokens=9),
        make_cfg(tiny_causal_lm, temperature=0.5),
        make_cfg(tiny_causal_lm, stop_strings=["###"]),
        make_cfg(tiny_causal_lm, cleaning=ChatCleaningConfig(strip_quotes=False)),
        make_cfg(tiny_causal_lm, dtype="bfloat16"),
    ]
    assert all(HFCausalTranslator(cfg=cfg).identity() != identity for cfg in variants)


# -- generation ------------------------------------------------------------------------------


def test_batched_greedy_outputs_equal_one_by_one(varied_lm: Path) -> None:
    translator = HFCausalTranslator(cfg=make_cfg(varied_lm))
    outputs = translator.translate(SOURCES, src_lang="ja", tgt_lang="zh")
    assert len(outputs) == len(SOURCES) and outputs[3] == ""  # blank in, blank out, no model call
    assert len(set(outputs)) >= 4  # otherwise this test could not see a mix-up
    single = [translator.translate([text], src_lang="ja", tgt_lang="zh")[0] for text in SOURCES]
    assert single == outputs  # float32 greedy: left padding does not change the result
    assert translator.translate(SOURCES[::-1], src_lang="ja", tgt_lang="zh") == outputs[::-1]
    facts = translator.describe()
    assert facts["generate_calls"] == 1 + 5 + 1 and facts["segments"] == 15
    assert facts["loaded"] and facts["dtype"] == "float32" and facts["end_of_turn"] == "<|im_end|>"


def test_token_budget_splits_batches(varied_lm: Path) -> None:
    small = make_cfg(varied_lm, batching=BatchingConfig(batch_size=8, max_batch_tokens=60))
    translator = HFCausalTranslator(cfg=small)
    outputs = translator.translate(SOURCES, src_lang="ja", tgt_lang="zh")
    assert translator.generate_calls > 1
    assert outputs == HFCausalTranslator(cfg=make_cfg(varied_lm)).translate(SOURCES, src_lang="ja", tgt_lang="zh")


def test_prompts_beyond_the_context_are_counted_never_cut(varied_lm: Path) -> None:
    translator = HFCausalTranslator(cfg=make_cfg(varied_lm))

    def prompt_tokens(text: str) -> int:
        prompt = translator.prompt(text, src_lang="en", tgt_lang="zh")
        return len(translator.tokenizer(prompt, add_special_tokens=False)["input_ids"])

    too_long = " ".join(CORPUS_EN * 4)
    near_limit = " ".join(CORPUS_EN) + " Yes."  # 251 prompt tokens: room for 5 of the 8 new tokens
    assert prompt_tokens(too_long) >= 256 > prompt_tokens(near_limit) > 256 - 8  # context 256, max_new_tokens 8
    outputs = translator.translate([too_long, near_limit, CORPUS_EN[0]], src_lang="en", tgt_lang="zh")
    assert outputs[0] == "" and outputs[2] != ""
    facts = translator.describe()
    assert facts["too_long_inputs"] == 1 and facts["clipped_generation_budget"] >= 1


def test_cuda_oom_halves_the_batch(varied_lm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    translator = HFCausalTranslator(cfg=make_cfg(varied_lm))
    expected = translator.translate(SOURCES, src_lang="ja", tgt_lang="zh")
    original = HFCausalTranslator._generate_once

    def fail_on_pairs(self: HFCausalTranslator, loaded: Any, rows: list[list[int]]) -> list[list[int]]:
        if len(rows) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return original(self, loaded, rows)

    monkeypatch.setattr(HFCausalTranslator, "_generate_once", fail_on_pairs)
    assert translator.translate(SOURCES, src_lang="ja", tgt_lang="zh") == expected
    facts = translator.describe()
    assert facts["oom_retries"] >= 1 and facts["batch_size_cap"] <= 3


class _ForceToken:
    """A logits processor that forces ``token`` in batch row ``row`` at generation step ``step``."""

    def __init__(self, prompt_width: int, row: int, step: int, token: int) -> None:
        self.prompt_width, self.row, self.step, self.token = prompt_width, row, step, token

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        if input_ids.shape[1] - self.prompt_width == self.step:
            scores[self.row] = float("-inf")
            scores[self.row, self.token] = 0.0
        return scores


def test_generation_stops_at_the_templates_end_of_turn_token(eot_only_lm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from transformers import LogitsProcessorList

    sources = [CORPUS_JA[2], CORPUS_JA[0]]  # length-sorted, longest first: row 0 is sources[0]
    translator = HFCausalTranslator(cfg=make_cfg(eot_only_lm))
    tokenizer = translator.tokenizer
    assert tokenizer.eos_token == "<|endoftext|>" and end_of_turn_token(tokenizer) == "<|im_end|>"
    unforced = translator.translate(sources, src_lang="ja", tgt_lang="zh")
    assert translator.describe()["hit_max_new_tokens"] == 2
    prefix = HFCausalTranslator(cfg=make_cfg(eot_only_lm, max_new_tokens=3)).translate(
        sources, src_lang="ja", tgt_lang="zh"
    )
    assert prefix[0] != unforced[0]

    model = translator.model
    original = model.generate
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")

    def generate(**kwargs: Any) -> Any:
        force = _ForceToken(kwargs["input_ids"].shape[1], row=0, step=3, token=im_end)
        return original(**kwargs, logits_processor=LogitsProcessorList([force]))

    monkeypatch.setattr(model, "generate", generate)
    forced = translator.translate(sources, src_lang="ja", tgt_lang="zh")
    assert forced == [prefix[0], unforced[1]]  # row 0 ended at <|im_end|>, row 1 ran on
    facts = translator.describe()
    assert facts["hit_max_new_tokens"] == 2 + 1 and "<|im_end|>" in facts["stop_tokens"]


def test_stop_strings_end_generation_and_are_cut(varied_lm: Path) -> None:
    plain = HFCausalTranslator(cfg=make_cfg(varied_lm)).translate([CORPUS_JA[0]], src_lang="ja", tgt_lang="zh")[0]
    stop = next(ch for ch in plain[1:] if ch.isprintable() and not ch.isspace() and ch != "\ufffd" and ch != plain[0])
    translator = HFCausalTranslator(cfg=make_cfg(varied_lm, stop_strings=[stop]))
    output = translator.translate([CORPUS_JA[0]], src_lang="ja", tgt_lang="zh")[0]
    assert output == plain[: plain.index(stop)].strip() and stop not in output
    facts = translator.describe()
    assert facts["stopped_by_stop_string"] == 1 and facts["hit_max_new_tokens"] == 0


def test_sampling_is_seeded_and_leaves_the_global_rng_alone(varied_lm: Path) -> None:
    state = torch.get_rng_state()
    cfg = make_cfg(varied_lm, temperature=1.5, top_p=0.95, seed=7)
    first = HFCausalTranslator(cfg=cfg).translate(SOURCES[:3], src_lang="ja", tgt_lang="zh")
    second = HFCausalTranslator(cfg=cfg).translate(SOURCES[:3], src_lang="ja", tgt_lang="zh")
    assert first == second
    assert torch.equal(torch.get_rng_state(), state)


def test_checkpoint_generation_defaults_are_not_applied(varied_lm: Path, tmp_path: Path) -> None:
    """Qwen2.5 ships do_sample/temperature/repetition_penalty in generation_config.json; the
    config's decoding parameters must win, or outputs would drift from the cache identity."""
    directory = tmp_path / "sampling-defaults"
    shutil.copytree(varied_lm, directory)
    _edit_json(directory / "generation_config.json", do_sample=True, temperature=2.0, repetition_penalty=3.0, top_k=5)
    greedy = HFCausalTranslator(cfg=make_cfg(varied_lm)).translate(SOURCES[:3], src_lang="ja", tgt_lang="zh")
    assert HFCausalTranslator(cfg=make_cfg(directory)).translate(SOURCES[:3], src_lang="ja", tgt_lang="zh") == greedy


# -- through MTSystem and the registry -------------------------------------------------------


def make_doc(sources: list[str]) -> ParallelDocument:
    spec = TextSpec(
        document="doc",
        text_id="ja-source",
        lang="ja",
        roles=frozenset({"source"}),
        path=Path("doc.ja.txt"),
        sha256="0" * 64,
        cleaner="plain",
        provenance=Provenance(origin="test"),
    )
    segments = tuple(AlignedSegment(seg_id=f"p{i}", kind="paragraph", source=text) for i, text in enumerate(sources))
    return ParallelDocument(document="doc", src_lang="ja", tgt_lang="zh", source=spec, targets={}, segments=segments)


def test_mt_system_with_cache_translates_nothing_the_second_time(varied_lm: Path, tmp_path: Path) -> None:
    cfg = make_cfg(varied_lm, pairs=["ja-zh"])
    cache = TranslationCache(tmp_path / "translations.sqlite")
    doc = make_doc([CORPUS_JA[0], CORPUS_JA[3], CORPUS_JA[0], CORPUS_JA[5]])
    first = MTSystem(cfg=cfg, translator_factory=lambda: HFCausalTranslator(cfg=cfg), cache=cache)
    out1 = first.produce(doc)
    assert out1.stats["translated"] == 3 and out1.stats["model_used"]
    assert out1.hypotheses[0] == out1.hypotheses[2] and len(out1.hypotheses) == 4

    second = MTSystem(cfg=cfg, translator_factory=lambda: HFCausalTranslator(cfg=cfg), cache=cache)
    out2 = second.produce(doc)
    assert out2.hypotheses == out1.hypotheses
    assert out2.stats["translated"] == 0 and out2.stats["cache_hits"] == 3 and not out2.stats["model_used"]
    translator = second.translator
    assert isinstance(translator, HFCausalTranslator) and not translator.loaded and translator.generate_calls == 0


@pytest.mark.parametrize("name", ["qwen2.5-7b-instruct", "qwen2.5-1.5b-instruct"])
def test_shipped_configs_validate_and_build_without_loading(name: str) -> None:
    node = yaml.safe_load((CONF_SYSTEM / f"{name}.yaml").read_text(encoding="utf-8"))[name]
    cfg = validate_system_config(name, node)
    assert isinstance(cfg, HFCausalConfig) and cfg.model.startswith("Qwen/Qwen2.5-")
    system = build_system(cfg, cache=None)
    assert isinstance(system, MTSystem) and system.supports("ja", "zh") and not system.supports("fr", "de")
    translator = HFCausalTranslator(cfg=cfg)
    chat = translator.messages("テスト", src_lang="ja", tgt_lang="zh")
    assert [m["role"] for m in chat] == ["system", "user"]
    assert "Simplified Chinese" in chat[0]["content"] and chat[1]["content"].endswith("\n\nテスト")
    assert translator.identity()["decoding"]["strategy"] == "greedy" and not translator.loaded


# -- output cleaning -------------------------------------------------------------------------


def clean(text: str, source: str = "猫が寝ている。", **rules: Any) -> str:
    return clean_chat_output(text, source=source, tgt_name="Chinese", **rules).text


def test_cleaning_drops_a_leading_label() -> None:
    assert clean("Chinese: 猫在睡觉。") == "猫在睡觉。"
    assert clean("**Translation:** 猫在睡觉。") == "猫在睡觉。"
    assert clean("chinese translation：猫在睡觉。") == "猫在睡觉。"
    assert clean("Chinese:") == "Chinese:"  # nothing after it: not a label
    assert clean("中文：猫在睡觉。") == "中文：猫在睡觉。"  # not in the default labels...
    assert clean("中文：猫在睡觉。", labels=["中文"]) == "猫在睡觉。"  # ...but configurable
    assert clean("Chinese: 猫在睡觉。", labels=[]) == "Chinese: 猫在睡觉。"
    # A source that starts with a label of its own keeps the label in the translation.
    assert clean("Chinese: 一种语言", source="中国語：言語の一つ") == "Chinese: 一种语言"


def test_cleaning_drops_surrounding_quotes_unless_the_source_is_quoted() -> None:
    assert clean('"猫在睡觉。"') == "猫在睡觉。"
    assert clean("“猫在睡觉。”") == "猫在睡觉。"
    assert clean("「猫在睡觉。」") == "猫在睡觉。"
    assert clean("“猫”和“狗”") == "“猫”和“狗”"  # two quotations, not one wrapping pair
    assert clean("“猫在睡觉。”", source="「猫が寝ている。」") == "“猫在睡觉。”"
    assert clean('"猫在睡觉。"', quotes=False) == '"猫在睡觉。"'


def test_cleaning_cuts_at_the_first_blank_line_keeping_the_sources_paragraphs() -> None:
    assert clean("猫在睡觉。\n\nNote: 猫 means cat.") == "猫在睡觉。"
    assert clean("猫在睡觉。\n  \nNote") == "猫在睡觉。"
    assert clean("第一行\n第二行") == "第一行\n第二行"  # a single line break is kept
    assert clean("甲。\n\n乙。\n\n(Note)", source="甲。\n\n乙。") == "甲。\n\n乙。"
    assert clean("猫在睡觉。\n\nNote", cut_at_blank_line=False) == "猫在睡觉。\n\nNote"


def test_cleaning_rules_combine_and_report_what_they_did() -> None:
    result = clean_chat_output('  Chinese: "猫在睡觉。"\n\n(Explanation: ...)', source="猫が寝ている。", tgt_name="Chinese")
    assert result.text == "猫在睡觉。" and result.applied == ("blank_line_cut", "label", "quotes")
    assert clean_chat_output(" 猫在睡觉。 ", source="猫", tgt_name="Chinese").applied == ()
    assert cut_at_stop_strings("猫在睡觉。###注", ["###", "注"]) == ("猫在睡觉。", True)
    assert cut_at_stop_strings("猫", ["###"]) == ("猫", False)
