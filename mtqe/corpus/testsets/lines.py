"""A line-aligned text: one segment per line, empty lines kept."""

from __future__ import annotations

from collections.abc import Mapping

from mtqe.errors import CorpusError


def split_lines(text: str) -> tuple[str, ...]:
    """The lines of ``text`` (newlines already ``\\n``), as a line-by-line reader sees them.

    A final newline ends the last line rather than starting an empty one (``"a\\nb\\n"`` has two
    lines); every other empty line is a segment of its own.
    """
    if not text:
        return ()
    body = text[:-1] if text.endswith("\n") else text
    return tuple(body.split("\n"))


def check_line_counts(counts: Mapping[str, int], *, document: str, source: str) -> None:
    """Every text of a line-aligned document has the source's number of lines; else one clear error.

    ``counts``: text id (or file) → its line count; ``source`` names the text the others must match.
    """
    expected = counts[source]
    wrong = {name: n for name, n in counts.items() if n != expected}
    if wrong:
        listed = ", ".join(f"{name} has {n}" for name, n in sorted(wrong.items()))
        raise CorpusError(
            f"{document}: line-aligned texts must have the same number of lines; the source {source} has "
            f"{expected}, {listed}. Line i of every text is segment i: fix the file(s) so the lines correspond."
        )


def empty_line_numbers(lines: tuple[str, ...]) -> list[int]:
    """1-based numbers of the lines with no text (kept as empty segments, reported in notes)."""
    return [number for number, line in enumerate(lines, start=1) if not line.strip()]
