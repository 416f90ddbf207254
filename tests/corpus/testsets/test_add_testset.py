"""`mtqe corpus add-testset` and `remove`: a line-aligned test set from the seed document."""

from __future__ import annotations

import pytest

from mtqe.cli import main
from mtqe.corpus.loader import load_parallel_document
from mtqe.corpus.manifest import load_manifest


def add_args(references, files, *extra):
    return [
        "corpus", "add-testset", "jpus-lines", "--references", str(references), "--src-lang", "ja",
        "--tgt-lang", "zh", "--source", str(files.source), "--human", f"zh-community={files.reference}",
        *[f"--system={name}={path}" for name, path in files.systems.items()], *extra,
    ]


def test_every_line_is_a_segment_and_empty_lines_are_kept(references_copy, line_files, capsys):
    assert main(add_args(references_copy, line_files, "--docs", str(line_files.docs), "--title", "lines")) == 0
    manifest = load_manifest(references_copy)
    document = manifest.documents["jpus-lines"]
    assert document.segmentation == "lines"
    assert {t.display_name for t in document.texts.values() if t.has_role("existing")} == {
        "zh-community", "Copy-Ref", "Drop4th", "GPT-Gaps"
    }
    doc = load_parallel_document(manifest, "jpus-lines", "ja", "zh")
    assert len(doc.segments) == line_files.lines
    assert [s.seg_id for s in doc.segments[:3]] == ["1", "2", "3"]
    gaps = next(t for t, spec in doc.targets.items() if spec.display_name == "GPT-Gaps")
    assert doc.segments[0].targets[gaps] == "" and doc.segments[1].targets[gaps] != ""
    assert sum(1 for note in doc.notes if note.kind == "empty_line" and note.text_id == gaps) == len(
        range(0, line_files.lines, 10)
    )
    assert doc.segments[0].domain == "statement" and doc.segments[-1].doc_id == "part2"
    assert doc.reference_ids() == ["zh-community"]
    spec = document.texts["zh-community"]
    assert spec.roles == frozenset({"existing", "reference"})


def test_a_line_count_mismatch_is_one_error_and_changes_nothing(references_copy, line_files, capsys):
    short = line_files.source.parent / "short.txt"
    short.write_text("".join(f"{i}\n" for i in range(line_files.lines - 1)), encoding="utf-8")
    before = (references_copy / "manifest.yaml").read_bytes()
    code = main(add_args(references_copy, line_files, f"--system=Short={short}"))
    err = capsys.readouterr().err
    assert code != 0
    assert "short.txt" in err and str(line_files.lines - 1) in err and str(line_files.lines) in err
    assert (references_copy / "manifest.yaml").read_bytes() == before
    assert not (references_copy / "texts" / "jpus-lines").exists()


def test_remove_document_and_text(references_copy, line_files):
    before = (references_copy / "manifest.yaml").read_bytes()
    assert main(add_args(references_copy, line_files)) == 0
    assert main(["corpus", "remove", "jpus-lines/drop4th", "--references", str(references_copy)]) == 0
    document = load_manifest(references_copy).documents["jpus-lines"]
    assert "drop4th" not in document.texts and "copy-ref" in document.texts
    assert not (references_copy / "texts" / "jpus-lines" / "drop4th.txt").exists()
    assert main(["corpus", "remove", "jpus-lines", "--references", str(references_copy)]) == 0
    assert (references_copy / "manifest.yaml").read_bytes() == before
    assert not (references_copy / "texts" / "jpus-lines").exists()


def test_removing_a_documents_only_source_is_refused(references_copy, line_files, capsys):
    assert main(add_args(references_copy, line_files)) == 0
    before = (references_copy / "manifest.yaml").read_bytes()
    assert main(["corpus", "remove", "jpus-lines/ja-source", "--references", str(references_copy)]) != 0
    assert (references_copy / "manifest.yaml").read_bytes() == before
    assert (references_copy / "texts" / "jpus-lines" / "ja-source.txt").is_file()


def test_systems_dir_names_systems_by_stem(references_copy, line_files):
    folder = line_files.source.parent / "outputs"
    folder.mkdir()
    for name, path in line_files.systems.items():
        (folder / f"{name}.zh").write_bytes(path.read_bytes())
    args = ["corpus", "add-testset", "jpus-dir", "--references", str(references_copy), "--src-lang", "ja",
            "--tgt-lang", "zh", "--source", str(line_files.source), "--ref", f"ref={line_files.reference}",
            "--systems-dir", str(folder)]
    assert main(args) == 0
    texts = load_manifest(references_copy).documents["jpus-dir"].texts
    assert sorted(t.display_name for t in texts.values() if t.has_role("existing")) == sorted(line_files.systems)
    assert texts["ref"].roles == frozenset({"reference"})


@pytest.mark.parametrize("bad", ["--system=NoFile", "--system=X=/nonexistent/file.txt"])
def test_bad_arguments_are_one_line(references_copy, line_files, capsys, bad):
    assert main(add_args(references_copy, line_files, bad)) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
