"""Line splitting, line-count checks and per-line document ids."""

from __future__ import annotations

import pytest

from mtqe.corpus.testsets.line_info import LineInfo, parse_line_info, render_line_info
from mtqe.corpus.testsets.lines import check_line_counts, empty_line_numbers, split_lines
from mtqe.errors import CorpusError


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("a\nb\n", ("a", "b")),
        ("a\nb", ("a", "b")),
        ("a\n\nb\n", ("a", "", "b")),
        ("a\n\n", ("a", "")),
        ("\n", ("",)),
        ("", ()),
    ],
)
def test_split_lines_counts_like_a_line_reader(text, lines):
    assert split_lines(text) == lines
    assert len(split_lines(text)) == len(text.splitlines())


def test_empty_lines_are_numbered_from_one():
    assert empty_line_numbers(("a", "", " ", "b")) == [2, 3]


def test_line_count_mismatch_names_every_file_and_count():
    with pytest.raises(CorpusError) as err:
        check_line_counts({"src.ja": 110, "ref.zh": 110, "sys.zh": 109}, document="t", source="src.ja")
    message = str(err.value)
    assert "src.ja has 110" in message.replace("the source src.ja has", "src.ja has") and "sys.zh has 109" in message
    assert "ref.zh" not in message


def test_wmt_docs_layout_and_one_id_per_line():
    wmt = parse_line_info(("news\td1", "news\td1", "speech\td2"), where="x.docs")
    assert wmt == (LineInfo("d1", "news"), LineInfo("d1", "news"), LineInfo("d2", "speech"))
    assert parse_line_info(render_line_info(wmt).splitlines() and tuple(render_line_info(wmt).splitlines()), where="x") == wmt
    ids = parse_line_info(("d1", "d2"), where="x.ids")
    assert ids == (LineInfo("d1"), LineInfo("d2"))


def test_a_malformed_docs_line_is_named():
    with pytest.raises(CorpusError, match="line 2"):
        parse_line_info(("news\td1", "d2"), where="x.docs")
