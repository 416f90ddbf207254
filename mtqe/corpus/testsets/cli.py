"""Arguments and output of ``mtqe corpus add-testset | import-wmt | add-judgments | remove`` (work: :mod:`.register`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_actions(actions: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    testset = actions.add_parser(
        "add-testset", parents=[common], help="register a line-aligned test set (one segment per line)",
        description="Copy a line-aligned source, references and system outputs into references/ as one "
        "document with `segmentation: lines`: line i of every file is segment i.",
    )
    testset.add_argument("doc", help="new document id (lower-case letters, digits, . _ -)")
    testset.add_argument("--src-lang", required=True)
    testset.add_argument("--tgt-lang", required=True)
    testset.add_argument("--source", required=True, help="source file, one segment per line")
    testset.add_argument("--ref", action="append", default=[], metavar="ID=FILE", help="a reference only")
    testset.add_argument("--human", action="append", default=[], metavar="ID=FILE",
                         help="a human translation: a reference and a system (scored leave-one-out)")
    testset.add_argument("--system", action="append", default=[], metavar="NAME=FILE",
                         help="a system output (the name keeps its case: GPT-4)")
    testset.add_argument("--systems-dir", type=Path, default=None, help="every file in it is a system named by its stem")
    testset.add_argument("--docs", type=Path, default=None,
                         help="per-line document ids: WMT .docs (domain<TAB>doc_id) or one id per line")
    testset.add_argument("--title", default=None)
    testset.add_argument("--url", default=None)
    testset.add_argument("--licence", default=None)
    testset.set_defaults(func=_add_testset)

    wmt = actions.add_parser("import-wmt", parents=[common], help="register a WMT XML test set (refs and system outputs)")
    wmt.add_argument("doc", help="new document id")
    wmt.add_argument("file", type=Path, help="WMT XML file (<dataset><collection><doc>…)")
    wmt.add_argument("--title", default=None)
    wmt.set_defaults(func=_import_wmt)

    sb = actions.add_parser("import-sacrebleu", parents=[common],
                            help="register a sacrebleu test set by name (online; offline only from its cache)")
    sb.add_argument("doc", help="new document id")
    sb.add_argument("testset", help="sacrebleu test set name, e.g. wmt22")
    sb.add_argument("langpair", help="e.g. en-zh")
    sb.set_defaults(func=_import_sacrebleu)

    judgments = actions.add_parser(
        "add-judgments", parents=[common], help="register human scores of a test set's systems (DA, ESA, MQM, SQM)",
        description="Read human judgments of a line-aligned test set's systems, check them against its systems "
        "and lines, average several raters per item and store them in references/ (hash and provenance in the "
        "manifest). Score them with the `human` metric: mtqe run 'metric=[chrf,human]'.",
        epilog="examples:\n  mtqe corpus add-judgments wmt-x --file da.csv --protocol da\n"
        "  mtqe corpus add-judgments wmt-x --file en-de.esa.seg.score --format wmt-esa --protocol esa --name esa\n"
        "  mtqe corpus add-judgments wmt-x --file mqm_ende.tsv --format mqm-tsv --protocol mqm --name mqm",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    judgments.add_argument("doc", help="the test set's document id")
    judgments.add_argument("--file", type=Path, required=True, help="the judgments file")
    judgments.add_argument("--protocol", required=True, choices=("da", "esa", "mqm", "sqm"))
    judgments.add_argument("--format", dest="fmt", default="csv", choices=("csv", "wmt-da", "wmt-esa", "mqm-tsv"),
                           help="csv: header + system,segment,score[,rater][,z]; wmt-da / wmt-esa: mt-metrics-eval "
                           "segment-level score file; mqm-tsv: Google's MQM annotation TSV (default: csv)")
    judgments.add_argument("--name", default="human", help="name of this set of judgments (default: human)")
    judgments.add_argument("--url", default=None)
    judgments.add_argument("--licence", default=None)
    judgments.set_defaults(func=_add_judgments)

    remove = actions.add_parser("remove", parents=[common], help="remove a document or one text (and its files)")
    remove.add_argument("target", help="DOC, DOC/TEXT or DOC/judgments/NAME")
    remove.set_defaults(func=_remove)


def _add_testset(args: argparse.Namespace) -> int:
    from mtqe.corpus.testsets.register import TestSetInfo, add_testset, read_docs_file, read_text_arg, texts_in_dir

    texts = [read_text_arg("source", args.source)]
    for kind, values in (("ref", args.ref), ("human", args.human), ("system", args.system)):
        texts += [read_text_arg(kind, value) for value in values]
    if args.systems_dir is not None:
        texts += texts_in_dir(args.systems_dir)
    info = TestSetInfo(
        doc_id=args.doc, src_lang=args.src_lang, tgt_lang=args.tgt_lang, title=args.title, url=args.url,
        licence=args.licence, line_info=read_docs_file(args.docs) if args.docs else None,
    )
    added = add_testset(info, texts, references=args.references)
    print(f"added test set {args.doc}: {len(added)} texts ({', '.join(added)})", file=sys.stdout)
    return 0


def _import_wmt(args: argparse.Namespace) -> int:
    from mtqe.corpus.testsets.register import import_wmt

    added = import_wmt(args.doc, args.file, references=args.references, title=args.title)
    print(f"imported {args.file.name} as {args.doc}: {len(added)} texts ({', '.join(added)})", file=sys.stdout)
    return 0


def _import_sacrebleu(args: argparse.Namespace) -> int:
    from mtqe.corpus.testsets.sacrebleu_import import import_sacrebleu

    added = import_sacrebleu(args.doc, args.testset, args.langpair, references=args.references)
    print(f"imported sacrebleu {args.testset} {args.langpair} as {args.doc}: {len(added)} texts", file=sys.stdout)
    return 0


def _add_judgments(args: argparse.Namespace) -> int:
    from mtqe.corpus.testsets.add_judgments import JudgmentsFile, add_judgments

    new = JudgmentsFile(doc_id=args.doc, path=args.file, protocol=args.protocol, fmt=args.fmt, name=args.name,
                        url=args.url, licence=args.licence)
    count = add_judgments(new, references=args.references)
    print(f"added judgments {args.name!r} ({args.protocol}) to {args.doc}: {count} judged item(s)", file=sys.stdout)
    return 0


def _remove(args: argparse.Namespace) -> int:
    from mtqe.corpus.testsets.register import remove

    removed = remove(args.target, references=args.references)
    print(f"removed {args.target} ({len(removed)} file(s))", file=sys.stdout)
    return 0
