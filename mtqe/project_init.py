"""``mtqe init [DIR]``: a starter folder for a user's own systems, metrics and texts.

mtqe run from that folder reads its ``conf/`` before the packaged configs and its
``references/manifest.yaml`` on top of the bundled texts (:mod:`mtqe.conf_paths`,
:mod:`mtqe.corpus.paths`). Nothing that exists is overwritten.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mtqe.corpus.project_refs import STARTER_MANIFEST
from mtqe.errors import MtqeError
from mtqe.io import atomic_write_text

EXAMPLE_SYSTEM = """\
# A system of your own. `mtqe systems list` shows it; `mtqe run system=[community,example]`
# adds it to the default run (ja→zh needs a model that supports ja-zh, see `pairs`).
# The file name (example.yaml) is what `system=` selects; the key below is the system's name
# in the leaderboard: keep the two equal. A file named like a packaged system (e.g.
# nllb-200-distilled-600m.yaml) replaces that system. Types and their fields: the packaged
# systems listed by `mtqe systems list`, and mtqe's docs/architecture.md ("Systems").
example:
  type: hf_seq2seq                             # Marian, NLLB, M2M-100, MADLAD (transformers)
  model: facebook/nllb-200-distilled-600M      # a Hugging Face id (cached once) or a local folder
  pairs: [ja-zh, zh-ja]                        # the language pairs it may be run on
  family: nllb                                 # which language codes the model expects
  num_beams: 4
  description: "My example system: NLLB-200 distilled 600M"
"""

EXAMPLE_METRIC = """\
# A metric of your own: `mtqe metrics list` shows it; `mtqe run metric=[bleu,chrf,chrf-beta1]`
# uses it. As for systems, a file named like a packaged metric (bleu.yaml) replaces it.
chrf-beta1:
  type: chrf
  word_order: 0
  beta: 1
"""

README = """\
An mtqe project folder (made by `mtqe init`).

Run mtqe from this folder: it reads the files below on top of the configs and texts that
come with mtqe, and writes its outputs to ./outputs/ (sweeps: ./multirun/).

  conf/system/*.yaml    systems of your own (see example.yaml); a file named like a packaged
                        system replaces it. List them all: mtqe systems list
  conf/metric/*.yaml    metrics of your own; mtqe metrics list
  conf/pair/, conf/experiment/, conf/config.yaml
                        any packaged config file may be replaced by a file of the same path
  references/manifest.yaml
                        your own reference texts, added to the bundled ones (mtqe corpus list).
                        `mtqe corpus add ...` copies a text into references/texts/ and records
                        it here with its sha256 and provenance.

Examples:
  mtqe systems list
  mtqe run system=[community,example] metric=[bleu,chrf]
  mtqe corpus add my-doc --title "My document" --lang en --role source --role reference --file my.txt
  mtqe corpus add jpus-2022 --lang en --role source --role reference --file statement.txt
                        (a text of a bundled document: the English original of jpus-2022)
"""

FILES = {
    "conf/system/example.yaml": EXAMPLE_SYSTEM,
    "conf/metric/chrf-beta1.yaml": EXAMPLE_METRIC,
    "references/manifest.yaml": STARTER_MANIFEST,
    "README.txt": README,
}


def init_project(folder: Path) -> list[tuple[Path, bool]]:
    """Write the starter files under ``folder``; (path, created) for each, False: it existed."""
    if folder.exists() and not folder.is_dir():
        raise MtqeError(f"{folder} is a file; give `mtqe init` a folder (new or existing)")
    written = []
    for relative, text in FILES.items():
        path = folder / relative
        created = not path.exists()
        if created:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, text)
        written.append((path, created))
    return written


def add_subcommand(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init", help="write a starter project folder (conf/, references/) without overwriting anything",
        description="Write a starter project folder: your own systems and metrics in conf/, your own "
        "texts in references/. Run mtqe from that folder to use them on top of mtqe's own.",
        epilog="example:\n  mtqe init my-eval && cd my-eval && mtqe systems list",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folder", nargs="?", type=Path, default=Path("."), help="default: the current folder")
    parser.set_defaults(func=_init)


def _init(args: argparse.Namespace) -> int:
    for path, created in init_project(args.folder):
        print(f"{'created' if created else 'kept (exists)'}  {path}")
    return 0
