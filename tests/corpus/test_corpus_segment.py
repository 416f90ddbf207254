from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mtqe.corpus.model import Manifest
from mtqe.corpus.loader import load_clean_text
from mtqe.corpus.segment import join_sentences, split_sentences
from mtqe.errors import UnknownLanguageError

# -- examples ----------------------------------------------------------------------------------


def test_japanese_examples() -> None:
    text = "両首脳は「自由で開かれた。インド太平洋」を推進した。大統領は歓迎した！次に（注。）来る。"
    assert split_sentences(text, "ja") == [
        "両首脳は「自由で開かれた。インド太平洋」を推進した。",
        "大統領は歓迎した！",
        "次に（注。）来る。",
    ]


def test_chinese_quotes_are_not_broken() -> None:
    text = "拜登说：“我们还巩固了关系。这些关系一直延伸到月球。”岸田说：“好。”。最后一句"
    assert split_sentences(text, "zh") == ["拜登说：“我们还巩固了关系。这些关系一直延伸到月球。”岸田说：“好。”。", "最后一句"]


def test_ascii_period_does_not_end_a_cjk_sentence() -> None:
    assert split_sentences("美国U.S.的3.5倍。下一句。", "zh") == ["美国U.S.的3.5倍。", "下一句。"]


def test_unmatched_bracket_does_not_protect_the_rest() -> None:
    assert split_sentences("括弧（が閉じない。次の文。", "ja") == ["括弧（が閉じない。", "次の文。"]


def test_english_examples() -> None:
    text = (
        'Mr. Biden met Prime Minister Kishida.  They said "We agree. Truly." Then Joseph R. Biden '
        "left the U.S. embassy. (It was late. Very.) 2022 was fine! ok? yes."
    )
    assert split_sentences(text, "en") == [
        "Mr. Biden met Prime Minister Kishida.",
        'They said "We agree. Truly."',
        "Then Joseph R. Biden left the U.S. embassy.",
        "(It was late. Very.)",
        "2022 was fine! ok? yes.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # U.S., Jr., Mr., No., e.g. and decimals never end a sentence, whatever follows them.
        ("President Joseph R. Biden, Jr. of the United States met Mr. Kishida. The U.S. Government agreed.",
         ["President Joseph R. Biden, Jr. of the United States met Mr. Kishida.", "The U.S. Government agreed."]),
        ("He thanked Biden Jr. Then the U.S. Ambassador spoke.", ["He thanked Biden Jr. Then the U.S. Ambassador spoke."]),
        ("See Article No. 5 of the treaty. Growth was 3.5 percent. It was 2.1 percent in 2021.",
         ["See Article No. 5 of the treaty.", "Growth was 3.5 percent.", "It was 2.1 percent in 2021."]),
        ("Allies, e.g. Australia, agreed. Others, i.e. The rest, did not.",
         ["Allies, e.g. Australia, agreed.", "Others, i.e. The rest, did not."]),
        ("H.E. Mr. Smith met the U.N. Secretary-General in Washington, D.C. Then he left.",
         ["H.E. Mr. Smith met the U.N. Secretary-General in Washington, D.C. Then he left."]),
        # a.m./p.m.: mid-sentence, and before a time-zone code, they continue; otherwise they end one.
        ("The meeting began at 11:00 a.m. and ended at 1:15 p.m. EST on May 23.",
         ["The meeting began at 11:00 a.m. and ended at 1:15 p.m. EST on May 23."]),
        ("They met at 10 a.m. The talks went well.", ["They met at 10 a.m.", "The talks went well."]),
    ],
)
def test_english_abbreviations_initialisms_and_decimals(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "en") == expected


def test_empty_and_whitespace() -> None:
    assert split_sentences("", "ja") == []
    assert split_sentences("   \n ", "en") == []
    assert join_sentences([], "zh") == ""


def test_unknown_language() -> None:
    with pytest.raises(UnknownLanguageError):
        split_sentences("text.", "xx")


def test_real_paragraphs_round_trip(manifest: Manifest) -> None:
    for text_id in ("ja-mofa", "zh-community"):
        spec = manifest.documents["jpus-2022"].texts[text_id]
        for block in load_clean_text(spec).blocks:
            sentences = split_sentences(block.text, spec.lang)
            assert join_sentences(sentences, spec.lang) == block.text
            if block.kind == "paragraph":
                assert all(s.rstrip()[-1] in "。！？”）」" for s in sentences[:-1])


def test_real_japanese_paragraph_sentence_count(manifest: Manifest) -> None:
    ja = load_clean_text(manifest.documents["jpus-2022"].texts["ja-mofa"])
    first = ja.blocks[1].text  # 今日、日米両国は、…
    assert len(split_sentences(first, "ja")) == first.count("。")


# -- properties ----------------------------------------------------------------------------------

CJK_ALPHABET = "日米首脳は声明した中国本。、！？!?．「」『』（）()“”《》 \n\tabc.0…"
EN_ALPHABET = "abcXYZ 019.!?,;\"'()[]“”’\n\t…"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=CJK_ALPHABET, max_size=80), st.sampled_from(["ja", "zh", "zh-Hant"]))
def test_cjk_split_loses_nothing_and_keeps_order(text: str, lang: str) -> None:
    sentences = split_sentences(text, lang)
    assert join_sentences(sentences, lang) == text
    assert "".join(sentences) == text
    assert all(sentences)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=EN_ALPHABET, max_size=80))
def test_english_split_is_reversible_after_whitespace_normalisation(text: str) -> None:
    sentences = split_sentences(text, "en")
    assert join_sentences(sentences, "en") == " ".join(text.split())
    assert all(s and s == s.strip() for s in sentences)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.sampled_from(["ja", "zh", "en", "ko"]))
def test_any_unicode_text_round_trips(text: str, lang: str) -> None:
    sentences = split_sentences(text, lang)
    expected = " ".join(text.split()) if lang in ("en", "ko") else text
    assert join_sentences(sentences, lang) == expected


_SAFE_CJK = st.text(alphabet="日米首脳は声明した中国本、", min_size=1, max_size=8)
_INNER_CJK = st.text(alphabet="日米首脳は声明した。！？", min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(_SAFE_CJK, st.sampled_from([("「", "」"), ("“", "”"), ("（", "）"), ("『", "』")]), _INNER_CJK,
                  st.sampled_from(["。", "！", "", "？"])),
        min_size=1,
        max_size=5,
    )
)
def test_quotes_are_never_split_inside(parts: list[tuple[str, tuple[str, str], str, str]]) -> None:
    quotes = [f"{open_}{inner}{close}" for _, (open_, close), inner, _ in parts]
    text = "".join(f"{head}{quote}{tail}" for (head, _, _, tail), quote in zip(parts, quotes))
    sentences = split_sentences(text, "zh")
    assert "".join(sentences) == text
    for quote in quotes:
        assert any(quote in sentence for sentence in sentences), (quote, sentences)


# Letters no listed abbreviation (cf., fig., dec., …) can be spelt with.
_WORD = st.text(alphabet="hjkqwxz", min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.lists(_WORD, min_size=1, max_size=4), st.sampled_from([".", "!", "?"])), min_size=1, max_size=6))
def test_english_sentences_in_order(parts: list[tuple[list[str], str]]) -> None:
    # Capitalised multi-letter first words, lower-case rest: every terminator is a boundary.
    sentences_in = [" ".join([words[0].capitalize() + "x"] + words[1:]) + end for words, end in parts]
    assert split_sentences(" ".join(sentences_in), "en") == sentences_in
