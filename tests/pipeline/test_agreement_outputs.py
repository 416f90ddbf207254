"""Agreement with human judgments from the pipeline's side (real chrF, BLEU and TER scores of
damaged seed text, synthetic judgments) to the run's files: agreement.csv, results.json,
run.json, the leaderboard's ``<metric>_human_agree`` columns, report.md and report.html."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from mtqe.config import StatsConfig
from mtqe.metrics.agreement import STATISTICS
from mtqe.metrics.base import MeanOfValid, MetricInfo, MetricInput, MetricResult
from mtqe.metrics.configs import ChrfConfig, SacreBleuConfig, TerConfig
from mtqe.metrics.sacrebleu_metrics import BleuMetric, ChrfMetric, TerMetric
from mtqe.pipeline import Reporter, _agreement
from mtqe.report import write_run_outputs
from mtqe.report.html import write_html_report
from mtqe.results import RunResult, SystemResult

TEXTS = Path(__file__).resolve().parents[2] / "mtqe" / "references" / "texts"
HUMAN_SIG = "human|protocol:esa|name:human"
DAMAGE = {"base": 40, "mild": 12, "medium": 6, "heavy": 4, "worst": 3}  # drop every k-th character


class _Judgments(MeanOfValid):
    """The human metric's interface as the pipeline sees it (info + MeanOfValid aggregates)."""

    info = MetricInfo("human", True, False, False, description="synthetic judgments")

    def close(self) -> None:
        pass


def _refs(n: int = 24) -> list[str]:
    text = (TEXTS / "jpus-2022" / "zh-community.txt").read_text(encoding="utf-8")
    return [l.strip() for l in text.splitlines() if len(l.strip()) > 30 and not l.startswith(("!", "#", "*", "["))][:n]


def _damaged(lines: list[str], k: int) -> list[str]:
    return ["".join(ch for j, ch in enumerate(line) if j % k != k - 1) for line in lines]


def _human(hyps: list[str], refs: list[str], judged: np.ndarray) -> MetricResult:
    # Judges who count the characters kept: damage known by construction.
    values = np.array([100.0 * len(h) / max(1, len(r)) for h, r in zip(hyps, refs)])
    if not judged.any():
        return MetricResult.not_available("human", HUMAN_SIG, "no judgments for this system")
    return MetricResult(metric="human", score=float(values[judged].mean()), signature=HUMAN_SIG,
                        segment_scores=tuple(np.where(judged, values, np.nan)),
                        stats=MeanOfValid.valid_stats(values, judged))


@pytest.fixture(scope="module")
def scored() -> tuple[list[SystemResult], dict]:
    refs = _refs()
    metrics = {"chrf": ChrfMetric(ChrfConfig(type="chrf", name="chrf")),
               "bleu": BleuMetric(SacreBleuConfig(type="bleu", name="bleu")),
               "ter": TerMetric(TerConfig(type="ter", name="ter")), "human": _Judgments()}
    rows = []
    for i, (system, k) in enumerate(DAMAGE.items()):
        hyps = _damaged(refs, k)
        data = MetricInput(sources=refs, hypotheses=hyps, references=[refs], reference_ids=["community"],
                           src_lang="ja", tgt_lang="zh")
        judged = np.ones(len(refs), dtype=bool)
        judged[:3] = False  # nobody judged the first three segments
        if system == "worst":
            judged[:] = False  # nor this system
        results = {name: m.score(data) for name, m in metrics.items() if name != "human"}
        results["human"] = _human(hyps, refs, judged)
        rows.append(SystemResult(document="jpus-2022", src_lang="ja", tgt_lang="zh", system=system,
                                 kind="existing", status="ok", n_segments=len(refs), metrics=results))
    return rows, metrics


def _run(rows, metrics, agreement=((), ())) -> RunResult:
    return RunResult(rows=rows, metric_names=tuple(metrics), metric_info={n: m.info for n, m in metrics.items()},
                     baseline="base", texts=(), agreement=agreement[0], delta_agreement=agreement[1])


def test_pipeline_agreement_with_real_metrics(scored) -> None:
    rows, metrics = scored
    stats, deltas = _agreement(rows, metrics, StatsConfig(bootstrap_samples=200, randomization_samples=500,
                                                          baseline="base"), Reporter())
    table = {(s.metric, s.statistic): s for s in stats}
    assert set(table) == {(m, s) for m in ("chrf", "bleu", "ter") for s in STATISTICS}
    for metric in ("chrf", "bleu", "ter"):  # TER is lower-is-better: oriented, it agrees too
        acc = table[metric, "sys_pairwise_accuracy"]
        assert acc.value == 1.0 and acc.n_systems == 4 and acc.n_segments == 21
        assert "1 system(s) without human judgments left out (worst)" in acc.note
        assert table[metric, "sys_kendall_tau_b"].value == pytest.approx(1.0)
    assert 0.0 < table["chrf", "seg_acc_eq_item"].value <= 1.0
    assert {(d.system, d.metric) for d in deltas} == {(s, m) for s in DAMAGE if s != "base"
                                                       for m in ("chrf", "bleu", "ter")}


def test_no_human_metric_no_agreement(scored) -> None:
    rows, metrics = scored
    automatic = {n: m for n, m in metrics.items() if n != "human"}
    plain = [SystemResult(**{**r.__dict__, "metrics": {n: r.metrics[n] for n in automatic}}) for r in rows]
    assert _agreement(plain, automatic, StatsConfig(baseline="base"), Reporter()) == ((), ())


def test_run_files_carry_the_agreement(scored, tmp_path: Path) -> None:
    rows, metrics = scored
    agreement = _agreement(rows, metrics, StatsConfig(bootstrap_samples=100, randomization_samples=200,
                                                      baseline="base"), Reporter())
    result = _run(rows, metrics, agreement)
    paths = write_run_outputs(result, tmp_path, config={}, project_dir=None, started="now")
    with paths["agreement"].open(encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert list(table[0]) == ["document", "pair", "metric", "human", "statistic", "value", "ci_low", "ci_high",
                              "n_systems", "n_segments", "note"]
    assert len(table) == 3 * len(STATISTICS)
    assert {r["pair"] for r in table} == {"ja-zh"}
    run_json = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert len(run_json["agreement"]) == len(table)
    results = RunResult.from_json(json.loads((tmp_path / "results.json").read_text(encoding="utf-8")))
    assert results.agreement == result.agreement
    with (tmp_path / "leaderboard.csv").open(encoding="utf-8") as fh:
        board = list(csv.DictReader(fh))
    assert "chrf_human_agree" in board[0] and "human_human_agree" not in board[0]
    by_system = {r["system"]: r for r in board}
    assert by_system["base"]["chrf_human_agree"] == ""  # the baseline itself: nothing to read
    assert float(by_system["mild"]["chrf_human_agree"]) == 1.0
    assert "chrf_human_agree:" in by_system["worst"]["notes"]  # too few pairs that large: says why
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "### Which metric to trust here" in md and "system soft pairwise accuracy" in md
    html = write_html_report(tmp_path).read_text(encoding="utf-8")
    assert "Which metric to trust here" in html
    assert html.count("chrf against human") == 1 and html.count("<svg") >= 3


def test_without_human_metric_no_file_and_no_column(scored, tmp_path: Path) -> None:
    rows, metrics = scored
    automatic = {n: m for n, m in metrics.items() if n != "human"}
    plain = [SystemResult(**{**r.__dict__, "metrics": {n: r.metrics[n] for n in automatic}}) for r in rows]
    write_run_outputs(_run(plain, automatic), tmp_path, config={}, project_dir=None, started="now")
    assert not (tmp_path / "agreement.csv").exists()
    assert "human_agree" not in (tmp_path / "leaderboard.csv").read_text(encoding="utf-8")
    assert "agreement" not in json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert "Which metric" not in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_a_result_without_agreement_explains_its_empty_columns(scored) -> None:
    # A sweep merge carries the human metric but does not recompute the agreement.
    from mtqe.report.leaderboard import leaderboard_csv

    rows, metrics = scored
    board = list(csv.DictReader(leaderboard_csv(_run(rows, metrics)).splitlines()))
    mild = next(r for r in board if r["system"] == "mild")
    assert mild["chrf_human_agree"] == "" and "chrf_human_agree: not computed" in mild["notes"]
    base = next(r for r in board if r["system"] == "base")
    assert "human_agree" not in base["notes"]
