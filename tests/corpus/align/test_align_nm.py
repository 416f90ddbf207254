"""Paragraph n:m alignment, excerpts, and the sentence unit of load_parallel_document."""

from __future__ import annotations

import dataclasses

import pytest

from mtqe.corpus.align.blocks import align_blocks, align_blocks_explained, same_structure
from mtqe.corpus.align.strict_blocks import align_one_to_one
from mtqe.corpus.align.link_cost import LinkCostParams
from mtqe.corpus.align.sentences import align_sentences
from mtqe.corpus.align.units import (
    align_excerpt,
    align_units,
    project_to_blocks,
    sentence_units,
)
from mtqe.corpus.loader import load_clean_text, load_parallel_document
from mtqe.corpus.model import Block, CleanText, Manifest
from mtqe.corpus.segment import join_sentences, split_sentences
from mtqe.errors import AlignmentError, CorpusError


@pytest.fixture(scope="module")
def texts(manifest: Manifest) -> tuple[CleanText, CleanText]:
    doc = manifest.documents["jpus-2022"]
    return load_clean_text(doc.texts["ja-mofa"]), load_clean_text(doc.texts["zh-community"])


def _with_blocks(text: CleanText, blocks: list[Block]) -> CleanText:
    return dataclasses.replace(text, blocks=tuple(blocks))


# -- paragraphs ----------------------------------------------------------------------------


def test_same_structure_uses_the_strict_check(texts) -> None:
    ja, zh = texts
    assert same_structure(ja, zh)
    links = align_blocks(ja, zh)
    assert [(l.src_indices, l.tgt_indices, l.confidence) for l in links] == [((i,), (i,), 1.0) for i in range(40)]


def test_split_and_merged_paragraphs_align_n_to_m(texts) -> None:
    ja, zh = texts
    blocks = list(zh.blocks)
    # The zh publisher split p003 after its second sentence, and merged p010 with p011.
    p3 = split_sentences(blocks[3].text, "zh")
    split = [Block("paragraph", join_sentences(p3[:2], "zh")), Block("paragraph", join_sentences(p3[2:], "zh"))]
    links = align_blocks(ja, _with_blocks(zh, blocks[:3] + split + blocks[4:]))
    assert {l.src_indices: l.tgt_indices for l in links}[(3,)] == (3, 4)
    assert {l.src_indices: l.tgt_indices for l in links}[(39,)] == (40,)
    merged = Block("paragraph", blocks[10].text + blocks[11].text)
    links = align_blocks(ja, _with_blocks(zh, blocks[:10] + [merged] + blocks[12:]))
    by_src = {l.src_indices: (l.tgt_indices, l.shape) for l in links}
    assert by_src[(10, 11)] == ((10,), "2-1")
    assert by_src[(12,)] == ((11,), "1-1") and by_src[(39,)] == ((38,), "1-1")
    assert all(l.confidence > 0.5 for l in links)


def test_a_split_and_a_merge_that_keep_the_count_fall_back_to_n_m(texts) -> None:
    # Same number and kinds of blocks, but two length ratios out of band: the strict 1:1 check
    # refuses, and instead of failing the run the n:m aligner pairs the paragraphs and says so.
    ja, zh = texts
    blocks = list(zh.blocks)
    p3 = split_sentences(blocks[3].text, "zh")
    split = [Block("paragraph", join_sentences(p3[:2], "zh")), Block("paragraph", join_sentences(p3[2:], "zh"))]
    edited = _with_blocks(zh, blocks[:3] + split + [Block("paragraph", blocks[4].text + blocks[5].text)] + blocks[6:])
    with pytest.raises(AlignmentError, match="length ratio"):
        align_one_to_one(ja, edited)  # the strict check itself still refuses
    links, fallback = align_blocks_explained(ja, edited)
    assert fallback is not None and 3 in fallback.blocks and "outside" in fallback.reason
    by_src = {l.src_indices: l.tgt_indices for l in links}
    assert by_src[(3,)] == (3, 4) and by_src[(4, 5)] == (5,)
    assert by_src[(6,)] == (6,) and by_src[(39,)] == (39,)
    assert align_blocks_explained(ja, zh)[1] is None  # the real texts pass the strict check


def test_missing_paragraph_and_heading_are_left_unlinked(texts) -> None:
    ja, zh = texts
    blocks = list(zh.blocks)
    edited = _with_blocks(zh, blocks[:12] + blocks[14:])  # p012 (paragraph) and p013 (heading) missing
    links = align_blocks(ja, edited)
    unlinked = [l.src_indices for l in links if not l.tgt_indices]
    assert unlinked == [(12,), (13,)]
    # Headings anchor the sections: the ones after the gap still pair with their counterparts.
    by_src = {l.src_indices: l.tgt_indices for l in links}
    assert by_src[(18,)] == (16,) and by_src[(36,)] == (34,)


def test_full_alignment_refuses_texts_that_do_not_correspond(texts) -> None:
    ja, zh = texts
    with pytest.raises(AlignmentError, match="no counterpart"):
        align_blocks(ja, _with_blocks(zh, list(zh.blocks[:8])))


# -- excerpts ------------------------------------------------------------------------------

# A synthetic excerpt of zh-community, cut programmatically (seed spans only): some whole
# paragraphs and some sentences of others, as a news article quoting a statement would.
EXCERPT = {3: [1, 3], 9: [4, 5, 6], 15: None, 22: None, 30: [1], 37: [2]}


def _excerpt(zh: CleanText) -> tuple[CleanText, list[tuple[int, int]]]:
    blocks, origin = [], []
    for number, keep in EXCERPT.items():
        sentences = split_sentences(zh.blocks[number].text, "zh")
        keep = list(range(len(sentences))) if keep is None else keep
        blocks.append(Block("paragraph", join_sentences([sentences[k] for k in keep], "zh")))
        origin += [(number, k) for k in keep]
    return _with_blocks(zh, blocks), origin


def test_excerpt_aligns_to_the_spans_it_covers(texts) -> None:
    ja, zh = texts
    excerpt, origin = _excerpt(zh)
    result = align_excerpt(ja, excerpt)
    matched = [l for l in result.links if l.is_match]
    assert len(matched) == len(origin) == 15
    for link in matched:
        (j,) = link.tgt_indices
        (i,) = link.src_indices
        # zh sentence k of block b of the full text translates ja sentence k of block b (1-1 there).
        assert (result.src[i].block, result.src[i].index) == origin[j]
        assert link.confidence > 0.5
    # Everything else of the 111 ja sentences is uncovered, not forced onto the excerpt.
    uncovered = [l for l in result.links if not l.tgt_indices]
    assert len(uncovered) == 111 - 15 and all(len(l.src_indices) == 1 for l in uncovered)
    assert not [l for l in result.links if not l.src_indices]


def test_without_content_signals_an_excerpt_is_uncertain_and_says_so(texts) -> None:
    # Length and anchors alone cannot tell where an excerpt sentence comes from; the
    # confidences must show it: every wrong link is below the low-confidence threshold.
    ja, zh = texts
    excerpt, origin = _excerpt(zh)
    src = sentence_units(ja)
    tgt = [u.text for u in sentence_units(excerpt)]
    links = align_sentences([u.text for u in src], tgt, src_lang="ja", tgt_lang="zh", coverage="excerpt",
                            params=LinkCostParams(han_weight=0))
    wrong = [l for l in links if l.is_match and (src[l.src_indices[0]].block, src[l.src_indices[0]].index) != origin[l.tgt_indices[0]]]
    assert wrong and all(l.confidence < 0.5 for l in wrong)


def test_excerpt_at_paragraph_level_marks_partial_paragraphs(texts) -> None:
    ja, zh = texts
    excerpt, _ = _excerpt(zh)
    blocks = project_to_blocks(align_excerpt(ja, excerpt), ja, excerpt)
    by_src = {l.src_indices: l for l in blocks.links}
    assert by_src[(15,)].tgt_indices == (2,) and by_src[(15,)].confidence > 0.5  # fully quoted paragraph
    assert by_src[(3,)].tgt_indices == (0,) and by_src[(3,)].confidence == 0.0  # two of five sentences
    assert by_src[(4,)].tgt_indices == ()


def test_excerpt_through_align_units(texts) -> None:
    ja, zh = texts
    excerpt, _ = _excerpt(zh)
    sentence = align_units(ja, excerpt, unit="sentence", coverage="excerpt")
    assert sum(1 for l in sentence.links if l.is_match) == 15
    with pytest.raises(AlignmentError, match="unit"):
        align_units(ja, excerpt, unit="word")


# -- the sentence unit of a document -------------------------------------------------------


def test_sentence_unit_of_jpus_2022(manifest: Manifest) -> None:
    doc = load_parallel_document(manifest, "jpus-2022", "ja", "zh", unit="sentence")
    assert doc.unit == "sentence" and len(doc.segments) == 110
    by_id = {s.seg_id: s for s in doc.segments}
    assert by_id["p007.s04"].shapes == {"zh-community": "2-1"}
    assert by_id["p007.s05"].source.startswith("両首脳はまた、欧州やカナダ")
    assert by_id["p014.s02"].shapes == {"zh-community": "1-2"}
    assert by_id["p014.s02"].targets["zh-community"].endswith("拜登总统强烈支持岸田首相的决心。")
    assert by_id["p000.s00"].kind == "title" and by_id["p006.s00"].kind == "heading"
    assert not doc.notes  # nothing low-confidence, uncovered or target-only
    assert all(s.confidence > 0.5 for s in doc.segments)


def test_sentence_segments_join_back_to_the_paragraphs(manifest: Manifest) -> None:
    paragraphs = load_parallel_document(manifest, "jpus-2022", "ja", "zh")
    sentences = load_parallel_document(manifest, "jpus-2022", "ja", "zh", unit="sentence")
    for paragraph in paragraphs.segments:
        parts = [s for s in sentences.segments if s.seg_id.split(".")[0] == paragraph.seg_id]
        assert join_sentences([s.source for s in parts], "ja") == paragraph.source
        assert join_sentences([s.targets["zh-community"] for s in parts], "zh") == paragraph.targets["zh-community"]


def test_unknown_unit(manifest: Manifest) -> None:
    with pytest.raises(CorpusError, match="Unknown unit 'word'"):
        load_parallel_document(manifest, "jpus-2022", "ja", "zh", unit="word")
