from __future__ import annotations

from dataclasses import replace

import pytest

from mtqe.corpus.align.length_model import char_length
from mtqe.corpus.align.strict_blocks import RATIO_BANDS, align_one_to_one, ratio_band
from mtqe.corpus.loader import load_clean_text
from mtqe.corpus.model import Block, CleanText, Manifest
from mtqe.errors import AlignmentError


@pytest.fixture(scope="module")
def ja(manifest: Manifest) -> CleanText:
    return load_clean_text(manifest.documents["jpus-2022"].texts["ja-mofa"])


@pytest.fixture(scope="module")
def zh(manifest: Manifest) -> CleanText:
    return load_clean_text(manifest.documents["jpus-2022"].texts["zh-community"])


def test_real_texts_align_one_to_one(ja: CleanText, zh: CleanText) -> None:
    pairs = align_one_to_one(ja, zh)
    assert len(pairs) == 40
    assert all(s.kind == t.kind for s, t in pairs)
    assert pairs[0][0].kind == "title"


@pytest.mark.parametrize(
    ("ja_heading", "zh_heading"),
    [
        ("「自由で開かれたインド太平洋」の推進", "推进“自由和开放的印太地区”"),
        ("地域情勢：厳しさを増す地域の安全保障環境への対応", "区域问题：应对日益具有挑战性的地区安全环境"),
        ("日米同盟：抑止力及び対処力の強化", "日美联盟：加强威慑和应对能力"),
        ("より強靱で持続可能かつ包摂的な経済成長の実現", "实现更有弹性、可持续和包容性的经济增长"),
        ("地球規模課題：新たな時代の人間の安全保障の実現", "全球挑战：在新时代实现人类安全"),
        ("人的交流：「自由で開かれたインド太平洋」を支える多様かつ包摂的なネットワークの創出",
         "人文交流：创建支持“自由和开放的印太地区”的多样化和包容性的网络"),
        ("未来志向の日米関係の構築に向けて", "建立面向未来的日美关系"),
    ],
)
def test_section_headings_are_paired(ja: CleanText, zh: CleanText, ja_heading: str, zh_heading: str) -> None:
    assert (Block("heading", ja_heading), Block("heading", zh_heading)) in align_one_to_one(ja, zh)


def test_rejoined_paragraph_pairs_with_its_translation(ja: CleanText, zh: CleanText) -> None:
    pairs = align_one_to_one(ja, zh)
    (pair,) = [p for p in pairs if "不透明な形で締結された" in p[0].text]
    assert "该协议是以不透明的方式达成的" in pair[1].text
    (pair,) = [p for p in pairs if "基幹インフラの防護" in p[0].text]
    assert "基本基础设施保护" in pair[1].text


def test_observed_ratios_lie_well_inside_the_band(ja: CleanText, zh: CleanText) -> None:
    ratios = [char_length(t.text) / char_length(s.text) for s, t in align_one_to_one(ja, zh)]
    band = RATIO_BANDS[("ja", "zh")]
    assert 0.5 < min(ratios) and max(ratios) < 0.95  # the calibration documented in align.py
    assert band.low < min(ratios) * 0.7 and max(ratios) * 1.5 < band.high


def test_reverse_band_is_the_inverse() -> None:
    forward, backward = ratio_band("ja", "zh"), ratio_band("zh-Hans", "ja")
    assert backward.low == pytest.approx(1 / forward.high) and backward.high == pytest.approx(1 / forward.low)
    assert "uncalibrated" in ratio_band("en", "de").basis


def test_missing_block_is_reported(ja: CleanText, zh: CleanText) -> None:
    shorter = replace(zh, blocks=zh.blocks[:6] + zh.blocks[7:])  # drop the first zh heading
    with pytest.raises(AlignmentError) as info:
        align_one_to_one(ja, shorter)
    message = str(info.value)
    assert "40 blocks vs 39 blocks" in message
    assert "first differ at block 6" in message
    assert "「自由で開かれたインド太平洋」の推進" in message
    assert "jpus-2022/ja-mofa" in message and "jpus-2022/zh-community" in message


def test_kind_mismatch_is_reported(ja: CleanText, zh: CleanText) -> None:
    blocks = list(zh.blocks)
    blocks[6] = Block("paragraph", blocks[6].text)
    with pytest.raises(AlignmentError, match="block 6: heading '「自由で開かれたインド太平洋」の推進' ↔ paragraph"):
        align_one_to_one(ja, replace(zh, blocks=tuple(blocks)))


def test_length_ratio_failure_lists_indices_and_snippets(ja: CleanText, zh: CleanText) -> None:
    # Swap two paragraphs of very different length: counts and kinds still match.
    blocks = list(zh.blocks)
    blocks[9], blocks[12] = blocks[12], blocks[9]
    with pytest.raises(AlignmentError) as info:
        align_one_to_one(ja, replace(zh, blocks=tuple(blocks)))
    message = str(info.value)
    assert "block 9 (paragraph" in message and "block 12 (paragraph" in message
    assert ja.blocks[9].text[:40] in message
    assert blocks[9].text[:40] in message
    assert "0.35–1.50" in message
