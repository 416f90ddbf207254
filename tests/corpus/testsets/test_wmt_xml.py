"""`mtqe corpus import-wmt`: a WMT XML file written by the test from the seed sentences."""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest

from mtqe.cli import main
from mtqe.corpus.loader import load_parallel_document
from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.testsets.wmt_xml import read_wmt_xml
from mtqe.errors import CorpusError

from .conftest import perturb


def _segs(lines, start=1):
    return "<p>" + "".join(f'<seg id="{start + i}">{escape(t)}</seg>' for i, t in enumerate(lines)) + "</p>"


def wmt_xml(src, ref, hyps, split):
    docs = []
    for doc_id, domain, part in (("d1", "statement", slice(0, split)), ("d2", "annex", slice(split, None))):
        body = [f'<src lang="ja">{_segs(src[part])}</src>', f'<ref lang="zh" translator="A">{_segs(ref[part])}</ref>']
        body += [f'<hyp lang="zh" system="{name}">{_segs(lines[part])}</hyp>' for name, lines in hyps.items()]
        docs.append(f'<doc id="{doc_id}" domain="{domain}" origlang="ja">{"".join(body)}</doc>')
    return f'<?xml version="1.0" encoding="utf-8"?><dataset id="t"><collection id="general">{"".join(docs)}</collection></dataset>'


@pytest.fixture()
def xml_file(tmp_path, seed_sentences):
    src, ref = seed_sentences
    hyps = {"Sys-A": [perturb(r) for r in ref], "sys_b": ref}
    path = tmp_path / "wmt.xml"
    path.write_text(wmt_xml(src, ref, hyps, 40), encoding="utf-8")
    return path


def test_read_flattens_documents_in_order(xml_file, seed_sentences):
    src, ref = seed_sentences
    testset = read_wmt_xml(xml_file)
    assert (testset.src_lang, testset.tgt_lang) == ("ja", "zh")
    assert list(testset.source) == [s.strip() for s in src]
    assert list(testset.references["A"]) == [r.strip() for r in ref]
    assert set(testset.systems) == {"Sys-A", "sys_b"}
    assert testset.line_info[0].domain == "statement" and testset.line_info[-1].doc_id == "d2"


def test_import_registers_refs_as_humans_and_hyps_as_systems(references_copy, xml_file, seed_sentences):
    assert main(["corpus", "import-wmt", "wmt-jpus", str(xml_file), "--references", str(references_copy)]) == 0
    manifest = load_manifest(references_copy)
    texts = manifest.documents["wmt-jpus"].texts
    assert texts["a"].roles == frozenset({"existing", "reference"})
    assert texts["sys-a"].display_name == "Sys-A" and texts["sys-a"].roles == frozenset({"existing"})
    doc = load_parallel_document(manifest, "wmt-jpus", "ja", "zh")
    assert len(doc.segments) == len(seed_sentences[0])
    assert {s.domain for s in doc.segments} == {"statement", "annex"}


def test_entities_are_not_resolved(tmp_path):
    evil = tmp_path / "evil.xml"
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    evil.write_text(
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<dataset><collection><doc id="d"><src lang="ja"><p><seg id="1">&x;</seg></p></src>'
        '<hyp lang="zh" system="s"><p><seg id="1">a</seg></p></hyp></doc></collection></dataset>',
        encoding="utf-8",
    )
    testset = read_wmt_xml(evil)
    assert "SECRET" not in testset.source[0]


def test_mismatched_segment_ids_are_one_error(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<dataset><collection><doc id="d"><src lang="ja"><p><seg id="1">a</seg><seg id="2">b</seg></p></src>'
        '<hyp lang="zh" system="s"><p><seg id="1">a</seg></p></hyp></doc></collection></dataset>',
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match="missing: 2"):
        read_wmt_xml(bad)
