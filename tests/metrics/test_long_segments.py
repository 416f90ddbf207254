"""Over-long segments (mtqe/metrics/long_segments.py and the NeuralMetric base), on the real
seed text jpus-2022 (ja→zh paragraphs, many longer than the tiny COMET's 64 tokens) scored by
the tiny real COMET checkpoint of tests/tiny_models.py."""

from __future__ import annotations

import numpy as np
import pytest

from mtqe.corpus.loader import default_references_dir, load_parallel_document
from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.segment import split_sentences
from mtqe.errors import ConfigError
from mtqe.metrics.base import MetricInput
from mtqe.metrics.comet_metric import CometMetric
from mtqe.metrics.configs import CometConfig
from mtqe.metrics.long_segments import split_pieces
from mtqe.metrics.registry import validate_metric_config
from mtqe.metrics.score_cache import ScoreCache
from mtqe.report.leaderboard import long_segment_note, row_notes
from mtqe.results import SystemResult
from mtqe.systems.base import SystemOutput
from tests.tiny_models import COMET_MAX_TOKENS

N = 12  # paragraphs of jpus-2022 used (keeps the test fast)


def _shortened(paragraph: str) -> str:
    """A 'translation': every reference sentence with its last quarter cut off."""
    return "".join(s[: max(1, len(s) * 3 // 4)].rstrip("。") + "。" for s in split_sentences(paragraph, "zh"))


@pytest.fixture(scope="module")
def texts():
    doc = load_parallel_document(load_manifest(default_references_dir()), "jpus-2022", "ja", "zh", unit="paragraph")
    refs = list(doc.target_segments("zh-community"))
    return list(doc.sources), [_shortened(r) for r in refs], refs


def _input(sources, hypotheses, refs) -> MetricInput:
    return MetricInput(sources=sources[:N], hypotheses=hypotheses[:N], references=[refs[:N]],
                       reference_ids=["zh-community"], src_lang="ja", tgt_lang="zh")


def _comet(tiny_comet, mode: str, cache=None) -> CometMetric:
    cfg = CometConfig(type="comet", name="comet", model=str(tiny_comet["comet_da"]), batch_size=8,
                      long_segments=mode)
    return CometMetric(cfg=cfg, cache=cache)


# ----------------------------------------------------------------------------- splitting


def test_pieces_of_a_seed_paragraph_cover_all_three_texts_in_order(texts):
    sources, hypotheses, refs = texts
    i = max(range(len(sources)), key=lambda k: len(sources[k]))  # the longest paragraph
    pieces = split_pieces(sources[i], hypotheses[i], refs[i], src_lang="ja", tgt_lang="zh")
    assert isinstance(pieces, list) and len(pieces) >= 3
    assert "".join(p.src for p in pieces) == sources[i]  # CJK: nothing added, lost or reordered
    assert "".join(p.mt for p in pieces) == hypotheses[i]
    assert "".join(p.ref for p in pieces) == refs[i]
    assert [p.weight for p in pieces] == [len(p.mt) for p in pieces]  # no whitespace in these
    assert all(p.src and p.mt and p.ref for p in pieces)
    qe = split_pieces(sources[i], hypotheses[i], None, src_lang="ja", tgt_lang="zh")
    assert all(p.ref is None for p in qe) and "".join(p.mt for p in qe) == hypotheses[i]


def test_what_cannot_be_split_says_why(texts):
    sources, hypotheses, refs = texts
    assert split_pieces(sources[0], "一句话。", refs[0], src_lang="ja", tgt_lang="zh") == (
        "the hypothesis is a single sentence")
    assert split_pieces("Eins. Zwei.", "One. Two.", None, src_lang="tlh", tgt_lang="en") == (
        "no sentence splitter for tlh-en")


def test_long_segments_is_validated_and_signed(tiny_comet):
    with pytest.raises(ConfigError, match=r"metric\.comet\.long_segments='cut'"):
        validate_metric_config("comet", {"type": "comet", "long_segments": "cut"})
    assert _comet(tiny_comet, "split").signature().endswith("|long:split")
    assert _comet(tiny_comet, "truncate").signature().endswith("|long:truncate")


# ----------------------------------------------------------------------------- scoring


@pytest.fixture(scope="module")
def scored(tiny_comet, texts):
    data = _input(*texts)
    return data, _comet(tiny_comet, "truncate").score(data), _comet(tiny_comet, "split").score(data)


def test_truncate_counts_the_over_long_segments(scored):
    data, cut, _ = scored
    info = cut.details["long_segments"]
    assert info["mode"] == "truncate" and info["max_tokens"] == COMET_MAX_TOKENS and info["segments"] == N
    assert 0 < info["over_long"] == info["truncated"] == cut.details["truncated"] < N
    assert cut.signature.endswith(f"|long:truncate|trunc:{info['over_long']}")


def test_split_scores_over_long_segments_as_length_weighted_pieces(tiny_comet, scored, texts):
    data, cut, split = scored
    info = split.details["long_segments"]
    assert info["mode"] == "split" and info["over_long"] == cut.details["long_segments"]["over_long"]
    assert info["split"] > 0
    over = [bool(f) for f in _flags(tiny_comet, data)]
    for i in range(N):
        if not over[i]:  # segments within the limit score the same either way
            assert split.segment_scores[i] == pytest.approx(cut.segment_scores[i], abs=1e-6)
    # one over-long segment that splits, recomputed from its pieces scored as segments of their own
    sources, hypotheses, refs = texts
    i = next(k for k in range(N) if over[k] and isinstance(
        split_pieces(sources[k], hypotheses[k], refs[k], src_lang="ja", tgt_lang="zh"), list))
    pieces = split_pieces(sources[i], hypotheses[i], refs[i], src_lang="ja", tgt_lang="zh")
    alone = _comet(tiny_comet, "truncate").score(MetricInput(
        sources=[p.src for p in pieces], hypotheses=[p.mt for p in pieces], references=[[p.ref for p in pieces]],
        reference_ids=["zh-community"], src_lang="ja", tgt_lang="zh"))
    weights = np.array([p.weight for p in pieces], dtype=float)
    want = float((weights * np.array(alone.segment_scores)).sum() / weights.sum())
    assert split.segment_scores[i] == pytest.approx(want, abs=1e-5)
    assert split.segment_scores[i] != pytest.approx(cut.segment_scores[i], abs=1e-6)
    # still-cut segments are counted with their reasons, never silently
    assert split.details["truncated"] == info["truncated"]
    assert split.signature.endswith(f"|long:split|trunc:{info['truncated']}")
    if info["truncated"]:
        assert sum(info["not_split"].values()) >= info["truncated"]


def _flags(tiny_comet, data) -> list[bool]:
    metric = _comet(tiny_comet, "truncate")
    metric.score(data)
    return [metric._memo[(s, h, r)][1] for s, h, r in zip(data.sources, data.hypotheses, data.references[0])]


def test_split_runs_again_from_the_score_cache_without_a_model(tiny_comet, texts, tmp_path):
    data = _input(*texts)
    first = _comet(tiny_comet, "split", ScoreCache(tmp_path / "scores.sqlite")).score(data)
    again = _comet(tiny_comet, "split", ScoreCache(tmp_path / "scores.sqlite"))
    second = again.score(data)
    assert again._loaded is None and second.details["scored"] == 0
    assert second.segment_scores == first.segment_scores
    assert second.details["long_segments"] == first.details["long_segments"]


def test_the_leaderboard_notes_count_over_long_segments_per_system(scored):
    data, cut, split = scored
    row = SystemResult(document="jpus-2022", src_lang="ja", tgt_lang="zh", system="mt", kind="mt", status="ok",
                       n_segments=N, references=("zh-community",),
                       output=SystemOutput("mt", tuple(data.hypotheses), "mt"), metrics={"comet": cut},
                       diagnostics=((),) * N)
    over = cut.details["long_segments"]["over_long"]
    assert (f"comet: {over} of {N} segments longer than the model's {COMET_MAX_TOKENS} tokens, scored truncated "
            "(long_segments=truncate)") in row_notes(row, ["comet"])
    note = long_segment_note("comet", split.details, N)
    assert note.startswith(f"comet: {over} of {N} segments longer than the model's {COMET_MAX_TOKENS} tokens: "
                           f"{split.details['long_segments']['split']} scored as aligned sentences")
    assert long_segment_note("comet", {"long_segments": {"over_long": 0}}, N) is None
    # a subset row (3 of the segments) still says what the metric scored: the whole document
    assert long_segment_note("comet", cut.details, 3).startswith(f"comet: {over} of {N} segments")


def test_split_xcomet_spans_are_the_pieces_spans_at_their_offsets(tiny_comet, texts, tmp_path):
    """A split segment's error spans are its pieces' spans (each piece scored on its own)
    moved to where the piece stands in the whole hypothesis."""
    from dataclasses import replace

    from mtqe.metrics.configs import XcometConfig
    from mtqe.metrics.xcomet_metric import XcometMetric
    from tests.tiny_models import build_tiny_xcomet

    checkpoint = build_tiny_xcomet(tmp_path, tiny_comet["encoder"])
    data = _input(*texts)

    def xcomet(mode):
        return XcometMetric(cfg=XcometConfig(type="xcomet", name="xcomet", model=str(checkpoint), long_segments=mode))

    result = xcomet("split").score(data)
    assert result.details["long_segments"]["split"] > 0 and result.segment_spans is not None
    checked = 0
    for i, (src, hyp, ref) in enumerate(zip(data.sources, data.hypotheses, data.references[0])):
        pieces = split_pieces(src, hyp, ref, src_lang="ja", tgt_lang="zh")
        if not isinstance(pieces, list) or result.segment_scores[i] == pytest.approx(
                xcomet("truncate").score(_input([src], [hyp], [ref])).segment_scores[0], abs=1e-9):
            continue  # not over-long, or not split
        alone = xcomet("truncate").score(MetricInput(
            sources=[p.src for p in pieces], hypotheses=[p.mt for p in pieces], references=[[p.ref for p in pieces]],
            reference_ids=["zh-community"], src_lang="ja", tgt_lang="zh"))
        want, cursor = [], 0
        for piece, spans in zip(pieces, alone.segment_spans):
            offset = hyp.index(piece.mt, cursor)
            cursor = offset + len(piece.mt)
            want += [replace(e, start=e.start + offset, end=e.end + offset) for e in spans]
        got = list(result.segment_spans[i])
        assert [(e.start, e.end, e.text, e.severity) for e in got] == [(e.start, e.end, e.text, e.severity) for e in want]
        assert [e.confidence for e in got] == pytest.approx([e.confidence for e in want], abs=1e-5)
        assert all(0 <= e.start <= e.end <= len(hyp) for e in want)
        checked += bool(want)
        if checked >= 2:
            break
    assert checked
