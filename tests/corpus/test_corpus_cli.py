"""`mtqe corpus list|show|align|add|fetch` (in process; fetch against a local HTTP server)."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from pathlib import Path
from typing import Iterator

import pytest

from mtqe.cli import main
from mtqe.corpus.manifest import load_manifest

ENGLISH = b"Japan-U.S. Joint Leaders' Statement\n\nThis is a test text. It is not the statement.\n"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["corpus", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list(capsys) -> None:
    code, out, _ = _run(capsys, "list")
    assert code == 0
    assert "jpus-2022" in out and "zh-community" in out and "markdown_repost" in out


def test_show_blocks_sentences_and_removals(capsys) -> None:
    code, out, _ = _run(capsys, "show", "jpus-2022", "--lang", "zh", "--removed")
    assert code == 0
    assert "p006\theading\t推进“自由和开放的印太地区”" in out
    assert "\trepost banner\t" in out and "\tdisclaimer\t" in out
    _, out, _ = _run(capsys, "show", "jpus-2022", "--lang", "ja", "--unit", "sentence")
    assert "p014.s02\tparagraph\t岸田総理は、日本の防衛力を抜本的に強化し" in out
    code, _, err = _run(capsys, "show", "jpus-2022", "--lang", "en")
    assert code == 2 and "no text in 'en'" in err


def test_align_tsv_and_jsonl(capsys) -> None:
    code, out, err = _run(capsys, "align", "jpus-2022", "--src", "ja", "--tgt", "zh", "--embeddings", "none")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 40 and all(line.count("\t") == 1 for line in lines)
    assert "40 segments" in err
    code, out, _ = _run(capsys, "align", "jpus-2022", "--src", "ja", "--tgt", "zh", "--unit", "sentence",
                        "--format", "jsonl", "--embeddings", "none")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 110
    row = next(r for r in rows if r["id"] == "p007.s04")
    assert row["shapes"] == {"zh-community": "2-1"} and 0 <= row["confidence"] <= 1
    assert row["source"].count("。") == 2 and row["targets"]["zh-community"].count("。") == 1


def test_add_registers_a_copy_and_keeps_the_manifest(capsys, references_copy: Path, tmp_path: Path) -> None:
    source = tmp_path / "statement.txt"
    source.write_bytes(ENGLISH)
    manifest_path = references_copy / "manifest.yaml"
    before = manifest_path.read_text(encoding="utf-8")
    code, _, err = _run(
        capsys, "add", "jpus-2022", "--references", str(references_copy), "--lang", "en", "--role", "source",
        "--role", "reference", "--file", str(source), "--text-id", "en-test", "--publisher", "The White House",
        "--url", "https://www.whitehouse.gov/", "--licence", "test only",
    )
    assert code == 0, err
    after = manifest_path.read_text(encoding="utf-8")
    assert after.startswith(before.split("\n  jpus-2024-rfi:")[0])  # comments and earlier entries untouched
    assert "# Reference texts of mtqe" in after and "\n  jpus-2024-rfi:" in after
    spec = load_manifest(references_copy).documents["jpus-2022"].texts["en-test"]
    assert spec.path == references_copy / "texts" / "jpus-2022" / "en-test.txt"
    assert spec.path.read_bytes() == ENGLISH
    assert spec.sha256 == hashlib.sha256(ENGLISH).hexdigest()
    assert (spec.lang, spec.roles, spec.provenance.publisher) == ("en", frozenset({"source", "reference"}), "The White House")
    # The same id again is refused, and nothing changes.
    code, _, err = _run(capsys, "add", "jpus-2022", "--references", str(references_copy), "--lang", "en",
                        "--role", "source", "--file", str(source), "--text-id", "en-test")
    assert code == 2 and "already exists" in err
    assert manifest_path.read_text(encoding="utf-8") == after


def test_add_that_fails_validation_is_undone(capsys, references_copy: Path, tmp_path: Path) -> None:
    source = tmp_path / "second-source.txt"
    source.write_bytes("別の原文です。\n".encode())
    manifest_path = references_copy / "manifest.yaml"
    before = manifest_path.read_text(encoding="utf-8")
    # jpus-2022 already has a ja source: the manifest validator refuses a second one.
    code, _, err = _run(capsys, "add", "jpus-2022", "--references", str(references_copy), "--lang", "ja",
                        "--role", "source", "--file", str(source))
    assert code == 2 and "undone" in err and "two texts in ja have role 'source'" in err
    assert manifest_path.read_text(encoding="utf-8") == before
    assert not (references_copy / "texts" / "jpus-2022" / "ja-source.txt").exists()


def test_add_a_new_document_needs_a_title(capsys, references_copy: Path, tmp_path: Path) -> None:
    source = tmp_path / "x.txt"
    source.write_bytes(ENGLISH)
    code, _, err = _run(capsys, "add", "new-doc", "--references", str(references_copy), "--lang", "en",
                        "--role", "source", "--file", str(source))
    assert code == 2 and "--title" in err
    code, _, err = _run(capsys, "add", "new-doc", "--references", str(references_copy), "--lang", "en",
                        "--role", "source", "--file", str(source), "--title", 'A "new" document: test')
    assert code == 0, err
    assert load_manifest(references_copy).documents["new-doc"].title == 'A "new" document: test'


# -- fetch ---------------------------------------------------------------------------------


@pytest.fixture()
def http_server(tmp_path: Path) -> Iterator[str]:
    """A local HTTP server on 127.0.0.1 serving tmp_path/www (never the internet)."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "statement.txt").write_bytes(ENGLISH)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _declare_fetchable(references: Path, url: str, sha256: str) -> None:
    path = references / "manifest.yaml"
    text = path.read_text(encoding="utf-8")
    entry = (
        "      en-whitehouse:\n        lang: en\n        roles: [source, reference]\n"
        "        file: texts/jpus-2022/en-whitehouse.txt\n        cleaner: plain_paragraphs\n"
        f"        fetch: {{url: \"{url}\", sha256: \"{sha256}\"}}\n"
        "        provenance:\n          origin: fetched with mtqe corpus fetch\n\n"
    )
    path.write_text(text.replace("\n  jpus-2024-rfi:", "\n" + entry + "  jpus-2024-rfi:", 1), encoding="utf-8")


def test_fetch_downloads_verifies_and_registers(capsys, references_copy: Path, http_server: str) -> None:
    _declare_fetchable(references_copy, f"{http_server}/statement.txt", hashlib.sha256(ENGLISH).hexdigest())
    _, out, _ = _run(capsys, "list", "--references", str(references_copy))
    assert "en-whitehouse" in out and "fetchable" in out
    code, out, err = _run(capsys, "fetch", "jpus-2022", "--lang", "en", "--references", str(references_copy))
    assert code == 0, err
    target = references_copy / "texts" / "jpus-2022" / "en-whitehouse.txt"
    assert target.read_bytes() == ENGLISH and "fetched" in out
    code, out, _ = _run(capsys, "fetch", "jpus-2022", "--lang", "en", "--references", str(references_copy))
    assert code == 0 and "already present" in out
    code, out, _ = _run(capsys, "show", "jpus-2022", "--lang", "en", "--references", str(references_copy))
    assert "This is a test text." in out


def test_fetch_refuses_wrong_bytes_and_errors(capsys, references_copy: Path, http_server: str) -> None:
    _declare_fetchable(references_copy, f"{http_server}/statement.txt", "0" * 64)
    code, _, err = _run(capsys, "fetch", "jpus-2022", "--lang", "en", "--references", str(references_copy))
    assert code == 2 and "Nothing was written" in err
    assert not (references_copy / "texts" / "jpus-2022" / "en-whitehouse.txt").exists()
    code, _, err = _run(capsys, "fetch", "jpus-2022", "--lang", "ja", "--references", str(references_copy))
    assert code == 2 and "no fetchable text in 'ja'" in err and "en-whitehouse (en)" in err


def test_fetch_reports_http_errors(capsys, references_copy: Path, http_server: str) -> None:
    _declare_fetchable(references_copy, f"{http_server}/missing.txt", "0" * 64)
    code, _, err = _run(capsys, "fetch", "jpus-2022", "--lang", "en", "--references", str(references_copy))
    assert code == 2 and "HTTP 404" in err


def test_unfetched_text_says_how_to_fetch(references_copy: Path) -> None:
    from mtqe.corpus.loader import load_clean_text
    from mtqe.errors import CorpusError

    _declare_fetchable(references_copy, "https://example.invalid/statement.txt", "0" * 64)
    spec = load_manifest(references_copy).documents["jpus-2022"].texts["en-whitehouse"]
    with pytest.raises(CorpusError, match="mtqe corpus fetch jpus-2022 --lang en"):
        load_clean_text(spec)
