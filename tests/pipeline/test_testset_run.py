"""A line-aligned test set from the seed document, scored with one `mtqe run` and no system YAML.

Every score must equal sacrebleu's on the same lines: multi-reference for the systems, and
leave-one-out for a human translation that is also a reference.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sacrebleu

from mtqe.corpus.manifest import load_manifest
from tests.seed_testset import drop_every, seed_sentence_lines, write_lines

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def testset(tmp_path_factory):
    """references/ copy with test set `tset`: humans H1 (community) and H2, three systems."""
    root = tmp_path_factory.mktemp("testset")
    refs = root / "references"
    shutil.copytree(REPO / "mtqe" / "references", refs)
    src, h1 = seed_sentence_lines(load_manifest(refs))
    texts = {
        "src.ja": src,
        "H1.zh": h1,
        "H2.zh": [drop_every(line, 7) for line in h1],
        "Copy.zh": list(h1),
        "Drop4th.zh": [drop_every(line, 4) for line in h1],
        "Gaps.zh": ["" if i % 9 == 0 else line for i, line in enumerate(h1)],
    }
    for name, lines in texts.items():
        write_lines(root / name, lines)
    n = len(src)
    (root / "docs.tsv").write_text("".join(f"{'a' if i < n // 3 else 'b'}\tdoc{i // 20}\n" for i in range(n)), encoding="utf-8")
    args = [sys.executable, "-m", "mtqe.cli", "corpus", "add-testset", "tset", "--references", str(refs),
            "--src-lang", "ja", "--tgt-lang", "zh", "--source", str(root / "src.ja"),
            "--human", f"H1={root / 'H1.zh'}", "--human", f"H2={root / 'H2.zh'}",
            "--system", f"Copy={root / 'Copy.zh'}", "--system", f"Drop4th={root / 'Drop4th.zh'}",
            "--system", f"Gaps={root / 'Gaps.zh'}", "--docs", str(root / "docs.tsv")]
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return root, refs, texts


@pytest.fixture(scope="module")
def run_dir(testset):
    root, refs, _ = testset
    out = root / "run"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mtqe.cli", "run", f"hydra.run.dir={out}", f"references_dir={refs}",
         "documents=[tset]", "pair=ja-zh", "system=[]", "metric=[bleu,chrf,ter]", "use_cache=false",
         "stats.baseline=Drop4th", "stats.bootstrap_samples=50", "stats.randomization_samples=50",
         "breakdown=[domain,doc]"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "leaderboard.csv", encoding="utf-8") as handle:
        return {(r["system"], r.get("subset", "all")): r for r in csv.DictReader(handle)}


def _sacrebleu(hyp, refs):
    return {
        "bleu": sacrebleu.BLEU(tokenize="zh").corpus_score(hyp, refs).score,
        "chrf": sacrebleu.CHRF().corpus_score(hyp, refs).score,
        "ter": sacrebleu.TER(asian_support=True, normalized=True).corpus_score(hyp, refs).score,  # mtqe: CJK target
    }


def test_every_line_is_scored_and_equals_sacrebleu(testset, run_dir):
    _, _, texts = testset
    rows = _rows(run_dir)
    systems = {"Copy": "Copy.zh", "Drop4th": "Drop4th.zh", "Gaps": "Gaps.zh", "H1": "H1.zh", "H2": "H2.zh"}
    assert {name for name, subset in rows if subset == "all"} == set(systems)
    for name, file in systems.items():
        row = rows[(name, "all")]
        assert int(row["n_segments"]) == len(texts["src.ja"])
        # leave-one-out: a human text is scored against the other human text only
        refs = [texts[f] for f in ("H1.zh", "H2.zh") if f != file]
        expected = _sacrebleu(texts[file], refs)
        for metric, value in expected.items():
            assert float(row[metric]) == pytest.approx(value, abs=5e-5), (name, metric)


def test_empty_lines_are_counted_in_notes(run_dir):
    row = _rows(run_dir)[("Gaps", "all")]
    assert "empty" in row["notes"]


def test_per_domain_and_per_document_rows_equal_sacrebleu_on_their_lines(testset, run_dir):
    _, _, texts = testset
    rows = _rows(run_dir)
    n = len(texts["src.ja"])
    subsets = {"domain=a": range(0, n // 3), "domain=b": range(n // 3, n), "doc=doc1": range(20, 40)}
    assert {"domain=a", "domain=b", "doc=doc0", "doc=doc1"} <= {subset for _, subset in rows}
    systems = {"Copy": "Copy.zh", "Drop4th": "Drop4th.zh", "Gaps": "Gaps.zh", "H1": "H1.zh", "H2": "H2.zh"}
    for subset, lines in subsets.items():
        for name, file in systems.items():
            row = rows[(name, subset)]
            assert int(row["n_segments"]) == len(lines)
            hyp = [texts[file][i] for i in lines]
            refs = [[texts[f][i] for i in lines] for f in ("H1.zh", "H2.zh") if f != file]
            for metric, value in _sacrebleu(hyp, refs).items():
                assert float(row[metric]) == pytest.approx(value, abs=5e-5), (name, subset, metric)
            if name != "Drop4th":
                assert row["bleu_p_bootstrap"] != "" or name in ("H1", "H2")
    segments = (run_dir / "segments.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(segments) == 5 * n  # breakdown rows add no segment records
    assert '"domain": "a"' in segments[0] and '"doc_id": "doc0"' in segments[0]


def test_statistics_report_progress(testset, run_dir):
    _, _, texts = testset
    log = (run_dir / "run_task.log").read_text(encoding="utf-8")
    assert "statistics: started" in log and "statistics: done" in log
    # 3 metrics x 3 steps x (the document + 2 domains + one group per 20 lines), every 10% logged
    steps = 3 * 3 * (1 + 2 + -(-len(texts["src.ja"]) // 20))
    assert f"statistics: {steps}/{steps}" in log
