from __future__ import annotations

from pathlib import Path

import pytest

from mtqe.corpus.loader import default_references_dir, load_parallel_document
from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.model import Manifest
from mtqe.errors import AlignmentError, CorpusError
from mtqe.io import sha256_file

REPO_REFERENCES = Path(__file__).resolve().parents[2] / "mtqe" / "references"


def test_jpus_2022_ja_to_zh(manifest: Manifest) -> None:
    doc = load_parallel_document(manifest, "jpus-2022", "ja", "zh")
    assert (doc.document, doc.src_lang, doc.tgt_lang) == ("jpus-2022", "ja", "zh")
    assert doc.source.text_id == "ja-mofa"
    assert set(doc.targets) == {"zh-community"}
    assert doc.reference_ids() == ["zh-community"]
    assert len(doc.segments) == 40
    assert [s.seg_id for s in doc.segments] == [f"p{i:03d}" for i in range(40)]
    assert doc.segments[0].kind == "title"
    assert doc.segments[6].source == "「自由で開かれたインド太平洋」の推進"
    assert doc.target_segments("zh-community")[6] == "推进“自由和开放的印太地区”"
    assert len(doc.sources) == len(doc.target_segments("zh-community")) == 40


def test_language_aliases_are_accepted(manifest: Manifest) -> None:
    assert len(load_parallel_document(manifest, "jpus-2022", "ja-JP", "zh-Hans").segments) == 40


def test_unknown_document(manifest: Manifest) -> None:
    with pytest.raises(CorpusError) as info:
        load_parallel_document(manifest, "jpus-2O22", "ja", "zh")
    message = str(info.value)
    assert "Unknown document 'jpus-2O22'" in message
    assert "Did you mean: jpus-2022" in message
    assert "stimson-2022-mt" in message


def test_no_source_in_the_source_language(manifest: Manifest) -> None:
    with pytest.raises(CorpusError) as info:
        load_parallel_document(manifest, "jpus-2022", "zh", "ja")
    message = str(info.value)
    assert "no text in 'zh' with role 'source'" in message
    assert "ja-mofa (ja: reference, source)" in message
    assert "zh-community (zh: existing, reference)" in message


def test_no_text_in_the_target_language(manifest: Manifest) -> None:
    with pytest.raises(CorpusError, match="no text in 'en' with role 'reference' or 'existing'"):
        load_parallel_document(manifest, "jpus-2022", "ja", "en")
    with pytest.raises(CorpusError, match="no text in 'ja'"):
        load_parallel_document(manifest, "jpus-2024-rfi", "zh", "ja")


def test_same_language(manifest: Manifest) -> None:
    with pytest.raises(CorpusError, match="both 'zh'"):
        load_parallel_document(manifest, "jpus-2022", "zh-Hans", "zh")


def test_wrong_cleaner_is_aligned_n_to_m_and_reported(references_copy: Path) -> None:
    # A target cleaned with the wrong cleaner keeps its furniture: the block structures differ,
    # so the n:m aligner takes over and every piece of furniture is reported, not scored.
    manifest_path = references_copy / "manifest.yaml"
    text = manifest_path.read_text(encoding="utf-8")
    manifest_path.write_text(text.replace("cleaner: markdown_repost", "cleaner: plain_paragraphs"), encoding="utf-8")
    doc = load_parallel_document(load_manifest(references_copy), "jpus-2022", "ja", "zh")
    target_only = [n for n in doc.notes if n.kind == "target_only"]
    assert any("免责声明" in n.target for n in target_only)
    assert any("素材" in n.target for n in target_only)
    assert 35 <= len(doc.segments) < 40


def test_unrelated_target_fails_loudly(references_copy: Path) -> None:
    # Another document's text registered as the translation: most of the source has no
    # counterpart, which the n:m aligner refuses instead of pairing by length alone.
    other = references_copy / "texts" / "jpuk-2023-rfi" / "zh-rfi.txt"
    target = references_copy / "texts" / "jpus-2022" / "zh-community.txt"
    old_sha = sha256_file(target)
    target.write_bytes(other.read_bytes())
    manifest_path = references_copy / "manifest.yaml"
    text = manifest_path.read_text(encoding="utf-8").replace(old_sha, sha256_file(target))
    manifest_path.write_text(text.replace("cleaner: markdown_repost", "cleaner: rss_html"), encoding="utf-8")
    with pytest.raises(AlignmentError, match="no counterpart"):
        load_parallel_document(load_manifest(references_copy), "jpus-2022", "ja", "zh")


def test_default_references_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert default_references_dir() == REPO_REFERENCES
    assert default_references_dir(tmp_path) == tmp_path
    monkeypatch.setenv("MTQE_REFERENCES", str(tmp_path / "elsewhere"))
    assert default_references_dir() == tmp_path / "elsewhere"
    assert default_references_dir(tmp_path) == tmp_path  # an explicit path wins
