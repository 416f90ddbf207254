"""``mtqe corpus import-sacrebleu DOC TESTSET PAIR``: a test set by name, through sacrebleu's dataset API.

WMT XML test sets (WMT21 and later) are imported whole from sacrebleu's raw XML file:
references become human translations and every submitted system a system, as with
``import-wmt``. Other test sets bring source, references and, where sacrebleu has them,
document ids and genres. Offline (``HF_HUB_OFFLINE`` / ``MTQE_OFFLINE``), a test set that is not
in sacrebleu's cache fails at once, naming the folder it looked in.
"""

from __future__ import annotations

import difflib
import os
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from mtqe.corpus.testsets.line_info import LineInfo
from mtqe.corpus.testsets.register import TestSetInfo, TestSetText, add_testset, import_wmt, split_text_lines
from mtqe.errors import CorpusError

DOWNLOAD_TIMEOUT_S = 60


def is_offline() -> bool:
    return any(os.environ.get(name, "").strip().lower() in ("1", "true", "yes") for name in ("HF_HUB_OFFLINE", "MTQE_OFFLINE"))


def import_sacrebleu(doc_id: str, testset: str, langpair: str, *, references: Path | str | None = None) -> list[str]:
    from sacrebleu.dataset import DATASETS

    dataset = DATASETS.get(testset)
    if dataset is None:
        close = difflib.get_close_matches(testset, list(DATASETS), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise CorpusError(f"sacrebleu has no test set {testset!r}.{hint} List them with `sacrebleu --list`.")
    if langpair not in dataset.langpairs:
        raise CorpusError(f"{testset} has no pair {langpair!r}; it has: {', '.join(sorted(dataset.langpairs))}")
    title = f"sacrebleu {testset} {langpair}: {dataset.description}"
    if hasattr(dataset, "_get_langpair_path"):  # WMT XML (WMT21+): the raw file holds every system too
        xml = Path(dataset._get_langpair_path(langpair))
        if not xml.is_file():
            _download(dataset, xml.parent)
        return import_wmt(doc_id, xml, references=references, title=title)
    return _import_text_fields(doc_id, dataset, langpair, title, references)


def _download(dataset, looked_in: Path) -> None:
    if is_offline():
        raise CorpusError(
            f"sacrebleu test set {dataset.name!r} is not in sacrebleu's cache ({looked_in}) and this is an "
            "offline run (HF_HUB_OFFLINE/MTQE_OFFLINE). Run the command once online, or put the files there "
            "(the cache folder is $SACREBLEU, default ~/.sacrebleu)."
        )
    try:
        with _socket_timeout(DOWNLOAD_TIMEOUT_S):
            dataset.maybe_download()
    except (OSError, ValueError) as exc:
        raise CorpusError(f"downloading sacrebleu test set {dataset.name!r} failed: {exc}") from None


def _import_text_fields(doc_id: str, dataset, langpair: str, title: str, references) -> list[str]:
    fields = dataset.fieldnames(langpair)
    paths = [Path(dataset._get_txt_file_path(langpair, field)) for field in fields]
    if not all(p.is_file() for p in paths):
        _download(dataset, paths[0].parent)
        paths = [Path(p) for p in dataset.get_files(langpair)]
    by_field = dict(zip(fields, paths))
    src_lang, tgt_lang = langpair.split("-", 1)
    texts = [TestSetText("source", "source", by_field["src"].read_bytes(), by_field["src"].name)]
    texts += [
        TestSetText("ref", field.replace(":", "-"), path.read_bytes(), path.name)
        for field, path in by_field.items() if field.startswith("ref")
    ]
    info = TestSetInfo(doc_id=doc_id, src_lang=src_lang, tgt_lang=tgt_lang, title=title,
                       line_info=_line_info(by_field), extra={"notes": f"imported from sacrebleu {dataset.name}"})
    return add_testset(info, texts, references=references)


def _line_info(by_field: dict[str, Path]) -> tuple[LineInfo, ...] | None:
    if "docid" not in by_field:
        return None
    ids = split_text_lines(by_field["docid"].read_bytes())
    genres = split_text_lines(by_field["genre"].read_bytes()) if "genre" in by_field else (None,) * len(ids)
    return tuple(LineInfo(doc_id=d, domain=g) for d, g in zip(ids, genres))


@contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    """sacrebleu's urlopen has no timeout: bound it for the download, then restore the default."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)
