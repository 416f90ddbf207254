"""Sentence alignment: calibration, costs, n:m shapes, confidences, the gold set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mtqe.corpus.align.anchors import anchor_agreement, anchors
from mtqe.corpus.align.dp import align_dp
from mtqe.corpus.align.length_model import GALE_CHURCH_DEFAULT, LENGTH_MODELS, length_model
from mtqe.corpus.align.link_cost import LinkCostParams
from mtqe.corpus.align.links import Link, check_links
from mtqe.corpus.align.sentences import align_sentences
from mtqe.errors import AlignmentError
from tests.corpus.align.sentence_gold import (
    GOLD_PATH,
    flat,
    gold_blocks,
    load_gold,
    per_paragraph,
    perturbed,
)

NO_HAN = LinkCostParams(han_weight=0)


def test_length_model_is_calibrated_and_invertible() -> None:
    ja_zh = length_model("ja", "zh")
    assert ja_zh is LENGTH_MODELS[("ja", "zh")]
    assert 0.69 < ja_zh.c < 0.71 and 1.2 < ja_zh.s2 < 1.3
    zh_ja = length_model("zh-Hans", "ja-JP")
    assert zh_ja.c == pytest.approx(1 / ja_zh.c)
    assert length_model("en", "fr") is GALE_CHURCH_DEFAULT
    # A zh span of the expected length is cheap, a much shorter or longer one is not.
    assert ja_zh.cost(100, 70) < 0.1
    assert ja_zh.cost(100, 40) > 5 and ja_zh.cost(100, 110) > 5
    assert ja_zh.cost(0, 0) == 0.0


def test_anchors_normalise_width_and_case() -> None:
    ja = anchors("経済版「２＋２」を2022年7月に開催し、IPEF と G7、ＷＴＯ")
    zh = anchors("经济“2+2”于2022年7月举行，ipef、G7和WTO")
    assert ja == zh
    assert anchors("（ICBM）发射")["ICBM"] == 1
    assert anchor_agreement(anchors("G20 原則"), anchors("二十国集团原则")) == (0, 1)


def test_one_to_one_paragraph() -> None:
    block = gold_blocks()[9]  # p009: ten 1-1 links
    links = align_sentences(block.ja, block.zh, src_lang="ja", tgt_lang="zh")
    assert [(l.src_indices, l.tgt_indices) for l in links] == block.links
    assert all(0.9 < l.confidence <= 1.0 for l in links)


def test_two_to_one_and_one_to_two_are_found() -> None:
    blocks = {b.block: b for b in gold_blocks()}
    for number, shape in ((7, "2-1"), (14, "1-2")):
        links = align_sentences(blocks[number].ja, blocks[number].zh, src_lang="ja", tgt_lang="zh")
        assert shape in [l.shape for l in links]
        assert [(l.src_indices, l.tgt_indices) for l in links] == blocks[number].links


def test_a_missing_translation_becomes_one_to_zero() -> None:
    block = gold_blocks()[3]  # p003: five sentences
    zh = block.zh[:2] + block.zh[3:]  # the translation of ja sentence 2 is gone
    links = align_sentences(block.ja, zh, src_lang="ja", tgt_lang="zh")
    assert [(l.src_indices, l.tgt_indices) for l in links] == [((0,), (0,)), ((1,), (1,)), ((2,), ()), ((3,), (2,)), ((4,), (3,))]


def test_empty_sides_and_bad_input() -> None:
    assert align_sentences([], [], src_lang="ja", tgt_lang="zh") == []
    assert [l.shape for l in align_sentences(["一。", "二。"], [], src_lang="ja", tgt_lang="zh")] == ["1-0", "1-0"]
    assert [l.shape for l in align_sentences([], ["一。"], src_lang="ja", tgt_lang="zh")] == ["0-1"]
    with pytest.raises(TypeError, match="split_sentences"):
        align_sentences("今日は。", ["今天。"], src_lang="ja", tgt_lang="zh")  # type: ignore[arg-type]
    with pytest.raises(AlignmentError, match="coverage"):
        align_sentences(["a"], ["b"], src_lang="ja", tgt_lang="zh", coverage="most")


def test_dp_requires_skips_and_bounds_the_problem() -> None:
    with pytest.raises(AlignmentError, match="1-0 and 0-1"):
        align_dp(1, 1, [(1, 1)], lambda i, j, di, dj: 0.0)
    with pytest.raises(AlignmentError, match="too large"):
        align_dp(3000, 3000, [(1, 0), (0, 1)], lambda i, j, di, dj: 0.0)


def test_check_links_rejects_lost_duplicated_or_reordered_units() -> None:
    check_links([Link((0,), (0,), 1.0), Link((1,), (), 0.5)], 2, 1)
    with pytest.raises(AlignmentError, match="cover 1/2"):
        check_links([Link((0,), (0,), 1.0)], 2, 1)
    with pytest.raises(AlignmentError, match="expected a run starting at 1"):
        check_links([Link((0,), (0,), 1.0), Link((0,), (), 1.0)], 1, 1)
    with pytest.raises(AlignmentError, match="empty"):
        check_links([Link((), (), 1.0)], 0, 0)
    with pytest.raises(AlignmentError, match="confidence"):
        check_links([Link((0,), (0,), 1.5)], 1, 1)


# -- the gold set -------------------------------------------------------------------------


def test_gold_set_is_spans_of_the_seed_files() -> None:
    rows = load_gold()
    assert len(rows) == 110
    assert sum(1 for r in rows if r["shape"] != "1-1") == 2
    ja = Path(__file__).resolve().parents[3] / "mtqe" / "references" / "texts" / "jpus-2022" / "ja-mofa.txt"
    zh = Path(__file__).resolve().parents[3] / "mtqe" / "references" / "texts" / "jpus-2022" / "zh-community.txt"
    ja_raw = "".join(ja.read_text(encoding="utf-8").split())
    zh_raw = zh.read_text(encoding="utf-8")
    for row in rows:
        for sentence in row["zh"]:
            # zh-community is Markdown: the sentence is in the raw file once bold markers are gone.
            assert sentence.replace(" ", "") in zh_raw.replace("**", "").replace(" ", "").replace("\n", "")
        for sentence in row["ja"]:
            # ja-mofa is PDF text: compare without the line breaks and spaces the cleaner joined.
            assert "".join(sentence.split()) in ja_raw


def test_sentence_gold_is_reproducible() -> None:
    script = GOLD_PATH.with_name("build_sentence_gold.py")
    proc = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, check=False,
                          cwd=GOLD_PATH.parents[4])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_gold_per_paragraph_without_embeddings() -> None:
    scores = per_paragraph()
    assert scores.f1 == 1.0, scores  # measured: P = R = F1 = 1.000 (110/110)
    assert per_paragraph(params=NO_HAN).f1 == 1.0
    # The other direction uses the inverse length model (zh→ja) and gives the same links.
    for block in gold_blocks():
        links = align_sentences(block.zh, block.ja, src_lang="zh", tgt_lang="ja")
        assert [(l.tgt_indices, l.src_indices) for l in links] == block.links


def test_gold_whole_document_without_paragraph_boundaries() -> None:
    # Harder: 111 × 111 sentences in one problem. Measured: F1 0.982 (length + anchors + Han).
    assert flat().f1 >= 0.98


def test_perturbed_gold_deleted_and_merged_sentences() -> None:
    # 166 edited block pairs (each zh sentence deleted in turn, each neighbouring pair merged).
    # Measured: F1 0.982 with shared Han characters, 0.925 with length + anchors only.
    assert perturbed().f1 >= 0.97
    assert perturbed(params=NO_HAN).f1 >= 0.90
