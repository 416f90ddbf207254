"""Input faults of `mtqe corpus add` (subprocess) and of reading a registered text: the size
cap before reading, the NUL-byte diagnosis, the declared-language check."""

from __future__ import annotations

from pathlib import Path

import pytest

from mtqe.corpus.reading import decode_utf8, utf16_without_bom
from mtqe.errors import CorpusError
from mtqe.langid import LanguageIdentifier, check_declared_language
from tests.reliability.faults import REAL_REFERENCES, assert_one_line_error, mtqe, snapshot

ZH = (REAL_REFERENCES / "texts" / "jpus-2022" / "zh-community.txt").read_text(encoding="utf-8")
JA = (REAL_REFERENCES / "texts" / "jpus-2022" / "ja-mofa.txt").read_text(encoding="utf-8")
ENGLISH = ("The leaders reaffirmed their commitment to a free and open international order based on the "
           "rule of law, and welcomed the progress made since their last meeting.\n")


def _add(references: Path, file: Path, lang: str, *extra: str):
    return mtqe(["corpus", "add", "jpus-2022", "--references", str(references), "--lang", lang,
                 "--role", "reference", "--file", str(file), "--text-id", f"{lang}-test", *extra])


def test_add_refuses_a_text_in_another_language(references_copy: Path, tmp_path: Path) -> None:
    file = tmp_path / "statement.txt"
    file.write_text(ZH, encoding="utf-8")  # the Chinese translation, declared as English
    before = snapshot(tmp_path)
    proc = _add(references_copy, file, "en")
    assert_one_line_error(proc, 2, "is declared as 'en' but reads as 'zh'", "--no-language-check")
    assert snapshot(tmp_path) == before
    proc = _add(references_copy, file, "en", "--no-language-check")
    assert proc.returncode == 0, proc.stderr
    assert (references_copy / "texts" / "jpus-2022" / "en-test.txt").read_text(encoding="utf-8") == ZH


def test_add_accepts_a_text_in_its_language(references_copy: Path, tmp_path: Path) -> None:
    file = tmp_path / "statement.txt"
    file.write_text(ENGLISH * 3, encoding="utf-8")
    proc = _add(references_copy, file, "en")
    assert proc.returncode == 0, proc.stderr
    assert "reads as 'en'" in proc.stderr


def test_add_refuses_an_oversized_file_before_reading(references_copy: Path, tmp_path: Path) -> None:
    file = tmp_path / "huge.txt"
    with open(file, "wb") as handle:  # sparse: 21 MB on paper, nothing to read
        handle.truncate(21 * 1024 * 1024)
    before = snapshot(references_copy)
    proc = _add(references_copy, file, "en")
    assert_one_line_error(proc, 2, "is 22.0 MB, more than the limit of 21.0 MB", "--max-bytes")
    assert snapshot(references_copy) == before


def test_add_names_the_offset_of_a_stray_nul(references_copy: Path, tmp_path: Path) -> None:
    file = tmp_path / "statement.txt"
    data = ENGLISH.encode("utf-8")
    file.write_bytes(data[:40] + b"\x00" + data[40:])
    before = snapshot(references_copy)
    line = assert_one_line_error(_add(references_copy, file, "en"), 2, "1 NUL byte(s), the first at byte offset 40")
    assert "UTF-16" not in line and "iconv" not in line
    assert snapshot(references_copy) == before


def test_nul_diagnosis_follows_the_byte_pattern() -> None:
    assert utf16_without_bom("plain ascii text".encode("utf-16-le")) == "UTF-16LE"
    assert utf16_without_bom("plain ascii text".encode("utf-16-be")) == "UTF-16BE"
    assert utf16_without_bom(ENGLISH.encode() + b"\x00") is None
    assert utf16_without_bom(JA.encode()[:3000] + b"\x00\x00") is None
    with pytest.raises(CorpusError, match="UTF-16LE without a BOM"):
        decode_utf8("plain ascii text".encode("utf-16-le"), "x.txt")
    with pytest.raises(CorpusError, match="2 NUL byte.s., the first at byte offset 6"):
        decode_utf8(b"abcdef\x00gh\x00", "x.txt")


def test_language_identification_on_the_seed_texts() -> None:
    identifier = LanguageIdentifier()
    assert "reads as 'ja'" in check_declared_language(JA, "ja", where="ja", identifier=identifier)
    assert "reads as 'zh'" in check_declared_language(ZH, "zh", where="zh", identifier=identifier)
    with pytest.raises(CorpusError, match="declared as 'zh' but reads as 'ja'"):
        check_declared_language(JA, "zh", where="ja-mofa.txt", identifier=identifier)
    # A language the model does not know gets no verdict, never a refusal.
    assert "not checked" in check_declared_language(ZH, "yue", where="x", identifier=identifier)
