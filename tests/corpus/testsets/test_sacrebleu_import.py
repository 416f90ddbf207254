"""`mtqe corpus import-sacrebleu`: through sacrebleu's own dataset API, offline only from its cache."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from mtqe.corpus.manifest import load_manifest

from .test_wmt_xml import wmt_xml

REPO = Path(__file__).resolve().parents[3]


def _mtqe(args, sacrebleu_dir: Path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SACREBLEU": str(sacrebleu_dir)}
    return subprocess.run([sys.executable, "-m", "mtqe.cli", "corpus", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_offline_and_not_cached_fails_at_once_naming_the_cache(tmp_path, references_copy):
    started = time.monotonic()
    done = _mtqe(["import-sacrebleu", "w24", "wmt24", "ja-zh", "--references", str(references_copy)], tmp_path / "sb")
    assert done.returncode != 0
    assert str(tmp_path / "sb") in done.stderr and "offline" in done.stderr
    assert time.monotonic() - started < 30  # no download attempt: the time is the interpreter's start


def test_a_cached_wmt_xml_test_set_imports_with_every_system(tmp_path, references_copy, seed_sentences):
    from sacrebleu.dataset import DATASETS

    src, ref = seed_sentences
    relative = DATASETS["wmt24"].langpairs["ja-zh"][0]
    raw = tmp_path / "sb" / "wmt24" / "raw" / relative
    raw.parent.mkdir(parents=True)
    raw.write_text(wmt_xml(src, ref, {"Sys-A": ref[::-1]}, 30), encoding="utf-8")  # synthetic, written here
    done = _mtqe(["import-sacrebleu", "w24", "wmt24", "ja-zh", "--references", str(references_copy)], tmp_path / "sb")
    assert done.returncode == 0, done.stderr[-2000:]
    texts = load_manifest(references_copy).documents["w24"].texts
    assert {t.display_name for t in texts.values() if t.has_role("existing")} == {"A", "Sys-A"}
