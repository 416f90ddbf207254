"""The English pairs end to end: ja→en, en→ja and en→zh next to ja→zh, in one sweep.

The English text is SYNTHETIC (tests/corpus/synthetic_english.py: placeholder sentences in
the structure of the Japanese seed, never the official statement), registered into a tmp
project's references/ with `mtqe corpus add`, on top of the bundled ja and zh texts. The
systems are tiny random models of four families (Marian, NLLB, M2M-100, a chat LM) that take
any pair, so one `mtqe run -m pair=…` runs every pair of the document.

Slow: four jobs × four model families take 1.5 CPU-minutes (5 minutes on the shared 2-core
test machine). The alignment of the English text is also checked fast, without models, in
tests/corpus/align/test_align_english.py.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.corpus.synthetic_english import write_synthetic_english

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PAIRS = ("ja-en", "en-ja", "en-zh", "ja-zh")
FAST = ["metric=[bleu,chrf]", "stats.bootstrap_samples=50", "stats.randomization_samples=50",
        "align_embeddings=none", "diagnostics=false", "use_cache=false", "--quiet"]


def _mtqe(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    # Run from the project folder, so its ./references/ is read on top of the bundled texts.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "mtqe.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900, check=False)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A user's project folder with the synthetic English text added to jpus-2022."""
    root = tmp_path_factory.mktemp("project")
    text = write_synthetic_english(tmp_path_factory.mktemp("download"))
    proc = _mtqe(["corpus", "add", "jpus-2022", "--lang", "en", "--role", "source", "--role", "reference",
                  "--file", str(text), "--text-id", "en-synthetic", "--cleaner", "markdown_repost",
                  "--publisher", "mtqe tests (synthetic placeholder text, not the statement)"], root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return root


def _conf(root: Path, tiny: dict[str, Path]) -> Path:
    conf = root / "conf"
    (conf / "system").mkdir(parents=True)
    # `pairs: []`: any pair, so one list of systems serves every job of the sweep.
    for name, model in (("tiny-marian", tiny["marian"]), ("tiny-nllb", tiny["nllb"]), ("tiny-m2m", tiny["m2m"])):
        (conf / "system" / f"{name}.yaml").write_text(
            f"{name}:\n  type: hf_seq2seq\n  model: {model}\n  pairs: []\n  num_beams: 1\n  max_new_tokens: 8\n"
            "  dtype: float32\n", encoding="utf-8")
    (conf / "system" / "tiny-chat.yaml").write_text(
        f"tiny-chat:\n  type: hf_causal\n  model: {tiny['causal']}\n  pairs: []\n  device: cpu\n  dtype: float32\n"
        "  system_prompt: 'To {tgt_name}.'\n  user_prompt: '{text}'\n  max_new_tokens: 8\n  sentence_split: true\n",
        encoding="utf-8")
    return conf


@pytest.fixture(scope="module")
def sweep(project: Path, tmp_path_factory, tiny_marian, tiny_nllb, tiny_m2m100, tiny_causal_lm):
    root = tmp_path_factory.mktemp("english-sweep")
    conf = _conf(root, {"marian": tiny_marian, "nllb": tiny_nllb, "m2m": tiny_m2m100, "causal": tiny_causal_lm})
    out = root / "multirun"
    proc = _mtqe(["run", "-m", f"pair={','.join(PAIRS)}", "system=[tiny-marian,tiny-nllb,tiny-m2m,tiny-chat]",
                  f"hydra.sweep.dir={out}", f"hydra.searchpath=[file://{conf}]", "stats.baseline=tiny-marian",
                  *FAST], project)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


def test_every_pair_of_the_document_ran_with_every_family(sweep: Path) -> None:
    rows = _rows(sweep / "leaderboard.csv")
    by_pair: dict[str, dict[str, dict[str, str]]] = {}
    for row in rows:
        by_pair.setdefault(f"{row['src_lang']}-{row['tgt_lang']}", {})[row["system"]] = row
    assert set(by_pair) == set(PAIRS)
    for pair, systems in by_pair.items():
        assert {"tiny-marian", "tiny-nllb", "tiny-m2m", "tiny-chat"} <= set(systems), pair
        for name, row in systems.items():
            assert row["status"] == "ok", (pair, name, row["error"])
            assert row["chrf"] != "" or row["kind"] == "existing", (pair, name, row["notes"])
    # References: the English text for →en, the official Japanese text for →ja, the community
    # Chinese translation for →zh.
    assert by_pair["ja-en"]["tiny-marian"]["references"] == "en-synthetic"
    assert by_pair["en-ja"]["tiny-m2m"]["references"] == "ja-mofa"
    assert by_pair["en-zh"]["tiny-nllb"]["references"] == "zh-community"


def test_the_community_translation_is_scored_from_both_sources(sweep: Path) -> None:
    rows = [r for r in _rows(sweep / "leaderboard.csv") if r["system"] == "zh-community"]
    # en→zh is its true source (it was translated from the English text), next to ja→zh.
    assert {(r["src_lang"], r["source_text"]) for r in rows} == {("ja", "ja-mofa"), ("en", "en-synthetic")}
    for row in _rows(sweep / "leaderboard.csv"):
        assert row["source_text"] == {"ja": "ja-mofa", "en": "en-synthetic"}[row["src_lang"]]
    segments = [json.loads(line) for line in (sweep / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    community = {(s["src_lang"], s["source_text"]) for s in segments if s["system"] == "zh-community"}
    assert community == {("ja", "ja-mofa"), ("en", "en-synthetic")}
    html = (sweep / "report.html").read_text(encoding="utf-8")
    assert "Source text: en-synthetic (en)" in html and "Source text: ja-mofa (ja)" in html


def test_the_english_text_is_aligned_to_the_japanese_and_the_chinese_texts(sweep: Path) -> None:
    facts = {}
    for job in sorted(p for p in sweep.iterdir() if p.is_dir() and p.name.isdigit()):
        info = json.loads((job / "run.json").read_text(encoding="utf-8"))
        pair = f"{info['config']['pair']['src_lang']}-{info['config']['pair']['tgt_lang']}"
        facts[pair] = info["facts"]["alignment"]["jpus-2022"]
    # One placeholder sentence per Japanese sentence, each with "U.S." (one with "Jr."): 111
    # sentence links 1-1 means no abbreviation split a sentence.
    assert facts["ja-en"]["segments_scored"] == facts["en-ja"]["segments_scored"] == 111
    assert facts["ja-en"]["shapes"] == facts["en-ja"]["shapes"] == {"1-1": 111}
    # English ↔ community Chinese: the same two n:m links as the ja↔zh gold set (p007, p014).
    assert facts["en-zh"]["shapes"] == facts["ja-zh"]["shapes"] == {"1-1": 108, "1-2": 1, "2-1": 1}
    # The placeholder heading of p036 is too short for its Japanese/Chinese heading: the strict
    # 1:1 paragraph check refused its ratio, and the n:m aligner paired the paragraphs instead.
    for pair in ("ja-en", "en-ja", "en-zh"):
        fallback = [n for n in facts[pair]["notes"] if n["kind"] == "strict_fallback"]
        assert [n["where"] for n in fallback] == ["p036"], pair
    assert not [n for n in facts["ja-zh"]["notes"] if n["kind"] == "strict_fallback"]
