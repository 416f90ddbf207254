"""Per-line document ids and domains of a line-aligned test set.

Two layouts are read (the one a file uses is decided by its first line):

* WMT ``.docs``: ``domain<TAB>doc_id`` per line;
* one document id per line (no domain).
"""

from __future__ import annotations

from dataclasses import dataclass

from mtqe.errors import CorpusError


@dataclass(frozen=True)
class LineInfo:
    """Document id and domain of one line (``domain`` is None in the one-id-a-line layout)."""

    doc_id: str
    domain: str | None = None


def parse_line_info(lines: tuple[str, ...], *, where: str) -> tuple[LineInfo, ...]:
    """One :class:`LineInfo` per line; a malformed line raises CorpusError naming it."""
    if not lines:
        raise CorpusError(f"{where}: the document-id file is empty")
    with_domain = "\t" in lines[0]
    parsed = []
    for number, line in enumerate(lines, start=1):
        fields = line.split("\t")
        if with_domain and len(fields) == 2 and fields[0].strip() and fields[1].strip():
            parsed.append(LineInfo(doc_id=fields[1].strip(), domain=fields[0].strip()))
        elif not with_domain and len(fields) == 1 and line.strip():
            parsed.append(LineInfo(doc_id=line.strip()))
        else:
            layout = "domain<TAB>doc_id" if with_domain else "one document id"
            raise CorpusError(
                f"{where}: line {number} is {line!r}; every line must be {layout} (the layout of line 1)"
            )
    return tuple(parsed)


def render_line_info(info: tuple[LineInfo, ...]) -> str:
    """The file text for ``info`` (``domain<TAB>doc_id`` when every line has a domain)."""
    if all(item.domain for item in info):
        return "".join(f"{item.domain}\t{item.doc_id}\n" for item in info)
    return "".join(f"{item.doc_id}\n" for item in info)
