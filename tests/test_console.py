"""Console progress: scoring tasks per metric, generated tokens in the translation bar, rates in
the line-per-10% fallback, --quiet (a real run with tiny models, in process, no terminal)."""

from __future__ import annotations

import contextlib
import io
import logging
import time
from pathlib import Path

import pytest

from mtqe import pipeline
from mtqe.config import PairConfig, RunConfig, StatsConfig
from mtqe.console import ConsoleReporter, _Rate
from tests.tiny_models import CORPUS_JA

MARIAN = "tiny-marian jpus-2022 ja→zh"
COMET_BATCH = 8


class _Recorded:
    """Forwards to the console's progress and keeps what it was told."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.totals: list[int] = []
        self.advances: list[tuple[int, int]] = []  # (units, tokens)

    def start(self, total: int) -> None:
        self.totals.append(total)
        self.inner.start(total)

    def advance(self, n: int, tokens: int = 0) -> None:
        self.advances.append((n, tokens))
        self.inner.advance(n, tokens=tokens)

    @property
    def units(self) -> int:
        return sum(n for n, _ in self.advances)

    @property
    def tokens(self) -> int:
        return sum(t for _, t in self.advances)


class RecordingReporter(ConsoleReporter):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tasks: dict[str, _Recorded] = {}

    def progress(self, label: str, total: int):  # type: ignore[override]
        self.tasks[label] = _Recorded(super().progress(label, total))
        return self.tasks[label]


@contextlib.contextmanager
def _captured_log():
    """The records the run log (run_task.log) would get from the console."""
    records: list[str] = []
    handler = logging.Handler(level=logging.INFO)
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("mtqe")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture(scope="module")
def run(tiny_marian: Path, tiny_comet, tmp_path_factory):
    config = RunConfig(
        pair=PairConfig("ja", "zh"),
        system={
            "community": {"type": "existing", "text": "zh-community", "pairs": ["ja-zh"]},
            "tiny-marian": {
                "type": "hf_seq2seq", "model": str(tiny_marian), "pairs": ["ja-zh"],
                "num_beams": 1, "max_new_tokens": 12, "batching": {"batch_size": 16},
            },
        },
        metric={
            "bleu": {"type": "bleu"},
            "chrf": {"type": "chrf"},
            "comet": {"type": "comet", "model": str(tiny_comet["comet_da"]), "batch_size": COMET_BATCH},
        },
        unit="sentence",
        align_embeddings="none",
        cache_dir=str(tmp_path_factory.mktemp("cache")),
        stats=StatsConfig(bootstrap_samples=50, randomization_samples=50, baseline="community"),
    )
    stderr = io.StringIO()  # not a terminal: the line-per-10% fallback
    with _captured_log() as log_lines, contextlib.redirect_stderr(stderr):
        reporter = RecordingReporter()
        assert reporter._progress.disable
        with reporter:
            result = pipeline.execute(pipeline.plan_run(config), reporter=reporter)
    return result, reporter, log_lines, stderr.getvalue()


def test_scoring_progress_has_one_task_per_metric_over_all_scored_segments(run) -> None:
    result, reporter, _, _ = run
    scored = sum(r.n_segments for r in result.rows if r.status == "ok")
    assert scored == 2 * result.rows[0].n_segments > 0
    for metric in ("bleu", "chrf", "comet"):
        task = reporter.tasks[f"scoring {metric}"]
        assert task.totals == [scored] and task.units == scored
        assert task.tokens == 0
    # COMET advances per model batch (not per system): community has no reference left
    # (leave-one-out) and completes at once; tiny-marian is scored batch by batch.
    comet = reporter.tasks["scoring comet"].advances
    assert result.rows[1].metrics["comet"].score is not None
    batches = [n for n, _ in comet[1:]]
    assert len(batches) >= result.rows[1].n_segments // COMET_BATCH
    assert max(batches) <= COMET_BATCH


def test_translation_progress_counts_generated_tokens(run) -> None:
    result, reporter, _, _ = run
    task = reporter.tasks[MARIAN]
    row = next(r for r in result.rows if r.system == "tiny-marian")
    stats = row.output.stats
    assert task.totals == [stats["unique_units"]] and task.units == stats["unique_units"]
    assert stats["cache_hits"] == 0
    assert task.tokens == stats["translator"]["tokens_generated"] > 0
    assert all(tokens > 0 for n, tokens in task.advances if n)  # every translated batch
    community = reporter.tasks["community jpus-2022 ja→zh"]
    assert community.units == row.n_segments and community.tokens == 0


def test_logged_progress_lines_carry_rates(run) -> None:
    _, _, log_lines, console = run
    marian = [line for line in log_lines if line.startswith(f"{MARIAN}: ") and "/" in line]
    comet = [line for line in log_lines if line.startswith("scoring comet: ") and "/" in line]
    assert marian and comet
    # The first line may come before a rate is known (one batch only marks the start).
    assert all("seg/s" in line and "tok/s" in line for line in marian[1:]), marian
    assert any("ETA" in line for line in marian), marian
    assert all("seg/s" in line and "tok/s" not in line for line in comet[1:]), comet
    assert f"{MARIAN}: done" in log_lines and "scoring comet: done" in log_lines
    assert "seg/s" in console  # the same lines on the console


def test_quiet_silences_the_console_but_not_the_log() -> None:
    stderr = io.StringIO()
    with _captured_log() as log_lines, contextlib.redirect_stderr(stderr):
        reporter = ConsoleReporter(quiet=True)
        with reporter:
            tick = reporter.progress("task", 4)
            tick.start(4)
            for _ in range(4):
                tick.advance(1, tokens=5)
            reporter.done("task")
    assert stderr.getvalue() == ""
    assert log_lines[0] == "task: started" and log_lines[-1] == "task: done"
    assert any("seg/s, " in line and "tok/s" in line for line in log_lines), log_lines


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_with_a_live_bar_progress_lines_go_to_the_log_only() -> None:
    terminal = _Terminal()
    with _captured_log() as log_lines, contextlib.redirect_stderr(terminal):
        reporter = ConsoleReporter()
        assert not reporter._progress.disable
        with reporter:
            tick = reporter.progress("task", 4)
            tick.start(4)
            for _ in range(4):
                time.sleep(0.01)
                tick.advance(1, tokens=5)
            reporter.done("task")
    assert log_lines[0] == "task: started" and log_lines[-1] == "task: done"
    assert any("seg/s, " in line and "tok/s" in line for line in log_lines), log_lines
    shown = terminal.getvalue()
    assert "4/4" in shown and "tok/s" in shown and "task: started" not in shown


def test_rate_is_windowed_and_ignores_the_first_burst() -> None:
    rate = _Rate()
    rate.add(100, 0, now=0.0)  # cached units read at once: the start of the window
    assert rate.per_second() == (None, None) and rate.describe() == ""
    rate.add(10, 200, now=2.0)
    rate.add(10, 200, now=4.0)
    assert rate.per_second() == (5.0, 100.0)
    assert rate.describe() == "5.00 seg/s, 100 tok/s"
    assert rate.remaining_s(20, now=4.0) == 4.0
    rate.add(10, 0, now=100.0)  # a slow batch: the last two samples still give a rate
    assert rate.per_second() == (10 / 96, None)


@pytest.mark.parametrize("backend", ["hf_causal", "ct2", "gguf"])
def test_other_translators_count_generated_tokens(backend: str, request, tmp_path: Path) -> None:
    translator = _translator(backend, request, tmp_path)
    before = translator.tokens_generated
    outputs = translator.translate(CORPUS_JA[:3], src_lang="ja", tgt_lang="zh")
    assert len(outputs) == 3
    assert translator.tokens_generated - before == translator.describe()["tokens_generated"] > 0


def _translator(backend: str, request, tmp_path: Path):
    from mtqe.systems.configs import BatchingConfig

    batching = BatchingConfig(batch_size=4, max_batch_tokens=4096)
    if backend == "hf_causal":
        from mtqe.systems.configs import HFCausalConfig
        from mtqe.systems.hf_causal import HFCausalTranslator

        model = request.getfixturevalue("tiny_causal_lm")
        return HFCausalTranslator(cfg=HFCausalConfig(
            type="hf_causal", name="tiny-chat", model=str(model), device="cpu", dtype="float32",
            system_prompt="To {tgt_name}.", user_prompt="{text}", max_new_tokens=8, batching=batching,
        ))
    if backend == "ct2":
        pytest.importorskip("ctranslate2")
        from mtqe.systems.configs import Ct2Config
        from mtqe.systems.ct2 import Ct2Translator

        model = request.getfixturevalue("tiny_marian")
        cfg = Ct2Config(type="ctranslate2", name="tiny", model=str(model), device="cpu",
                        beam_size=1, max_decoding_length=8, batching=batching)
        return Ct2Translator(cfg=cfg, cache_dir=tmp_path / "ct2")
    from mtqe.systems.gguf_causal import GGUFCausalTranslator
    from tests.systems.test_gguf_causal import (
        TINY_CONTEXT,
        short_prompt_cfg,
        write_tiny_gemma3_gguf,
    )

    path = tmp_path / "tiny-gemma3.gguf"
    write_tiny_gemma3_gguf(path, context_length=TINY_CONTEXT)
    return GGUFCausalTranslator(cfg=short_prompt_cfg(path), cache_dir=tmp_path / "gguf")
