"""`corpus fetch` downloads: http(s) at every redirect, an overall deadline (local server on
127.0.0.1 only; each server stops by itself)."""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from mtqe.corpus.fetch import download
from mtqe.errors import CorpusError

BODY = b"The leaders reaffirmed their commitment to a free and open international order.\n"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 — http.server's name
        if self.path.startswith("/redirect?"):
            self.send_response(302)
            self.send_header("Location", self.path.split("?", 1)[1])
            self.end_headers()
        elif self.path == "/ok":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)
        elif self.path == "/trickle":
            # One byte every 0.5 s: each read succeeds well within the per-read timeout.
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(40):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.5)
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_plain_download_and_http_redirect(server: str) -> None:
    assert download(f"{server}/ok", timeout=5) == BODY
    assert download(f"{server}/redirect?/ok", timeout=5) == BODY


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/statement.txt", "file:///etc/hostname",
                                    "FILE:///etc/passwd"])
def test_redirects_to_other_schemes_are_refused(server: str, target: str) -> None:
    with pytest.raises(CorpusError, match="only http.s. is fetched"):
        download(f"{server}/redirect?{target}", timeout=5)


def test_non_http_urls_are_refused_before_any_request(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_bytes(BODY)
    for url in (f"file://{tmp_path / 'x.txt'}", "ftp://127.0.0.1/x.txt", "data:,hello"):
        with pytest.raises(CorpusError, match="only http.s. URLs are fetched"):
            download(url)


def test_a_trickling_server_hits_the_overall_deadline(server: str) -> None:
    started = time.monotonic()
    with pytest.raises(CorpusError, match="not finished after 2 s"):
        download(f"{server}/trickle", timeout=5, deadline=2)
    assert time.monotonic() - started < 6  # the deadline, not the 20 s the server would take
