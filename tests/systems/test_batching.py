"""Length-sorted batching: budgets respected, nothing lost, order restored."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mtqe.systems.batching import length_sorted_batches, run_batched


@given(st.lists(st.integers(min_value=0, max_value=300), max_size=60),
       st.integers(min_value=1, max_value=16), st.integers(min_value=1, max_value=2000))
@settings(max_examples=200, deadline=None)
def test_every_item_in_exactly_one_batch_within_budget(lengths, max_size, max_tokens) -> None:
    batches = length_sorted_batches(lengths, max_size=max_size, max_tokens=max_tokens)
    seen = sorted(i for b in batches for i in b.indices)
    assert seen == list(range(len(lengths)))
    for b in batches:
        assert len(b.indices) <= max_size
        longest = max(lengths[i] for i in b.indices)
        # Only a single over-long item may exceed the token budget, alone in its batch.
        assert len(b.indices) * longest <= max_tokens or len(b.indices) == 1


@given(st.lists(st.text(max_size=20), max_size=40), st.integers(min_value=1, max_value=8))
@settings(max_examples=100, deadline=None)
def test_run_batched_restores_input_order(items, size) -> None:
    out = run_batched(items, [len(s) for s in items], lambda batch: [s[::-1] for s in batch],
                      max_size=size, max_tokens=10_000)
    assert out == [s[::-1] for s in items]


def test_batches_are_length_sorted_longest_first() -> None:
    batches = length_sorted_batches([1, 50, 3, 40, 2], max_size=2, max_tokens=10_000)
    assert [b.indices for b in batches] == [(1, 3), (2, 4), (0,)]


def test_batch_callback_sees_each_batch_and_bad_runner_is_caught() -> None:
    seen = []
    run_batched(["a", "bb", "ccc"], [1, 2, 3], lambda b: b, max_size=1, max_tokens=10,
                on_batch_done=lambda idx, out: seen.append((idx, out)))
    assert seen == [([2], ["ccc"]), ([1], ["bb"]), ([0], ["a"])]
    with pytest.raises(RuntimeError, match="returned"):
        run_batched(["a", "b"], [1, 1], lambda b: b[:1], max_size=2, max_tokens=10)
    with pytest.raises(ValueError):
        length_sorted_batches([1], max_size=0, max_tokens=5)
