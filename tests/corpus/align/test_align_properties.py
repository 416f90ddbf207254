"""Property-based tests of the aligners: nothing lost, nothing duplicated, order kept, joins reversible."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtqe.corpus.align.dp import align_dp
from mtqe.corpus.align.links import check_links
from mtqe.corpus.align.scoring_segments import build_segments
from mtqe.corpus.align.sentences import align_sentences
from mtqe.corpus.align.units import Unit, UnitAlignment
from mtqe.corpus.segment import join_sentences, split_sentences

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_HAN = "日本国中美两首脳領導人會議年月核台湾的了是在"
sentence = st.builds(lambda body, end: body + end, st.text(alphabet=_HAN + "、，ABG7 2022", min_size=1, max_size=40), st.sampled_from(["。", "！", "？"]))
sentences = st.lists(sentence, max_size=9)
SHAPES = [(1, 1), (1, 0), (0, 1), (2, 1), (1, 2), (3, 1), (1, 3)]


def _assert_valid(links, n: int, m: int) -> None:
    check_links(links, n, m)  # every index once, in order, consecutive runs, confidence in [0, 1]
    src_seen = [i for l in links for i in l.src_indices]
    tgt_seen = [j for l in links for j in l.tgt_indices]
    assert src_seen == list(range(n)) and tgt_seen == list(range(m))
    # Monotone: a later link never starts before an earlier one ends, on either side.
    last_src = last_tgt = -1
    for link in links:
        if link.src_indices:
            assert link.src_indices[0] > last_src
            last_src = link.src_indices[-1]
        if link.tgt_indices:
            assert link.tgt_indices[0] > last_tgt
            last_tgt = link.tgt_indices[-1]


@PROPERTY
@given(src=sentences, tgt=sentences, coverage=st.sampled_from(["full", "excerpt"]))
def test_sentence_links_cover_both_sides_once_in_order(src: list[str], tgt: list[str], coverage: str) -> None:
    links = align_sentences(src, tgt, src_lang="ja", tgt_lang="zh", coverage=coverage)
    _assert_valid(links, len(src), len(tgt))


@PROPERTY
@given(
    n=st.integers(0, 7),
    m=st.integers(0, 7),
    seed_costs=st.lists(st.floats(0, 20, allow_nan=False), min_size=64, max_size=64),
    temperature=st.sampled_from([0.5, 1.0, 3.0]),
)
def test_dp_is_valid_and_optimal_for_any_costs(n: int, m: int, seed_costs: list[float], temperature: float) -> None:
    def cost(i: int, j: int, di: int, dj: int) -> float:
        return seed_costs[(i * 7 + j * 3 + di * 5 + dj) % 64]

    links = align_dp(n, m, SHAPES, cost, temperature=temperature)
    _assert_valid(links, n, m)
    total = sum(cost(l.src_indices[0] if l.src_indices else _start(links, l, "src"),
                     l.tgt_indices[0] if l.tgt_indices else _start(links, l, "tgt"),
                     len(l.src_indices), len(l.tgt_indices)) for l in links)
    # The all-skips path (n × 1-0 then m × 0-1) is always possible; the optimum is no worse.
    skips = sum(cost(i, 0, 1, 0) for i in range(n)) + sum(cost(n, j, 0, 1) for j in range(m))
    assert total <= skips + 1e-9
    assert all(0.0 <= l.confidence <= 1.0 and not math.isnan(l.confidence) for l in links)


def _start(links, link, side: str) -> int:
    """Position on ``side`` where an empty side of ``link`` sits (after earlier links' units)."""
    position = 0
    for other in links:
        if other is link:
            return position
        position += len(other.src_indices if side == "src" else other.tgt_indices)
    raise AssertionError("link not in links")


paragraphs = st.lists(st.lists(sentence, min_size=1, max_size=4), min_size=1, max_size=4)


@PROPERTY
@given(src_blocks=paragraphs, tgt_blocks=paragraphs, coverage=st.sampled_from(["full", "excerpt"]))
def test_segments_and_notes_rebuild_both_texts(src_blocks, tgt_blocks, coverage: str) -> None:
    src_units = tuple(Unit(b, k, "paragraph", s) for b, block in enumerate(src_blocks) for k, s in enumerate(block))
    tgt_units = tuple(Unit(b, k, "paragraph", s) for b, block in enumerate(tgt_blocks) for k, s in enumerate(block))
    links = align_sentences([u.text for u in src_units], [u.text for u in tgt_units],
                            src_lang="ja", tgt_lang="zh", coverage=coverage)
    built = build_segments({"t": UnitAlignment(src_units, tgt_units, tuple(links))},
                           unit="sentence", src_lang="ja", tgt_lang="zh", low_confidence=0.5)
    # Source: scored segments + uncovered notes, in id order, join back to the whole text.
    pieces = {s.seg_id: s.source for s in built.segments}
    pieces.update({n.where: n.source for n in built.notes if n.kind == "uncovered"})
    assert len(pieces) == len(built.segments) + sum(1 for n in built.notes if n.kind == "uncovered")
    assert "".join(pieces[k] for k in sorted(pieces)) == "".join(u.text for u in src_units)
    # Target: every unit is in exactly one scored segment or one target_only note, in order.
    target_text = "".join(s.targets["t"] for s in built.segments) + "".join(
        n.target for n in built.notes if n.kind == "target_only")
    assert sorted(target_text) == sorted("".join(u.text for u in tgt_units))
    ids = [s.seg_id for s in built.segments]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


@PROPERTY
@given(text=st.lists(sentence, min_size=1, max_size=6).map("".join))
def test_split_then_join_is_the_identity(text: str) -> None:
    assert join_sentences(split_sentences(text, "zh"), "zh") == text
