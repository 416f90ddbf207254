"""Batched generation with a decoder-only LM, shared by ``hf_causal`` and ``gguf``.

One batch of encoded prompts goes through :func:`generate_rows`: the generation budget is
clipped to the context (prompts are never cut: the translators drop a prompt that fills the
context before it gets here), prompts are left-padded so each ends where generation starts,
``model.generate`` runs under ``torch.inference_mode`` and is timed. Each generated row is then
ended by :func:`end_row`: padding stripped, cut at the first stop id, and the reason it ended
(:data:`STOP_TOKEN`, :data:`REPETITION`, :data:`MAX_NEW_TOKENS`) returned with it; the
counters every backend reports are :class:`GenerationStats`.

The repetition-loop stop (:class:`LoopRule`): a row whose last tokens are one block of
``1..max_period`` tokens repeated ``min_repeats`` times and ``min_span`` tokens in all
("主席主席主席…") is ended there instead of running on to ``max_new_tokens``. In a batch one
looping row keeps the whole batch decoding, so this saves time without touching other rows;
the looping row's text is kept as generated. Measurements are in docs/benchmarks.md.

Nothing here imports torch or transformers at module level.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# Why a generated row ended.
STOP_TOKEN, REPETITION, MAX_NEW_TOKENS = "stop_token", "repetition", "max_new_tokens"


@dataclass
class GenerationStats:
    """The counters every causal-LM translator reports in ``describe()``."""

    load_seconds: float = 0.0
    generate_calls: int = 0
    generate_seconds: float = 0.0
    segments: int = 0
    prompt_tokens: int = 0
    tokens_generated: int = 0
    hit_max_new_tokens: int = 0
    too_long_inputs: int = 0
    clipped_generation_budget: int = 0


# -- rows ------------------------------------------------------------------------------------


def left_pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[Any, Any]:
    """(input_ids, attention_mask) tensors with padding on the left, so every prompt ends at
    the same position and generation continues right after it."""
    import torch

    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, width - len(row) :] = torch.tensor(list(row), dtype=torch.long)
        mask[i, width - len(row) :] = 1
    return ids, mask


def cut_at_stop(row: Sequence[int], stop_ids: frozenset[int]) -> tuple[list[int], bool]:
    """The generated ids before the first stop id, and whether a stop id was found."""
    for position, token_id in enumerate(row):
        if token_id in stop_ids:
            return list(row[:position]), True
    return list(row), False


def cut_at_stop_strings(text: str, stop_strings: Sequence[str]) -> tuple[str, bool]:
    """``text`` before the earliest occurrence of any of ``stop_strings``, and whether one occurred."""
    positions = [text.find(stop) for stop in stop_strings if stop]
    found = [p for p in positions if p >= 0]
    return (text[: min(found)], True) if found else (text, False)


def strip_padding(row: Sequence[int], pad_id: int) -> list[int]:
    """A generated row without the padding that generate() appends after a row is done."""
    end = len(row)
    while end and row[end - 1] == pad_id:
        end -= 1
    return list(row[:end])


def _token_texts(tokenizer: Any) -> list[str]:
    """The text of every token id, each decoded on its own (so every vocabulary spelling of a
    character shows: "\\n" pieces, byte-fallback ``<0x0A>``, byte-level BPE's ``Ċ``)."""
    singles = [[token_id] for token_id in range(len(tokenizer))]
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:  # the Rust batch decoder is faster than batch_decode
        return list(backend.decode_batch(singles, skip_special_tokens=False))
    return list(tokenizer.batch_decode(singles, skip_special_tokens=False))


def newline_token_ids(tokenizer: Any) -> tuple[int, ...]:
    """Ids of every token whose text contains a line break (a line-based prompt's stop)."""
    texts = _token_texts(tokenizer)
    return tuple(token_id for token_id, text in enumerate(texts) if "\n" in text or "\r" in text)


_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")


def blank_line_token_ids(tokenizer: Any) -> tuple[int, ...]:
    """Ids of every token whose text contains a blank line ("\\n\\n"): the stop of a multi-line
    answer in a prompt whose examples are separated by blank lines (the LLM judge on a base model)."""
    texts = _token_texts(tokenizer)
    return tuple(token_id for token_id, text in enumerate(texts) if _BLANK_LINE.search(text.replace("\r\n", "\n")))


# -- the repetition-loop stop ----------------------------------------------------------------


@dataclass(frozen=True)
class LoopRule:
    """A row is looping when its last tokens are one block of ``1..max_period`` tokens repeated
    at least ``min_repeats`` times and ``min_span`` tokens in all. The span keeps short legit
    repeats ("000" in 2000, "ーー") from counting."""

    min_repeats: int = 3
    min_span: int = 12
    max_period: int = 8

    def describe(self) -> str:
        return f"repeat>={self.min_repeats}x,span>={self.min_span},period<={self.max_period}"


def ends_in_loop(tokens: Sequence[int], rule: LoopRule) -> bool:
    """Whether ``tokens`` end with a block repeated as :class:`LoopRule` describes."""
    for period in range(1, rule.max_period + 1):
        repeats = max(rule.min_repeats, -(-rule.min_span // period))  # ceil division
        span = period * repeats
        if len(tokens) < span:
            continue
        tail = list(tokens[-span:])
        if tail == tail[-period:] * repeats:
            return True
    return False


def loop_stopper(prompt_width: int, rule: LoopRule) -> Any:
    """A transformers StoppingCriteria that ends looping rows (one bool per row)."""
    import torch
    from transformers import StoppingCriteria

    class LoopStop(StoppingCriteria):
        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
            rows = input_ids[:, prompt_width:].tolist()
            done = [ends_in_loop(row, rule) for row in rows]
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return LoopStop()


# -- one batch -------------------------------------------------------------------------------


def generate_rows(
    model: Any,
    rows: list[list[int]],
    *,
    device: Any,
    pad_id: int,
    max_new_tokens: int,
    context_length: int | None,
    stats: GenerationStats,
    settings: Callable[[int], dict[str, Any]],
    loop_rule: LoopRule | None = None,
    context: contextlib.AbstractContextManager[Any] | None = None,
) -> list[list[int]]:
    """Generated ids (prompt removed, padding kept) of one batch of encoded prompts.

    ``settings(budget)`` gives the backend's ``generate`` keywords for a budget of new tokens
    (decoding, stop ids, ...); the budget is ``max_new_tokens`` clipped to the room the longest
    prompt leaves in the context (rows that needed clipping are counted). ``context`` is
    entered around the call (a seeded RNG for sampling).
    """
    import torch

    budget = max_new_tokens
    if context_length is not None:
        budget = min(budget, context_length - max(len(row) for row in rows))
        stats.clipped_generation_budget += sum(1 for row in rows if len(row) + max_new_tokens > context_length)
    input_ids, attention_mask = left_pad(rows, pad_id)
    extra = settings(budget)
    if loop_rule is not None:
        from transformers import StoppingCriteriaList

        extra["stopping_criteria"] = StoppingCriteriaList([loop_stopper(input_ids.shape[1], loop_rule)])
    started = time.perf_counter()
    with torch.inference_mode(), context or contextlib.nullcontext():
        output = model.generate(
            input_ids=input_ids.to(device), attention_mask=attention_mask.to(device), **extra
        )
    stats.generate_seconds += time.perf_counter() - started
    stats.generate_calls += 1
    stats.segments += len(rows)
    stats.prompt_tokens += sum(len(row) for row in rows)
    return output[:, input_ids.shape[1] :].tolist()


def end_row(
    row: Sequence[int], *, stop_ids: frozenset[int], pad_id: int, loop_rule: LoopRule | None, stats: GenerationStats
) -> tuple[list[int], str]:
    """The ids of one generated row up to its stop, and why it ended (the caller counts the
    reason: a backend may end rows in ways of its own, such as stop strings).

    The stop token itself counts as generated; the padding generate() appends after a row
    ended does not. A row without a stop token is :data:`REPETITION` when it ends in a loop
    (the loop stop ended it), else :data:`MAX_NEW_TOKENS`. When the pad id is also a stop id,
    a pad after a loop-stopped row looks like a stop token: the loop decides then.
    """
    kept, stopped = cut_at_stop(row, stop_ids)
    if not stopped:
        kept = strip_padding(kept, pad_id)
    looped = loop_rule is not None and ends_in_loop(kept, loop_rule)
    if stopped and not (looped and pad_id in stop_ids):
        stats.tokens_generated += len(kept) + 1
        return kept, STOP_TOKEN
    stats.tokens_generated += len(kept)
    return kept, REPETITION if looped else MAX_NEW_TOKENS
