"""Precision and recall of the diagnostics checks on the labelled set built from the seed texts.

Usage (from the repository root, offline)::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/diagnostics_gold.py

Builds one injected-error copy of the community translation per error kind (tests/diagnostics/
gold.py) in a temporary copy of references/, aligns them with the run's default embeddings and
prints, per check, injected / detected / recall / precision, and the flags on the clean text.
Results: ``benchmarks/results/diagnostics_gold.json``; write-up in docs/diagnostics.md.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.diagnostics.evaluate_gold import evaluate  # noqa: E402
from tests.diagnostics.gold import KINDS  # noqa: E402


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="diag-gold-"))
    shutil.copytree(REPO / "mtqe" / "references", root / "references")
    scores = evaluate(root / "references", cache_dir=root / "cache")
    rows = [{"check": k, "injected": scores.injected[k], "detected": scores.detected[k],
             "recall": round(scores.recall(k), 3), "flagged_segments": scores.flagged_segments[k],
             "precision": round(scores.precision(k), 3)} for k in KINDS]
    print("| check | injected | detected | recall | flagged segments | precision |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['check']} | {r['injected']} | {r['detected']} | {r['recall']} | {r['flagged_segments']} | {r['precision']} |")
    print("clean community text, segments flagged per check:", scores.clean_flags)
    out = REPO / "benchmarks" / "results" / "diagnostics_gold.json"
    out.write_text(json.dumps({"rows": rows, "clean_flags": scores.clean_flags,
                               "command": "HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/diagnostics_gold.py"},
                              indent=2) + "\n", encoding="utf-8")
    print(f"results: {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
