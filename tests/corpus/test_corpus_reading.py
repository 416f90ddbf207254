from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mtqe.corpus.loader import load_clean_text
from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.model import TextSpec
from mtqe.corpus.reading import guess_legacy_encoding, read_raw_text
from mtqe.corpus.register import main as register_main
from mtqe.corpus.register import rehash_text
from mtqe.errors import CorpusError
from mtqe.io import sha256_bytes


def spec_of(root: Path, text: str = "jpus-2022/zh-community") -> TextSpec:
    doc, _, text_id = text.partition("/")
    return load_manifest(root).documents[doc].texts[text_id]


def with_bytes(spec: TextSpec, data: bytes) -> TextSpec:
    """Write ``data`` as the text's file and register its hash (so only the content is at fault)."""
    spec.path.write_bytes(data)
    return replace(spec, sha256=sha256_bytes(data))


def test_missing_file(references_copy: Path) -> None:
    spec = spec_of(references_copy)
    spec.path.unlink()
    with pytest.raises(CorpusError) as info:
        read_raw_text(spec)
    assert "jpus-2022/zh-community" in str(info.value)
    assert "not found" in str(info.value)


def test_hash_mismatch_says_how_to_re_register(references_copy: Path) -> None:
    spec = spec_of(references_copy)
    spec.path.write_bytes(spec.path.read_bytes() + b"\nedited\n")
    with pytest.raises(CorpusError) as info:
        read_raw_text(spec)
    message = str(info.value)
    assert "the raw file changed" in message
    assert spec.sha256 in message
    assert "python -m mtqe.corpus.register jpus-2022/zh-community" in message


def test_re_register_after_an_intended_change(references_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = spec_of(references_copy)
    spec.path.write_bytes(spec.path.read_bytes() + b"\n")
    old, new = rehash_text("jpus-2022/zh-community", references_copy)
    assert old == spec.sha256 and new != old
    assert "the raw file changed" not in read_raw_text(spec_of(references_copy))
    assert register_main(["jpus-2022/zh-community", "--references", str(references_copy)]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert register_main(["jpus-2022/nope", "--references", str(references_copy)]) == 2


def test_gb18030_bytes_are_recognised(references_copy: Path) -> None:
    spec = spec_of(references_copy)
    data = spec.path.read_text(encoding="utf-8").encode("gb18030")
    with pytest.raises(CorpusError) as info:
        read_raw_text(with_bytes(spec, data))
    message = str(info.value)
    assert "not valid UTF-8" in message
    assert "looks like GB18030" in message
    assert "iconv -f GB18030 -t UTF-8" in message
    assert "python -m mtqe.corpus.register jpus-2022/zh-community" in message


@pytest.mark.parametrize(("codec", "name"), [("shift_jis", "SHIFT_JIS"), ("euc_jp", "EUC-JP")])
def test_japanese_legacy_bytes_are_recognised(references_copy: Path, codec: str, name: str) -> None:
    spec = spec_of(references_copy, "jpus-2022/ja-mofa")
    data = spec.path.read_text(encoding="utf-8").encode(codec)
    with pytest.raises(CorpusError, match=f"looks like {name}.*iconv -f {name} -t UTF-8"):
        read_raw_text(with_bytes(spec, data))


def test_short_samples_are_recognised() -> None:
    assert guess_legacy_encoding("日米首脳共同声明「自由で開かれた国際秩序の強化」".encode("shift_jis")) == "SHIFT_JIS"
    assert guess_legacy_encoding("日美领导人联合声明：加强自由和开放的国际秩序".encode("gb18030")) == "GB18030"
    assert guess_legacy_encoding(bytes(range(0x80, 0x100)) * 3) is None


def test_utf16_is_recognised(references_copy: Path) -> None:
    spec = spec_of(references_copy)
    with pytest.raises(CorpusError, match="UTF-16"):
        read_raw_text(with_bytes(spec, "日美领导人".encode("utf-16")))
    with pytest.raises(CorpusError, match="UTF-16"):
        read_raw_text(with_bytes(spec, "plain ascii".encode("utf-16-le")))


def test_bom_is_stripped_and_newlines_normalised(references_copy: Path) -> None:
    spec = spec_of(references_copy, "jpus-2022/ja-mofa")
    original = spec.path.read_text(encoding="utf-8")
    original_blocks = load_clean_text(spec).blocks
    data = b"\xef\xbb\xbf" + original.replace("\n", "\r\n").encode("utf-8")
    changed = with_bytes(spec, data)
    assert read_raw_text(changed) == original
    assert load_clean_text(changed).blocks == original_blocks


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b" \n\n\t\n"])
def test_empty_text(references_copy: Path, data: bytes) -> None:
    spec = spec_of(references_copy)
    with pytest.raises(CorpusError, match="is empty"):
        read_raw_text(with_bytes(spec, data))


def test_cleaner_that_keeps_nothing(references_copy: Path) -> None:
    spec = spec_of(references_copy)
    only_furniture = "* * *\n\n![](https://example.org/a.png)\n\n审核：某人\n".encode("utf-8")
    with pytest.raises(CorpusError, match="kept no text"):
        load_clean_text(with_bytes(spec, only_furniture))
