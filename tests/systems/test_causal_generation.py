"""Generation pieces shared by hf_causal and gguf: how a row ends, the budget, prompt names."""

from __future__ import annotations

import pytest
import torch

from mtqe.errors import UnknownLanguageError
from mtqe.systems.causal_generation import (
    MAX_NEW_TOKENS,
    REPETITION,
    STOP_TOKEN,
    GenerationStats,
    LoopRule,
    end_row,
    generate_rows,
)
from mtqe.systems.prompting import FewShotPrompt, first_line, language_name, split_pair

PAD, EOS = 0, 1


def ended(row: list[int], *, stops: frozenset[int] = frozenset({EOS}), loop: LoopRule | None = LoopRule()):
    stats = GenerationStats()
    kept, reason = end_row(row, stop_ids=stops, pad_id=PAD, loop_rule=loop, stats=stats)
    return kept, reason, stats.tokens_generated


def test_a_row_ends_at_its_stop_token_and_the_stop_token_counts() -> None:
    assert ended([5, 6, EOS, PAD, PAD]) == ([5, 6], STOP_TOKEN, 3)


def test_padding_after_a_loop_stop_is_not_generated() -> None:
    looping = [7] * 12
    assert ended(looping + [PAD, PAD]) == (looping, REPETITION, 12)
    # When the pad id is also a stop id, the first pad looks like a stop: the loop decides.
    assert ended(looping + [PAD], stops=frozenset({EOS, PAD})) == (looping, REPETITION, 12)
    assert ended(looping + [PAD], loop=None) == (looping, MAX_NEW_TOKENS, 12)


def test_a_row_that_runs_out_of_tokens() -> None:
    assert ended([5, 6, 7, 8]) == ([5, 6, 7, 8], MAX_NEW_TOKENS, 4)


class _Echo:
    """A stand-in for a transformers model: generate() appends ``max_new_tokens`` copies of 9."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def generate(self, *, input_ids: torch.Tensor, attention_mask: torch.Tensor, **kwargs) -> torch.Tensor:
        self.calls.append({"input_ids": input_ids.tolist(), "mask": attention_mask.tolist(), **kwargs})
        new = torch.full((input_ids.shape[0], kwargs["max_new_tokens"]), 9, dtype=torch.long)
        return torch.cat([input_ids, new], dim=1)


def test_generate_rows_left_pads_clips_the_budget_and_counts() -> None:
    model, stats = _Echo(), GenerationStats()
    rows = [[3, 4, 5], [6]]
    out = generate_rows(
        model, rows, device=torch.device("cpu"), pad_id=PAD, max_new_tokens=4, context_length=5, stats=stats,
        settings=lambda budget: {"max_new_tokens": budget},
    )  # fmt: skip
    assert out == [[9, 9], [9, 9]]  # context 5 - longest prompt 3 = 2 new tokens
    assert model.calls[0]["input_ids"] == [[3, 4, 5], [PAD, PAD, 6]]
    assert model.calls[0]["mask"] == [[1, 1, 1], [0, 0, 1]]
    assert stats.clipped_generation_budget == 1 and stats.generate_calls == 1  # only [3, 4, 5] lacked room
    assert stats.segments == 2 and stats.prompt_tokens == 4 and stats.generate_seconds >= 0


def test_prompt_language_names_come_from_the_language_table_with_overrides() -> None:
    assert language_name("ja") == "Japanese" and language_name("zh-TW") == "Traditional Chinese"
    assert language_name("bn") == "Bengali"  # every row of mtqe/languages.py has a prompt name
    assert language_name("zh-CN", {"zh": "Simplified Chinese"}) == "Simplified Chinese"
    assert language_name("tlh", {"tlh": "Klingon"}) == "Klingon"
    with pytest.raises(UnknownLanguageError, match=r"Did you mean 'ja' \(Japanese\).*language_names"):
        language_name("jp")


def test_pair_keys_and_line_prompts() -> None:
    assert split_pair("ja-zh-Hant") == ("ja", "zh-Hant")
    assert split_pair("zh-TW-en") == ("zh-TW", "en")
    with pytest.raises(UnknownLanguageError, match="ja-tlh"):
        split_pair("ja-tlh")
    prompt = FewShotPrompt(header="H\n", src_name="Japanese", tgt_name="Chinese", examples=(("猫", "猫"),))
    assert prompt.render("a\nb") == "H\nJapanese: 猫\nChinese: 猫\n\nJapanese: a b\nChinese:"
    assert first_line(" 你好。\nJapanese: next") == "你好。"


def test_newline_and_blank_line_token_ids_of_a_real_tokenizer(tiny_causal_lm) -> None:
    from transformers import AutoTokenizer

    from mtqe.systems.causal_generation import blank_line_token_ids, newline_token_ids

    tokenizer = AutoTokenizer.from_pretrained(tiny_causal_lm)
    tokenizer.add_tokens(["\n\n", ".\n \n"])  # Gemma's vocabulary has such tokens; this tiny one has none
    newline, blank = set(newline_token_ids(tokenizer)), set(blank_line_token_ids(tokenizer))
    texts = {i: tokenizer.decode([i]) for i in range(len(tokenizer))}
    assert len(blank) == 2 and blank <= newline  # a blank line is a line break
    assert all("\n\n" in texts[i] or "\n \n" in texts[i] for i in blank)
    assert all("\n" in texts[i] or "\r" in texts[i] for i in newline)
    assert any(texts[i] == "\n" for i in newline - blank)
