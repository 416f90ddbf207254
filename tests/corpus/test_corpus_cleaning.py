"""Cleaners on the real seed texts (through the manifest) and on small synthetic inputs."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from mtqe.corpus.chars import ends_with_terminator
from mtqe.corpus.cleaners import CLEANERS, get_cleaner
from mtqe.corpus.loader import load_clean_text
from mtqe.corpus.model import CleanText, Manifest
from mtqe.corpus.reading import read_raw_text
from mtqe.errors import ConfigError

JA_HEADINGS = [
    "「自由で開かれたインド太平洋」の推進",
    "地域情勢：厳しさを増す地域の安全保障環境への対応",
    "日米同盟：抑止力及び対処力の強化",
    "より強靱で持続可能かつ包摂的な経済成長の実現",
    "地球規模課題：新たな時代の人間の安全保障の実現",
    "人的交流：「自由で開かれたインド太平洋」を支える多様かつ包摂的なネットワークの創出",
    "未来志向の日米関係の構築に向けて",
]
ZH_HEADINGS = [
    "推进“自由和开放的印太地区”",
    "区域问题：应对日益具有挑战性的地区安全环境",
    "日美联盟：加强威慑和应对能力",
    "实现更有弹性、可持续和包容性的经济增长",
    "全球挑战：在新时代实现人类安全",
    "人文交流：创建支持“自由和开放的印太地区”的多样化和包容性的网络",
    "建立面向未来的日美关系",
]
_HAN_OR_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def clean(manifest: Manifest, qualified: str) -> CleanText:
    doc, _, text = qualified.partition("/")
    return load_clean_text(manifest.documents[doc].texts[text])


def all_text(cleaned: CleanText) -> str:
    return "\n".join(block.text for block in cleaned.blocks)


def headings(cleaned: CleanText) -> list[str]:
    return [b.text for b in cleaned.blocks if b.kind == "heading"]


def reasons(cleaned: CleanText) -> Counter[str]:
    return Counter(r.reason for r in cleaned.removed)


# -- markdown_repost on seed 000 (community Chinese translation) ----------------------------


def test_community_translation_structure(manifest: Manifest) -> None:
    zh = clean(manifest, "jpus-2022/zh-community")
    assert zh.blocks[0].kind == "title"
    assert zh.blocks[0].text == "日美领导人联合声明：加强自由和开放的国际秩序"
    assert headings(zh) == ZH_HEADINGS
    assert [b.kind for b in zh.blocks].count("paragraph") == 32


@pytest.mark.parametrize(
    "gone",
    ["噜噜咪", "gnews.org", "![](", "免责声明", "审核", "http", "轉載", "文乐", "阿伯塔", "信心满满", "peacelv",
     "声明和发布", "更多资讯", "Gettr", "Discord", "README", "返回", "ROL", "**", "喜悦农场"],
)
def test_community_translation_furniture_is_gone(manifest: Manifest, gone: str) -> None:
    assert gone not in all_text(clean(manifest, "jpus-2022/zh-community"))


def test_community_translation_sentences_survive(manifest: Manifest) -> None:
    zh = clean(manifest, "jpus-2022/zh-community")
    paragraphs = [b.text for b in zh.blocks if b.kind == "paragraph"]
    assert paragraphs[0].startswith("今天，日本和美国确认了一种比其历史上任何时候都更强大和更深入的伙伴关系。")
    # Bold inside a body paragraph is emphasis: its text stays, in place, without markers.
    assert "的侵略。两位领导人谴责俄罗斯的行动，并呼吁追究俄罗斯对其暴行的责任。他们重申支持乌克兰的主权和领土完整。首相和总统强调了" in paragraphs[2]
    assert paragraphs[4].startswith("拜登总统重申支持日本成为改革后的安全理事会常任理事国")
    assert paragraphs[-1].endswith("美国将在2023年主办亚太经合组织。")


def test_community_translation_removals_are_reported(manifest: Manifest) -> None:
    zh = clean(manifest, "jpus-2022/zh-community")
    removed = {(r.reason, r.text) for r in zh.removed}
    assert ("credit", "翻译：噜噜咪") in removed
    assert ("credit", "审核：文乐") in removed
    assert ("dateline", "2022年5月23日 – 声明和发布") in removed
    assert ("disclaimer", "免责声明：本文内容仅代表作者个人观点，平台不承担任何法律风险。") in removed
    counts = reasons(zh)
    assert counts["image"] == 3
    assert counts["repost banner"] == 1
    assert counts["back-link"] == 1
    assert counts["horizontal rule"] == 2
    assert counts["link list"] == 1
    assert counts["link"] == 4


# -- pdf_text on seed 002 (official Japanese text) ------------------------------------------


def test_official_text_title_and_dateline(manifest: Manifest) -> None:
    ja = clean(manifest, "jpus-2022/ja-mofa")
    assert ja.blocks[0].kind == "title"
    assert ja.blocks[0].text == "日米首脳共同声明「自由で開かれた国際秩序の強化」"
    assert [(r.reason, r.text) for r in ja.removed] == [("dateline", "2022年5月23日")]
    assert "2022年5月23日" not in all_text(ja)


def test_official_text_headings(manifest: Manifest) -> None:
    assert headings(clean(manifest, "jpus-2022/ja-mofa")) == JA_HEADINGS


@pytest.mark.parametrize(
    "joined",
    [
        "不透明な形で締結された最近の中国とソロモン諸島との間の安全保障協定に懸念を表明した。",
        "安全保障協議委員会（SCG）や拡大抑止協議を通じたもの",
        "基幹インフラの防護",
        "エネルギー安全保障及び温室効果ガス排出実質ゼロ",
    ],
)
def test_official_text_page_splits_are_rejoined(manifest: Manifest, joined: str) -> None:
    ja = clean(manifest, "jpus-2022/ja-mofa")
    assert sum(joined in b.text for b in ja.blocks if b.kind == "paragraph") == 1


def test_official_text_paragraphs_all_end_a_sentence(manifest: Manifest) -> None:
    ja = clean(manifest, "jpus-2022/ja-mofa")
    paragraphs = [b.text for b in ja.blocks if b.kind == "paragraph"]
    assert len(paragraphs) == 32
    assert all(ends_with_terminator(p) for p in paragraphs)
    assert not any(p.endswith(("不透明な形", "（SCG）や", "基幹インフ", "エネル")) for p in paragraphs)
    assert not any(p.startswith(("で締結", "拡大抑止協議を通じ", "ラの防護", "ギー安全")) for p in paragraphs)


@pytest.mark.parametrize("typo", ["いかにかわからず", "ミャンマー一軍", "といふ"])
def test_official_text_source_typos_are_kept(manifest: Manifest, typo: str) -> None:
    assert typo in all_text(clean(manifest, "jpus-2022/ja-mofa"))


# -- rss_html on seeds 001 and 003, web_page_text on seed 004 --------------------------------


def test_rfi_article_2024(manifest: Manifest) -> None:
    rfi = clean(manifest, "jpus-2024-rfi/zh-rfi")
    assert rfi.blocks[0] == rfi.blocks[0].__class__("title", "拜登会见岸田文雄：这是美日同盟自建立以来最重大的升级 - 印太纵览")
    assert rfi.blocks[1].kind == "paragraph" and rfi.blocks[1].text.startswith("4月10日，美国总统拜登")
    assert headings(rfi) == [
        "岸田文雄：我们正处于关键的十字路口，日美合作无比重要",
        "“加强我们的防务与安全合作”",
        "“全球外交与发展方面的伙伴合作”",
    ]
    text = all_text(rfi)
    for gone in ("feedx", "http", "作者", "<", "18/04/2024", "1713595503000"):
        assert gone not in text
    assert set(reasons(rfi)) == {
        "feed timestamp", "source link", "title underline", "image", "dateline", "byline", "rss footer"
    }


def test_rfi_article_2023(manifest: Manifest) -> None:
    rfi = clean(manifest, "jpuk-2023-rfi/zh-rfi")
    assert [b.kind for b in rfi.blocks] == ["title"] + ["paragraph"] * 14
    assert "分享" not in all_text(rfi)
    assert reasons(rfi)["share buttons"] == 1


def test_machine_translated_report_page(manifest: Manifest) -> None:
    page = clean(manifest, "stimson-2022-mt/zh-mt")
    assert [b.kind for b in page.blocks] == ["title", "paragraph"]
    assert page.blocks[0].text == "后疫情世界的美日联盟合作:从下一代系列的观点来看(英)"
    assert "我很高兴介绍史汀生中心日本" in page.blocks[1].text
    assert "JavaScript" not in all_text(page)
    assert set(reasons(page)) == {"javascript notice", "page title", "breadcrumb", "duplicate title"}


# -- properties of every cleaner on the real seeds ------------------------------------------


@pytest.mark.parametrize(
    "qualified",
    ["jpus-2022/ja-mofa", "jpus-2022/zh-community", "jpuk-2023-rfi/zh-rfi", "stimson-2022-mt/zh-mt"],
)
def test_every_cjk_character_is_kept_or_reported_once(manifest: Manifest, qualified: str) -> None:
    # (seed 001 is left out: its byline name also appears in an HTML title= attribute.)
    doc, _, text = qualified.partition("/")
    spec = manifest.documents[doc].texts[text]
    cleaned = load_clean_text(spec)
    kept_or_removed = "".join(b.text for b in cleaned.blocks) + "".join(r.text for r in cleaned.removed)
    assert Counter(_HAN_OR_KANA.findall(read_raw_text(spec))) == Counter(_HAN_OR_KANA.findall(kept_or_removed))


def test_cleaners_are_deterministic_and_report_reasons(manifest: Manifest) -> None:
    for document in manifest.documents.values():
        for spec in document.texts.values():
            first, second = load_clean_text(spec), load_clean_text(spec)
            assert first == second
            assert all(r.reason and r.text for r in first.removed)
            assert all(b.text and b.text == b.text.strip() for b in first.blocks)


# -- synthetic inputs: rules in isolation -----------------------------------------------------


def test_registry_lists_the_cleaners() -> None:
    assert CLEANERS.names() == ["lines", "main_text", "markdown_repost", "mofa_page", "pdf_file", "pdf_text", "plain_paragraphs",
                              "rss_html", "web_page_text", "whitehouse_article"]
    with pytest.raises(ConfigError, match="Did you mean: pdf_text"):
        get_cleaner("pdf-text")


def test_plain_paragraphs() -> None:
    blocks, removed = get_cleaner("plain_paragraphs").clean("  One  line\nand more.\n\n\n第一行\n第二行\n")
    assert [(b.kind, b.text) for b in blocks] == [("paragraph", "One line and more."), ("paragraph", "第一行第二行")]
    assert removed == []


def test_pdf_text_rules_in_english() -> None:
    raw = "Joint Statement\nOn Things\n2022-05-23\n\nFirst paragraph ends here.\n\nA Heading\n\nA paragraph cut at the\n\n- 2 -\n\npage break continues.\n"
    blocks, removed = get_cleaner("pdf_text").clean(raw)
    assert [(b.kind, b.text) for b in blocks] == [
        ("title", "Joint Statement On Things"),
        ("paragraph", "First paragraph ends here."),
        ("heading", "A Heading"),
        ("paragraph", "A paragraph cut at the page break continues."),
    ]
    assert [(r.reason, r.text) for r in removed] == [("page number", "- 2 -"), ("dateline", "2022-05-23")]


def test_pdf_text_without_title_block() -> None:
    blocks, _ = get_cleaner("pdf_text").clean("これは本文である。\n\n次の段落。\n")
    assert [b.kind for b in blocks] == ["paragraph", "paragraph"]


def test_markdown_repost_cjk_bold_and_furniture() -> None:
    raw = (
        "## 标题\n\n"
        "**翻译：某人**\n![](https://example.org/x.png)\n正文第一句。**强调的句子。**正文继续。\n\n"
        "**小标题**\n\n"
        "链接文字在[正文](https://example.org/a)里。\n\n"
        "- 列表项一\n- 列表项二\n"
    )
    blocks, removed = get_cleaner("markdown_repost").clean(raw)
    assert [(b.kind, b.text) for b in blocks] == [
        ("title", "标题"),
        ("paragraph", "正文第一句。强调的句子。正文继续。"),
        ("heading", "小标题"),
        ("paragraph", "链接文字在正文里。"),
        ("paragraph", "列表项一"),
        ("paragraph", "列表项二"),
    ]
    assert [r.reason for r in removed] == ["credit", "image"]
