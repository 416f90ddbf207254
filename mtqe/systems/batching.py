"""Length-sorted batching under a size and token budget, with order restored afterwards.

Sorting by length keeps padding (wasted compute) low; the token budget keeps memory flat
whatever the mix of short and long segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence


@dataclass(frozen=True)
class Batch:
    indices: tuple[int, ...]  # positions in the caller's input list


def length_sorted_batches(
    lengths: Sequence[int], *, max_size: int, max_tokens: int
) -> list[Batch]:
    """Group item indices into batches of similar length, longest first.

    A batch holds at most ``max_size`` items and ``len(batch) * longest_item <= max_tokens``
    (padded size), except that a single item longer than ``max_tokens`` gets a batch of its
    own rather than being dropped.
    """
    if max_size < 1 or max_tokens < 1:
        raise ValueError(f"max_size and max_tokens must be >= 1 (got {max_size}, {max_tokens})")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[Batch] = []
    current: list[int] = []
    longest = 0
    for i in order:
        candidate_longest = max(longest, lengths[i])
        if current and (
            len(current) + 1 > max_size or (len(current) + 1) * candidate_longest > max_tokens
        ):
            batches.append(Batch(tuple(current)))
            current, candidate_longest = [], lengths[i]
        current.append(i)
        longest = candidate_longest
    if current:
        batches.append(Batch(tuple(current)))
    return batches


def run_batched(
    items: Sequence[str],
    lengths: Sequence[int],
    run: Callable[[list[str]], list[str]],
    *,
    max_size: int,
    max_tokens: int,
    on_batch_done: Callable[[list[int], list[str]], None] | None = None,
) -> list[str]:
    """Apply ``run`` batch by batch and return outputs in input order.

    ``on_batch_done(indices, outputs)`` is called after each batch, so callers can persist
    results as they come (an interrupted run keeps the finished batches).
    """
    if len(items) != len(lengths):
        raise ValueError(f"{len(items)} items but {len(lengths)} lengths")
    outputs: list[str | None] = [None] * len(items)
    for batch in length_sorted_batches(lengths, max_size=max_size, max_tokens=max_tokens):
        idx = list(batch.indices)
        result = run([items[i] for i in idx])
        if len(result) != len(idx):
            raise RuntimeError(f"batch of {len(idx)} inputs returned {len(result)} outputs")
        for i, out in zip(idx, result):
            outputs[i] = out
        if on_batch_done is not None:
            on_batch_done(idx, result)
    missing = [i for i, o in enumerate(outputs) if o is None]
    if missing:
        raise RuntimeError(f"no output for items {missing[:10]}")
    return [o for o in outputs if o is not None]
