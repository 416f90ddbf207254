"""`mtqe corpus fetch-url` against a local HTTP server serving synthetic pages in the official layouts.

Every page here is SYNTHETIC, written for these tests in the shape of a White House
briefing-room article and of an English MOFA page; none of it is, quotes or paraphrases the
official statement, and none of it is stored in mtqe/references/.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from mtqe.cli import main
from mtqe.corpus.cleaners import get_cleaner
from mtqe.corpus.fetch_url import cleaner_for
from mtqe.corpus.loader import load_clean_text
from mtqe.corpus.manifest import load_manifest

MARK = "SYNTHETIC TEST TEXT, not an official statement."
P1 = f"{MARK} This first paragraph was written for a test of the page cleaners and says nothing real."
P2 = ("The second synthetic paragraph mentions the U.S. and Mr. Smith Jr. so that abbreviations appear, "
      "and it ends with a full stop like ordinary prose.")
P3 = "A third synthetic paragraph closes the invented article; it exists only inside this test file."

WHITE_HOUSE = f"""<!doctype html>
<html lang="en-US"><head><meta charset="utf-8"><title>Synthetic Joint Statement | The White House</title>
<script>window.dataLayer = [];</script><style>.x {{ color: red }}</style></head>
<body class="post-template-default single">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<div class="archive-banner"><p>This is historical material "frozen in time". The website is no longer updated.</p></div>
<header id="site-header" class="header"><nav class="site-nav"><ul><li><a href="/administration/">Administration</a></li>
<li><a href="/briefing-room/">Briefing Room</a></li></ul></nav></header>
<main id="main-content" class="site-main"><div id="content">
<article class="post type-post">
  <header class="page-header page-header--single"><div class="page-header__wrap">
    <p class="topper__label">Briefing Room</p>
    <h1 class="page-title topper__title news">Synthetic Joint Statement for Tests</h1>
    <div class="page-header__meta">
      <div class="posted-on"><time datetime="2030-05-23T09:00:00-04:00">May 23, 2030</time></div>
      <div class="cat-links"><a href="/briefing-room/statements-releases/">Statements and Releases</a></div>
    </div>
  </div></header>
  <div class="share-links"><a href="#">Share this:</a> <a href="#">Facebook</a> <a href="#">Twitter</a></div>
  <section class="body-content"><div class="container"><div class="row"><div class="col">
    <p>{P1}</p>
    <p><strong>Synthetic Section Heading</strong></p>
    <p>{P2}</p>
    <ul><li>{P3}</li></ul>
    <p>###</p>
  </div></div></div></section>
  <div class="print-link"><a href="#">Print</a></div>
</article></div></main>
<footer id="site-footer"><p>Synthetic footer: privacy policy, copyright policy, accessibility statement.</p></footer>
</body></html>
"""

MOFA = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>MOFA: Synthetic Joint Statement</title></head>
<body>
<div id="skip"><a href="#main">Skip to main content</a></div>
<div id="header"><p>Ministry of Foreign Affairs of Japan</p><ul><li><a href="/index.html">Japanese</a></li></ul></div>
<div id="global-navi"><ul><li><a href="/policy/">Foreign Policy</a></li><li><a href="/region/">Countries</a></li></ul></div>
<div id="breadcrumbs"><ul><li><a href="/">Home</a></li><li><a href="/region/n-america/us/">Japan-U.S. Relations</a></li></ul></div>
<div id="contents"><div id="main"><div id="maincontents">
  <div class="main-title"><h1 class="title1"><span>Synthetic Joint Statement for Tests</span></h1></div>
  <p class="rightalign">May 23, 2030</p>
  <div class="any-area">
    <p>{P1}</p>
    <h2>Synthetic Section Heading</h2>
    <p>{P2}</p>
    <p>{P3}</p>
  </div>
  <ul class="link-list"><li><a href="/files/000000000.pdf">Synthetic Joint Statement (PDF)</a></li></ul>
  <div class="plugin"><p>In order to view PDF files, you need a PDF reader.</p></div>
  <p class="pagetop"><a href="#">Back to Top</a></p>
  <p><a href="/region/n-america/us/">Back to Japan-U.S. Relations</a></p>
</div></div>
<div id="sub"><ul><li><a href="/a/">Side menu entry</a></li></ul></div></div>
<div id="footer"><p>Synthetic footer of the ministry site.</p></div>
</body></html>
"""

MOFA_PDF_ONLY = MOFA.replace(f"<p>{P1}</p>", "").replace(f"<p>{P2}</p>", "").replace(f"<p>{P3}</p>", "").replace(
    "<h2>Synthetic Section Heading</h2>", "")

# A two-page PDF (Helvetica text lines at fixed positions): title block, a paragraph, a heading,
# a paragraph cut by the page break, page numbers.
PDF_PAGES = [
    [(72, 720, 14, "Synthetic Joint Statement"), (72, 700, 14, "for Tests"),
     (72, 660, 11, "SYNTHETIC TEST TEXT, not an official statement. This first paragraph was"),
     (72, 646, 11, "written for a test of the PDF extraction and says nothing real."),
     (72, 618, 11, "Synthetic Section Heading"),
     (72, 590, 11, "The second synthetic paragraph mentions the U.S. and Mr. Smith Jr. so that"),
     (72, 576, 11, "abbreviations appear, and it is cut at the page break of this"),
     (300, 40, 10, "1")],
    [(72, 720, 11, "synthetic document, where the next page continues it."),
     (72, 692, 11, "A third synthetic paragraph closes the invented document."),
     (300, 40, 10, "2")],
]


def make_pdf(pages: list[list[tuple[int, int, int, str]]]) -> bytes:
    """A minimal valid PDF whose pages show the given (x, y, font size, text) lines."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pages_id = len(objects) + 1 + 2 * len(pages)  # after one content stream and one page per page
    kids = []
    for lines in pages:
        ops = []
        for x, y, size, text in lines:
            escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"BT /F1 {size} Tf {x} {y} Td ({escaped}) Tj ET")
        stream = "\n".join(ops).encode("latin-1")
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> "
                        b"/Contents %d 0 R >>" % (pages_id, font, content)))
    add(b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    return bytes(out)


GENERIC = f"""<html><head><title>Synthetic generic page</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/about">About us</a></li></ul></nav>
<div class="content"><h1>Synthetic generic page</h1><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>
<footer><p>Synthetic footer with a copyright line and a privacy link.</p></footer></body></html>"""


class _Site:
    """The pages served (path -> bytes); tests change them to simulate a changed page."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {
            "/wh/statement/": WHITE_HOUSE.encode(),
            "/mofa/page.html": MOFA.encode(),
            "/mofa/pdf-only.html": MOFA_PDF_ONLY.encode(),
            "/generic.html": GENERIC.encode(),
            "/shift-jis.html": f"<html><body><p>{MARK} 日本語のテキストです。</p></body></html>".encode("shift_jis"),
            "/files/statement.pdf": make_pdf(PDF_PAGES),
        }
        self.redirects = {
            "/moved": "/wh/statement/",
            "/to-file": "file:///etc/hostname",
            "/to-ftp": "ftp://127.0.0.1/statement.txt",
        }


@pytest.fixture()
def site() -> Iterator[tuple[str, _Site]]:
    state = _Site()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path in state.redirects:
                self.send_response(302)
                self.send_header("Location", state.redirects[self.path])
                self.end_headers()
            elif self.path == "/slow":
                self._trickle()
            elif self.path in state.pages:
                body = state.pages[self.path]
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)

        def _trickle(self) -> None:
            # Each byte arrives well inside the per-read timeout; only the overall deadline stops it.
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(20):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass  # the client gave up

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["corpus", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _fetch_url(capsys, references: Path, url: str, *extra: str) -> tuple[int, str, str]:
    return _run(capsys, "fetch-url", "jpus-2022", "--lang", "en", "--url", url, "--text-id", "en-synthetic",
                "--references", str(references), *extra)


def _en_text(references: Path):
    return load_manifest(references).documents["jpus-2022"].texts["en-synthetic"]


# -- the two official layouts -----------------------------------------------------------------

def test_white_house_article_fetched_stored_unchanged_and_registered(capsys, references_copy: Path, site) -> None:
    base, state = site
    code, out, err = _fetch_url(capsys, references_copy, f"{base}/wh/statement/", "--cleaner", "whitehouse_article")
    assert code == 0, err
    spec = _en_text(references_copy)
    served = state.pages["/wh/statement/"]
    assert spec.path.read_bytes() == served and spec.path.suffix == ".html"
    digest = hashlib.sha256(served).hexdigest()
    assert spec.sha256 == digest and spec.fetch is not None and spec.fetch.sha256 == digest
    assert spec.fetch.url == f"{base}/wh/statement/" and spec.roles == {"source", "reference"}
    # Trust on first use: the hash is printed with the time it was recorded, which the manifest keeps.
    assert f"trust on first use: sha256 {digest} recorded {spec.fetch.first_fetched}" in out
    assert spec.fetch.first_fetched and spec.fetch.first_fetched[:2] == "20" and spec.fetch.first_fetched.endswith("Z")

    text = load_clean_text(spec)  # the corpus loader reads it like any registered text
    assert [(b.kind, b.text) for b in text.blocks] == [
        ("title", "Synthetic Joint Statement for Tests"),
        ("paragraph", P1),
        ("heading", "Synthetic Section Heading"),
        ("paragraph", P2),
        ("paragraph", P3),
    ]
    reasons = {r.reason for r in text.removed}
    assert {"dateline", "category links", "share buttons", "print link", "archive notice", "site header",
            "site footer", "skip link", "end mark", "section label", "html script", "html style",
            "page title"} <= reasons
    assert any(r.reason == "dateline" and r.text == "May 23, 2030" for r in text.removed)
    # Every removal is reported to the user, counted by reason.
    assert f"removed {len(text.removed)} piece(s)" in out and "share buttons ×" in out


def test_mofa_page_cleaned_by_its_layout(capsys, references_copy: Path, site) -> None:
    base, _ = site
    code, out, err = _fetch_url(capsys, references_copy, f"{base}/mofa/page.html", "--cleaner", "mofa_page")
    assert code == 0, err
    text = load_clean_text(_en_text(references_copy))
    assert [(b.kind, b.text) for b in text.blocks] == [
        ("title", "Synthetic Joint Statement for Tests"),
        ("paragraph", P1),
        ("heading", "Synthetic Section Heading"),
        ("paragraph", P2),
        ("paragraph", P3),
    ]
    reasons = {r.reason for r in text.removed}
    assert {"dateline", "breadcrumb", "site header", "navigation", "side menu", "site footer", "pdf link",
            "pdf viewer notice", "back to top", "back link", "skip link"} <= reasons
    pdf = next(r for r in text.removed if r.reason == "pdf link")
    assert "/files/000000000.pdf" in pdf.text and "links to PDF(s)" in out


def test_a_page_that_only_links_a_pdf_names_the_pdf_and_writes_nothing(capsys, references_copy: Path, site) -> None:
    base, _ = site
    manifest_before = (references_copy / "manifest.yaml").read_bytes()
    code, _, err = _fetch_url(capsys, references_copy, f"{base}/mofa/pdf-only.html", "--cleaner", "mofa_page")
    assert code == 2 and "kept no text paragraph" in err and "/files/000000000.pdf" in err and "Nothing was written" in err
    assert (references_copy / "manifest.yaml").read_bytes() == manifest_before
    assert not (references_copy / "texts" / "jpus-2022" / "en-synthetic.html").exists()


def test_a_pdf_is_stored_as_is_and_its_text_extracted(capsys, references_copy: Path, site) -> None:
    base, state = site
    code, out, err = _fetch_url(capsys, references_copy, f"{base}/files/statement.pdf")
    assert code == 0, err
    spec = _en_text(references_copy)
    assert spec.cleaner == "pdf_file" and spec.path.suffix == ".pdf"
    assert spec.path.read_bytes() == state.pages["/files/statement.pdf"]
    text = load_clean_text(spec)
    assert [(b.kind, b.text) for b in text.blocks] == [
        ("title", "Synthetic Joint Statement for Tests"),
        ("paragraph", "SYNTHETIC TEST TEXT, not an official statement. This first paragraph was written for a test "
                      "of the PDF extraction and says nothing real."),
        ("heading", "Synthetic Section Heading"),
        ("paragraph", "The second synthetic paragraph mentions the U.S. and Mr. Smith Jr. so that abbreviations "
                      "appear, and it is cut at the page break of this synthetic document, where the next page "
                      "continues it."),
        ("paragraph", "A third synthetic paragraph closes the invented document."),
    ]
    assert [(r.reason, r.text) for r in text.removed] == [("page number", "1"), ("page number", "2")]
    code, out, _ = _run(capsys, "show", "jpus-2022", "--lang", "en", "--removed", "--references", str(references_copy))
    assert code == 0 and "cut at the page break" in out


def test_a_pdf_given_a_text_cleaner_is_refused(capsys, references_copy: Path, site) -> None:
    base, _ = site
    code, _, err = _fetch_url(capsys, references_copy, f"{base}/files/statement.pdf", "--cleaner", "main_text")
    assert code == 2 and "is a PDF" in err and "--cleaner pdf_file" in err


def test_pdf_cleaner_on_html_says_it_is_not_a_pdf(capsys, references_copy: Path, site) -> None:
    base, _ = site
    code, _, err = _fetch_url(capsys, references_copy, f"{base}/mofa/page.html", "--cleaner", "pdf_file")
    assert code == 2 and "not a PDF" in err and "Nothing was written" in err


def test_a_page_not_in_utf8_is_refused_with_its_encoding(capsys, references_copy: Path, site) -> None:
    base, _ = site
    code, _, err = _fetch_url(capsys, references_copy, f"{base}/shift-jis.html")
    assert code == 2 and "not valid UTF-8" in err and "SHIFT_JIS" in err and "Nothing was written" in err
    assert "re-register" not in err


def test_main_text_cleaner_reports_what_it_leaves_out(capsys, references_copy: Path, site) -> None:
    base, _ = site
    code, out, err = _fetch_url(capsys, references_copy, f"{base}/generic.html", "--cleaner", "main-text")
    assert code == 0, err
    spec = _en_text(references_copy)
    assert spec.cleaner == "main_text"
    text = load_clean_text(spec)
    paragraphs = [b.text for b in text.blocks if b.kind == "paragraph"]
    assert paragraphs == [P1, P2, P3]
    removed = {r.text for r in text.removed if r.reason == "not main text"}
    assert "Synthetic footer with a copyright line and a privacy link." in removed
    assert {"Home", "News", "About us"} <= removed
    assert not any(P1 in r.text for r in text.removed)  # kept text is never reported as removed


def test_layout_cleaner_without_its_container_keeps_nothing_and_says_so() -> None:
    blocks, removed = get_cleaner("whitehouse_article").clean(GENERIC)
    assert blocks == [] and removed[0].reason.startswith("no article body")


def test_cleaner_chosen_by_publisher_host() -> None:
    assert cleaner_for("https://bidenwhitehouse.archives.gov/briefing-room/statements-releases/x/") == "whitehouse_article"
    assert cleaner_for("https://www.whitehouse.gov/briefing-room/") == "whitehouse_article"
    assert cleaner_for("https://www.mofa.go.jp/na/na1/us/page.html") == "mofa_page"
    assert cleaner_for("https://notmofa.go.jp.example.com/") == "main_text"
    assert cleaner_for("http://127.0.0.1:8000/page") == "main_text"


# -- transport: redirects, size cap, deadline -------------------------------------------------

def test_http_redirect_is_followed(capsys, references_copy: Path, site) -> None:
    base, state = site
    code, _, err = _fetch_url(capsys, references_copy, f"{base}/moved", "--cleaner", "whitehouse_article")
    assert code == 0, err
    assert _en_text(references_copy).path.read_bytes() == state.pages["/wh/statement/"]


@pytest.mark.parametrize("path, scheme", [("/to-file", "file:"), ("/to-ftp", "ftp:")])
def test_redirect_to_file_or_ftp_is_refused(capsys, references_copy: Path, site, path: str, scheme: str) -> None:
    base, _ = site
    manifest_before = (references_copy / "manifest.yaml").read_bytes()
    code, _, err = _fetch_url(capsys, references_copy, base + path)
    assert code == 2 and "only http(s) is fetched" in err and scheme in err
    assert (references_copy / "manifest.yaml").read_bytes() == manifest_before


def test_non_http_url_is_refused_before_any_network(capsys, references_copy: Path) -> None:
    code, _, err = _fetch_url(capsys, references_copy, "file:///etc/hostname")
    assert code == 2 and "only http(s)" in err


def test_size_cap(capsys, references_copy: Path, site, monkeypatch: pytest.MonkeyPatch) -> None:
    import mtqe.corpus.fetch as fetch

    base, _ = site
    monkeypatch.setattr(fetch, "MAX_BYTES", 1000)  # the synthetic page is a few kilobytes
    code, _, err = _fetch_url(capsys, references_copy, f"{base}/wh/statement/")
    assert code == 2 and "more than 1000 bytes" in err


def test_overall_deadline_stops_a_trickling_server(capsys, references_copy: Path, site) -> None:
    base, _ = site
    code, _, err = _fetch_url(capsys, references_copy, f"{base}/slow", "--deadline", "0.5", "--timeout", "5")
    assert code == 2 and "not finished after" in err


# -- trust on first use, then verification ----------------------------------------------------

def test_verify_confirms_an_unchanged_page_and_detects_a_changed_one(capsys, references_copy: Path, site) -> None:
    base, state = site
    code, _, err = _fetch_url(capsys, references_copy, f"{base}/wh/statement/")
    assert code == 0, err
    spec = _en_text(references_copy)
    assert spec.cleaner == "main_text"  # 127.0.0.1 is no known publisher
    stored = spec.path.read_bytes()

    code, out, err = _run(capsys, "fetch", "jpus-2022", "--lang", "en", "--text", "en-synthetic", "--verify",
                          "--references", str(references_copy))
    assert code == 0 and "verified" in out and spec.sha256 in out and spec.fetch.first_fetched in out

    state.pages["/wh/statement/"] = WHITE_HOUSE.replace("May 23, 2030", "May 24, 2030").encode()
    code, out, err = _run(capsys, "fetch", "jpus-2022", "--lang", "en", "--text", "en-synthetic", "--verify",
                          "--references", str(references_copy))
    assert code == 2 and "Nothing was written" in err and spec.fetch.first_fetched in err
    assert spec.path.read_bytes() == stored and _en_text(references_copy).sha256 == spec.sha256
    # Without --verify the present file is just confirmed against the manifest.
    code, out, _ = _run(capsys, "fetch", "jpus-2022", "--lang", "en", "--text", "en-synthetic",
                        "--references", str(references_copy))
    assert code == 0 and "already present" in out


def test_fetching_the_same_text_id_twice_is_refused(capsys, references_copy: Path, site) -> None:
    base, _ = site
    assert _fetch_url(capsys, references_copy, f"{base}/mofa/page.html")[0] == 0
    code, _, err = _fetch_url(capsys, references_copy, f"{base}/mofa/page.html")
    assert code == 2 and "already exists" in err


def test_language_is_checked_on_the_cleaned_text(capsys, references_copy: Path, site) -> None:
    base, _ = site
    code, _, err = _run(capsys, "fetch-url", "jpus-2022", "--lang", "ja", "--url", f"{base}/mofa/page.html",
                        "--references", str(references_copy))
    assert code == 2 and "declared as 'ja'" in err


def test_manifest_notes_name_the_official_addresses_without_a_hash() -> None:
    import yaml

    from tests.corpus.conftest import REAL_REFERENCES

    entry = yaml.safe_load((REAL_REFERENCES / "manifest.yaml").read_text(encoding="utf-8"))["documents"]["jpus-2022"]
    source_url = entry["texts"]["zh-community"]["provenance"]["source_url"]
    archived = source_url.replace("https://www.whitehouse.gov/", "https://bidenwhitehouse.archives.gov/")
    assert source_url in entry["notes"] and archived in entry["notes"] and "fetch-url" in entry["notes"]
    # Nothing English is shipped or pinned: the hash is only ever recorded on a user's first fetch.
    assert not [t for t in entry["texts"].values() if t["lang"] == "en"]


def test_corpus_add_takes_a_pdf_file_too(capsys, references_copy: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(make_pdf(PDF_PAGES))
    code, out, err = _run(capsys, "add", "jpus-2022", "--lang", "en", "--role", "source", "--file", str(pdf),
                          "--cleaner", "pdf_file", "--text-id", "en-pdf", "--references", str(references_copy))
    assert code == 0, err
    spec = load_manifest(references_copy).documents["jpus-2022"].texts["en-pdf"]
    assert spec.path.read_bytes() == pdf.read_bytes()
    assert load_clean_text(spec).blocks[0].text == "Synthetic Joint Statement for Tests"
