"""Alignment with English, on the real ja/zh seeds and a SYNTHETIC English text (no models).

The English text is built by tests/corpus/synthetic_english.py (placeholders in the Japanese
seed's structure, never the official statement) and registered into a tmp project with
`mtqe corpus add`, as a user adds the real one.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from mtqe.cli import main
from mtqe.corpus.align.anchors import anchors
from mtqe.corpus.align.length_model import length_model
from mtqe.corpus.align.strict_blocks import ratio_band
from mtqe.corpus.loader import load_clean_text, load_parallel_document
from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.model import Manifest
from mtqe.corpus.paths import BUNDLED_REFERENCES
from mtqe.corpus.segment import split_sentences
from tests.corpus.synthetic_english import MARKER, write_synthetic_english


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> Manifest:
    project = tmp_path_factory.mktemp("project")
    text = write_synthetic_english(tmp_path_factory.mktemp("download"))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        assert main(["corpus", "add", "jpus-2022", "--lang", "en", "--role", "source", "--role", "reference",
                     "--file", str(text), "--text-id", "en-synthetic", "--cleaner", "markdown_repost"]) == 0
        # The bundled texts with the project's references/ on top, as a run from there reads them.
        merged = load_manifest()
    # Registered in the project, never in the bundled references.
    assert (project / "references" / "texts" / "jpus-2022" / "en-synthetic.md").is_file()
    assert "en-synthetic" not in load_manifest(BUNDLED_REFERENCES).documents["jpus-2022"].texts
    return merged


def _shapes(doc) -> Counter[str]:
    return Counter(shape for s in doc.segments for shape in s.shapes.values())


def test_the_synthetic_text_is_marked_and_its_sentences_do_not_split_at_us_or_jr(manifest: Manifest) -> None:
    texts = manifest.documents["jpus-2022"].texts
    english = load_clean_text(texts["en-synthetic"])
    japanese = load_clean_text(texts["ja-mofa"])
    assert MARKER in english.blocks[0].text
    assert [b.kind for b in english.blocks] == [b.kind for b in japanese.blocks]
    for en, ja in zip(english.blocks, japanese.blocks):
        if en.kind == "paragraph":  # one placeholder per Japanese sentence, each with "U.S."
            assert len(split_sentences(en.text, "en")) == len(split_sentences(ja.text, "ja"))
    assert "Joseph R. Biden, Jr. of the U.S." in split_sentences(english.blocks[1].text, "en")[0]


@pytest.mark.parametrize(("src", "tgt"), [("en", "ja"), ("ja", "en")])
def test_english_and_japanese_align_sentence_by_sentence(manifest: Manifest, src: str, tgt: str) -> None:
    doc = load_parallel_document(manifest, "jpus-2022", src, tgt, unit="sentence")
    assert len(doc.segments) == 111 and _shapes(doc) == {"1-1": 111}
    assert doc.source.text_id == {"en": "en-synthetic", "ja": "ja-mofa"}[src]


def test_english_and_the_community_chinese_align_like_the_japanese(manifest: Manifest) -> None:
    en = load_parallel_document(manifest, "jpus-2022", "en", "zh", unit="sentence")
    ja = load_parallel_document(manifest, "jpus-2022", "ja", "zh", unit="sentence")
    assert _shapes(en) == _shapes(ja) == {"1-1": 108, "2-1": 1, "1-2": 1}
    # The same segments, hence the same Chinese text in each (the community's n:m cases p007, p014).
    assert [s.targets["zh-community"] for s in en.segments] == [s.targets["zh-community"] for s in ja.segments]
    assert {s.seg_id for s in en.segments if s.shapes["zh-community"] != "1-1"} == {"p007.s04", "p014.s02"}


def test_a_ratio_out_of_band_falls_back_to_n_m_and_is_reported(manifest: Manifest) -> None:
    # Headings of the synthetic text are one fixed placeholder; the longest Japanese heading
    # (p036, 41 characters) makes a ratio above the en→ja band. Same structure, so the strict
    # 1:1 check ran, refused, and the n:m aligner paired the paragraphs: a note, not a failure.
    doc = load_parallel_document(manifest, "jpus-2022", "en", "ja", unit="paragraph")
    notes = [n for n in doc.notes if n.kind == "strict_fallback"]
    assert [(n.text_id, n.where) for n in notes] == [("ja-mofa", "p036")]
    assert len(doc.segments) == 40 and _shapes(doc) == {"1-1": 40}
    assert not [n for n in load_parallel_document(manifest, "jpus-2022", "ja", "zh").notes if n.kind == "strict_fallback"]


def test_length_models_and_bands_with_english() -> None:
    en_ja, en_zh = length_model("en", "ja"), length_model("en", "zh")
    assert "7 sentences" in en_ja.basis and "7 sentences" in en_zh.basis
    # Consistent with the calibrated ja→zh model: zh/en ≈ (zh/ja)·(ja/en) within 10 %.
    assert en_zh.c == pytest.approx(length_model("ja", "zh").c * en_ja.c, rel=0.1)
    assert length_model("ja", "en").c == pytest.approx(1 / en_ja.c)
    assert ratio_band("en", "zh").contains(0.33) and not ratio_band("en", "zh").contains(0.7)
    assert ratio_band("zh", "en").contains(1 / 0.33)
    assert "uncalibrated" not in ratio_band("ja", "en").basis


def test_plain_english_words_are_not_anchors_but_acronyms_and_numbers_are() -> None:
    text = "President Biden welcomed IPEF, the G7 and CoRe in 2022."
    assert anchors(text, latin_words=True) == Counter({"IPEF": 1, "G7": 1, "CORE": 1, "2022": 1})
    assert anchors(text)["BIDEN"] == 1  # between ja and zh a Latin word is rare enough to anchor
