"""`mtqe corpus add-judgments`: human scores of a seed-sentence test set in every layout."""

from __future__ import annotations

import json

import pytest

from mtqe.cli import main
from mtqe.corpus.judgments import load_judgments
from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.testsets.judgment_formats import mqm_penalty
from mtqe.io import sha256_file
from tests.corpus.testsets.test_add_testset import add_args


@pytest.fixture()
def testset(references_copy, line_files):
    """Test set jpus-lines: systems zh-community (a human text), Copy-Ref, Drop4th, GPT-Gaps."""
    assert main(add_args(references_copy, line_files)) == 0
    return references_copy, line_files


def add(refs, path, *extra):
    return main(["corpus", "add-judgments", "jpus-lines", "--references", str(refs), "--file", str(path), *extra])


def test_csv_with_raters_and_z_is_averaged_per_item_and_stored_with_hashes(testset, tmp_path, capsys):
    refs, files = testset
    scores = tmp_path / "da.csv"
    scores.write_text(
        "system,segment,score,rater,z\n"
        "Copy-Ref,1,80,r1,0.5\nCopy-Ref,1,90,r2,0.7\nCopy-Ref,2,70,r1,0.1\n"
        "drop4th,1,40,r1,-0.9\n"  # a system named by its text id
        f"Drop4th,{files.lines},None,r2,\n",  # no score: not judged
        encoding="utf-8",
    )
    assert add(refs, scores, "--protocol", "da") == 0
    assert "3 judged item(s)" in capsys.readouterr().out
    manifest = load_manifest(refs)
    spec = manifest.documents["jpus-lines"].judgments["human"]
    assert (spec.protocol, spec.format, spec.source_file) == ("da", "csv", "da.csv")
    assert spec.path == refs / "texts" / "jpus-lines" / "judgments" / "human.jsonl"
    assert spec.sha256 == sha256_file(spec.path) and spec.source_sha256 == sha256_file(scores)
    judgments = load_judgments(manifest, "jpus-lines", "human")
    assert judgments.protocol == "da" and judgments.systems() == ("Copy-Ref", "Drop4th")
    first = judgments.items[("Copy-Ref", "1")]
    assert first.score == pytest.approx(85.0) and first.raters == 2 and first.z == pytest.approx(0.6)
    assert judgments.items[("Drop4th", "1")].score == 40.0
    assert ("Drop4th", str(files.lines)) not in judgments.items
    lines = spec.path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"system": "Copy-Ref", "segment": "1", "score": 85.0, "raters": 2, "z": 0.6}


def test_unknown_systems_and_segments_are_one_error_and_change_nothing(testset, tmp_path, capsys):
    refs, files = testset
    before = (refs / "manifest.yaml").read_bytes()
    scores = tmp_path / "bad.csv"
    scores.write_text(f"system,segment,score\nCopy-Ref,0,1\nNoSuch,2,1\nOther,3,1\nCopy-Ref,{files.lines + 1},1\n"
                      "Copy-Ref,x7,1\n", encoding="utf-8")
    assert add(refs, scores, "--protocol", "da") != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1  # one line
    assert "'NoSuch'" in err and "'Other'" in err and "Copy-Ref" in err
    assert "3 unknown segment(s)" in err and f"'{files.lines + 1}'" in err and "'0'" in err and "'x7'" in err
    assert (refs / "manifest.yaml").read_bytes() == before
    assert not (refs / "texts" / "jpus-lines" / "judgments").exists()


def test_wmt_seg_score_layout_one_block_per_system(testset, tmp_path):
    refs, files = testset
    n = files.lines
    lines = [f"Copy-Ref\t{90 - i % 3}" for i in range(n)] + [f"GPT-Gaps {'None' if i % 2 else 50}" for i in range(n)]
    path = tmp_path / "ja-zh.esa.seg.score"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert add(refs, path, "--protocol", "esa", "--format", "wmt-esa", "--name", "esa") == 0
    judgments = load_judgments(load_manifest(refs), "jpus-lines", "esa")
    assert judgments.protocol == "esa"
    assert judgments.items[("Copy-Ref", "2")].score == 89.0 and judgments.items[("Copy-Ref", "2")].raters is None
    assert ("GPT-Gaps", "1") in judgments.items and ("GPT-Gaps", "2") not in judgments.items  # None: not judged
    assert len(judgments.items) == n + (n + 1) // 2


def test_wmt_block_shorter_than_the_test_set_is_refused(testset, tmp_path, capsys):
    refs, files = testset
    path = tmp_path / "short.seg.score"
    path.write_text("".join(f"Copy-Ref 1\n" for _ in range(files.lines - 1)), encoding="utf-8")
    assert add(refs, path, "--protocol", "da", "--format", "wmt-da") != 0
    assert f"Copy-Ref has {files.lines - 1}, the test set has {files.lines}" in capsys.readouterr().err


def test_mqm_tsv_errors_become_negative_weighted_penalties_averaged_over_raters(testset, tmp_path):
    refs, _ = testset
    rows = [
        ("Copy-Ref", "1", "r1", "Accuracy/Mistranslation", "Major"),
        ("Copy-Ref", "1", "r1", "Fluency/Punctuation", "Minor"),
        ("Copy-Ref", "1", "r2", "No-error", "no-error"),
        ("Copy-Ref", "2", "r1", "Non-translation!", "Major"),
        ("Drop4th", "2", "r1", "Fluency/Grammar", "Minor"),
        ("Drop4th", "2", "r1", "Accuracy/Omission", "Critical"),
        ("Drop4th", "3", "r1", "Style/Awkward", "Neutral"),
    ]
    header = "system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\tcategory\tseverity\n"
    body = "".join(f"{s}\td1\t{seg}\t{seg}\t{r}\tsrc\ttgt\t{c}\t{v}\n" for s, seg, r, c, v in rows)
    path = tmp_path / "mqm.tsv"
    path.write_text(header + body, encoding="utf-8")
    assert add(refs, path, "--protocol", "mqm", "--format", "mqm-tsv", "--name", "mqm") == 0
    items = load_judgments(load_manifest(refs), "jpus-lines", "mqm").items
    assert items[("Copy-Ref", "1")].score == pytest.approx(-(5 + 0.1 + 0) / 2) and items[("Copy-Ref", "1")].raters == 2
    assert items[("Copy-Ref", "2")].score == -25.0
    assert items[("Drop4th", "2")].score == -26.0
    assert items[("Drop4th", "3")].score == 0.0


def test_mqm_weights_follow_the_wmt_scheme() -> None:
    assert mqm_penalty("Major", "Accuracy/Mistranslation") == 5
    assert mqm_penalty("Minor", "Accuracy/Mistranslation") == 1
    assert mqm_penalty("Minor", "Fluency/Punctuation") == 0.1
    assert mqm_penalty("Major", "Fluency/Punctuation") == 5
    assert mqm_penalty("Major", "Non-translation!") == 25
    assert mqm_penalty("Critical", "Accuracy/Omission") == 25
    assert mqm_penalty("Neutral", "Style/Awkward") == 0
    assert mqm_penalty("Huge", "Accuracy") is None


def test_unknown_mqm_severity_protocol_mismatch_and_taken_name_are_refused(testset, tmp_path, capsys):
    refs, _ = testset
    path = tmp_path / "mqm.tsv"
    path.write_text("Copy-Ref\td\t1\t1\tr1\ts\tt\tAccuracy\tHuge\n", encoding="utf-8")
    assert add(refs, path, "--protocol", "mqm", "--format", "mqm-tsv") != 0
    assert "unknown MQM severities 'Huge'" in capsys.readouterr().err
    assert add(refs, path, "--protocol", "da", "--format", "mqm-tsv") != 0
    assert "--protocol mqm" in capsys.readouterr().err
    good = tmp_path / "ok.csv"
    good.write_text("system,segment,score\nCopy-Ref,1,3\n", encoding="utf-8")
    assert add(refs, good, "--protocol", "sqm") == 0
    assert add(refs, good, "--protocol", "sqm") != 0
    assert "already" in capsys.readouterr().err


def test_removing_the_document_removes_its_judgments(testset, tmp_path):
    refs, _ = testset
    good = tmp_path / "ok.csv"
    good.write_text("system,segment,score\nCopy-Ref,1,3\n", encoding="utf-8")
    assert add(refs, good, "--protocol", "da") == 0
    assert add(refs, good, "--protocol", "da", "--name", "second") == 0  # appended to the judgments block
    assert set(load_manifest(refs).documents["jpus-lines"].judgments) == {"human", "second"}
    assert main(["corpus", "remove", "jpus-lines", "--references", str(refs)]) == 0
    assert not (refs / "texts" / "jpus-lines").exists()


def test_one_set_of_judgments_can_be_removed_and_added_again(testset, tmp_path):
    refs, _ = testset
    before = (refs / "manifest.yaml").read_bytes()
    good = tmp_path / "ok.csv"
    good.write_text("system,segment,score\nCopy-Ref,1,3\n", encoding="utf-8")
    assert add(refs, good, "--protocol", "da") == 0
    assert add(refs, good, "--protocol", "da", "--name", "second") == 0
    assert main(["corpus", "remove", "jpus-lines/judgments/human", "--references", str(refs)]) == 0
    assert set(load_manifest(refs).documents["jpus-lines"].judgments) == {"second"}
    assert not (refs / "texts" / "jpus-lines" / "judgments" / "human.jsonl").exists()
    assert main(["corpus", "remove", "jpus-lines/judgments/second", "--references", str(refs)]) == 0
    assert (refs / "manifest.yaml").read_bytes() == before  # the empty `judgments:` key went too
    assert not (refs / "texts" / "jpus-lines" / "judgments").exists()
    assert add(refs, good, "--protocol", "esa") == 0  # added again, corrected
    assert load_judgments(load_manifest(refs), "jpus-lines", "human").protocol == "esa"
    assert main(["corpus", "remove", "jpus-lines/judgments/nope", "--references", str(refs)]) != 0
