"""The WMT XML test-set format (shared tasks since 2021), read into line-aligned texts.

Layout: ``<dataset>`` → ``<collection>`` → ``<doc id=… domain=…>`` with one ``<src lang=…>``,
any number of ``<ref lang=… translator=…>`` and ``<hyp lang=… system=…>``, each of
``<p><seg id=…>text</seg></p>``. Segments are matched to the source's by ``(doc, seg id)``;
the flattened order is the source's document order, then segment order.

The parser resolves no entities and reaches no network (an XML file is data, never a
pointer to more data).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mtqe.corpus.testsets.line_info import LineInfo
from mtqe.errors import CorpusError


@dataclass(frozen=True)
class WmtTestSet:
    """A WMT XML test set flattened to lines; ``references``/``systems``: name → one line per source line."""

    src_lang: str
    tgt_lang: str
    source: tuple[str, ...]
    references: dict[str, tuple[str, ...]]
    systems: dict[str, tuple[str, ...]]
    line_info: tuple[LineInfo, ...]


def read_wmt_xml(path: Path) -> WmtTestSet:
    """Parse ``path``; anything inconsistent raises one CorpusError naming the document and segment."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise CorpusError(f"{path}: not a readable WMT XML file ({exc})") from None
    docs = root.findall(".//doc")
    if not docs:
        raise CorpusError(f"{path}: no <doc> element; expected the WMT XML layout <dataset><collection><doc>…")
    src_langs, tgt_langs = set(), set()
    source: list[str] = []
    info: list[LineInfo] = []
    refs: dict[str, list[str]] = {}
    hyps: dict[str, list[str]] = {}
    for number, doc in enumerate(docs):
        doc_id = doc.get("id") or f"doc{number + 1}"
        where = f"{path.name}: <doc id={doc_id!r}>"
        src = _one(doc, "src", where)
        src_langs.add(_lang(src, where))
        seg_ids, texts = _segments(src, where)
        offset = len(source)
        source += texts
        info += [LineInfo(doc_id=doc_id, domain=doc.get("domain")) for _ in texts]
        for kind, attr, into in (("ref", "translator", refs), ("hyp", "system", hyps)):
            for element in doc.findall(kind):
                tgt_langs.add(_lang(element, where))
                name = element.get(attr) or ("ref" if kind == "ref" else "")
                if not name:
                    raise CorpusError(f"{where}: a <hyp> has no system= attribute")
                lines = into.setdefault(name, [None] * offset)  # type: ignore[list-item]
                if len(lines) != offset:
                    raise CorpusError(f"{where}: <{kind} {attr}={name!r}> is missing from an earlier document or appears twice in this one")
                lines += _matched(element, seg_ids, f"{where} <{kind} {attr}={name!r}>")
        for name, lines in (*refs.items(), *hyps.items()):
            if len(lines) != len(source):
                raise CorpusError(f"{where}: {name!r} has no translation of this document")
    if None in _flatten(refs, hyps):
        missing = sorted(n for n, ls in (*refs.items(), *hyps.items()) if None in ls)
        raise CorpusError(f"{path.name}: {', '.join(missing)} do not cover every document (missing <ref>/<hyp>)")
    for kind, langs in (("source", src_langs), ("target", tgt_langs)):
        if len(langs) > 1:
            raise CorpusError(f"{path.name}: more than one {kind} language ({', '.join(sorted(langs))}); one pair per file")
    if not tgt_langs:
        raise CorpusError(f"{path.name}: no <ref> or <hyp>; nothing to evaluate")
    return WmtTestSet(
        src_lang=src_langs.pop(), tgt_lang=tgt_langs.pop(), source=tuple(source),
        references={k: tuple(v) for k, v in refs.items()}, systems={k: tuple(v) for k, v in hyps.items()},
        line_info=tuple(info),
    )


def _flatten(*groups: dict[str, list]) -> list:
    return [line for group in groups for lines in group.values() for line in lines]


def _one(doc, tag: str, where: str):
    found = doc.findall(tag)
    if len(found) != 1:
        raise CorpusError(f"{where}: expected exactly one <{tag}>, found {len(found)}")
    return found[0]


def _lang(element, where: str) -> str:
    lang = element.get("lang")
    if not lang:
        raise CorpusError(f"{where}: <{element.tag}> has no lang= attribute")
    return lang


def _segments(element, where: str) -> tuple[list[str], list[str]]:
    """Segment ids and texts of ``element`` in document order (ids must be unique)."""
    ids, texts = [], []
    for seg in element.iter("seg"):
        seg_id = seg.get("id")
        if seg_id is None:
            raise CorpusError(f"{where}: a <seg> in <{element.tag}> has no id=")
        ids.append(seg_id)
        texts.append(_text(seg))
    if len(set(ids)) != len(ids):
        raise CorpusError(f"{where}: duplicate <seg id> in <{element.tag}>")
    return ids, texts


def _matched(element, seg_ids: list[str], where: str) -> list[str]:
    """The texts of ``element`` in the source's segment order; extra or missing ids are errors."""
    ids, texts = _segments(element, where)
    by_id = dict(zip(ids, texts))
    extra = [i for i in ids if i not in set(seg_ids)]
    missing = [i for i in seg_ids if i not in by_id]
    if extra or missing:
        raise CorpusError(
            f"{where}: segment ids differ from the source's (missing: {', '.join(missing[:5]) or 'none'}; "
            f"extra: {', '.join(extra[:5]) or 'none'})"
        )
    return [by_id[i] for i in seg_ids]


def _text(seg) -> str:
    """A segment's text on one line (inner markup kept as text; newlines would break line alignment)."""
    text = "".join(seg.itertext())
    return " ".join(text.split("\n")).strip() if "\n" in text else text.strip()
