from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.model import Manifest
from mtqe.errors import ManifestError
from mtqe.io import sha256_file

# The sha256 of every seed file, taken from the seed folder the project started from (outside
# this repository, so the tests never read it). references/texts/ holds the seeds byte for
# byte; a file that differs from its seed, or a manifest that names another origin, fails here.
SEED_SHA256 = {
    "000_cc26718c2e87500e.txt": "d5d13661b95d274ae0248cdea99fc4d93b593019d54b28f34b3ed603fc260c04",
    "001_d1618589d34e5fc6.txt": "d44c2b9351eb06589a43d8a2fe4d95f4cfcafa0b4286cd390c3dd4fa0ef3ad34",
    "002_59b1b8599d62ebc0.txt": "7762df48aa5fee20aa6bcfef22f3fa482d46728f1360c0ae4ac2c00c5f76fb86",
    "003_01c6a33cd4edfd96.txt": "0a2922a78f4ff061d97ae80dce6502c1062864baa5a1addba81961a92c12c125",
    "004_c558c62378edb535.txt": "b394c91f1a5283a2a36303aeebcbc15ca0f34418da6354566f048bf33be8e83a",
}


def edit_manifest(root: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = root / "manifest.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def zh_text(data: dict[str, Any]) -> dict[str, Any]:
    return data["documents"]["jpus-2022"]["texts"]["zh-community"]


# -- the real manifest -----------------------------------------------------------------------


def test_real_manifest_documents(manifest: Manifest) -> None:
    assert set(manifest.documents) == {"jpus-2022", "jpus-2024-rfi", "jpuk-2023-rfi", "stimson-2022-mt"}
    doc = manifest.documents["jpus-2022"]
    assert doc.date == "2022-05-23"
    assert set(doc.texts) == {"ja-mofa", "zh-community"}
    ja, zh = doc.texts["ja-mofa"], doc.texts["zh-community"]
    assert (ja.lang, ja.roles, ja.cleaner) == ("ja", frozenset({"source", "reference"}), "pdf_text")
    assert (zh.lang, zh.roles, zh.cleaner) == ("zh", frozenset({"existing", "reference"}), "markdown_repost")
    for document in ("jpus-2024-rfi", "jpuk-2023-rfi", "stimson-2022-mt"):
        (only,) = manifest.documents[document].texts.values()
        assert (only.lang, only.roles) == ("zh", frozenset({"source"}))


def test_real_manifest_provenance_of_the_community_translation(manifest: Manifest) -> None:
    prov = manifest.documents["jpus-2022"].texts["zh-community"].provenance
    assert prov.origin == "000_cc26718c2e87500e.txt"
    assert prov.translator == "噜噜咪"
    assert prov.url == "https://gnews.org/zh-hans/2593337/"
    assert prov.source_url is not None and prov.source_url.startswith("https://www.whitehouse.gov/briefing-room/")
    credits = dict(prov.credits)
    assert credits["reviewer"] == "文乐"
    assert credits["proofreader"] == "阿伯塔"
    assert credits["poster"] == "信心满满"


def test_real_files_are_byte_copies_of_the_seeds(manifest: Manifest) -> None:
    origins = []
    for document in manifest.documents.values():
        for spec in document.texts.values():
            origins.append(spec.provenance.origin)
            assert sha256_file(spec.path) == SEED_SHA256[spec.provenance.origin], spec.qualified_id
            assert spec.sha256 == SEED_SHA256[spec.provenance.origin], spec.qualified_id
    assert sorted(origins) == sorted(SEED_SHA256)  # every seed is in the repository, once


# -- schema violations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: zh_text(d).update(roles=["existing", "refrence"]), ["zh-community.roles", "'refrence'", "Did you mean 'reference'"]),
        (lambda d: zh_text(d).update(roles=[]), ["zh-community.roles", "non-empty list"]),
        (lambda d: zh_text(d).pop("lang"), ["zh-community", "missing required field 'lang'"]),
        (lambda d: zh_text(d).update(lang="cn"), ["zh-community.lang", "Unknown language code 'cn'", "Valid codes"]),
        (lambda d: zh_text(d).update(cleaner="markdown"), ["zh-community.cleaner", "unknown cleaner 'markdown'", "markdown_repost"]),
        (lambda d: zh_text(d).update(sha256="ABC123"), ["zh-community.sha256", "64 lower-case hex digits"]),
        (lambda d: zh_text(d).update(sha256=zh_text(d)["sha256"].upper()), ["zh-community.sha256"]),
        (lambda d: zh_text(d).update(langauge="zh"), ["zh-community", "unknown key 'langauge'"]),
        (lambda d: zh_text(d)["provenance"].update(license="x"), ["zh-community.provenance", "unknown key 'license'", "Did you mean 'licence'"]),
        (lambda d: d["documents"]["jpus-2022"].update(tittle="x"), ["documents.jpus-2022", "unknown key 'tittle'"]),
        (lambda d: d.update(extra=1), ["(top level)", "unknown key 'extra'"]),
        (lambda d: zh_text(d).update(file="../../etc/passwd"), ["zh-community.file", "outside"]),
        (lambda d: zh_text(d).update(file="/etc/passwd"), ["zh-community.file", "absolute"]),
        (lambda d: zh_text(d).update(file="texts/jpus-2022/ja-mofa.txt"), ["zh-community.file", "already the file of jpus-2022/ja-mofa"]),
        (lambda d: zh_text(d)["provenance"].pop("origin"), ["zh-community.provenance", "missing required field 'origin'"]),
        (lambda d: zh_text(d).update(roles=["source"], lang="ja"), ["documents.jpus-2022", "two texts in ja have role 'source'"]),
        (lambda d: d["documents"]["jpus-2022"].update(date="23 May 2022"), ["documents.jpus-2022.date", "ISO date"]),
        (lambda d: d["documents"].update({"JPUS 2022": d["documents"]["jpus-2022"]}), ["invalid document id 'JPUS 2022'"]),
        (lambda d: d["documents"]["jpus-2022"].update(texts={}), ["documents.jpus-2022.texts", "non-empty"]),
        (lambda d: d.update(schema_version=2), ["schema_version", "unsupported schema version 2"]),
    ],
)
def test_bad_manifest_names_the_place_and_the_problem(
    references_copy: Path, change: Callable[[dict[str, Any]], None], expected: list[str]
) -> None:
    edit_manifest(references_copy, change)
    with pytest.raises(ManifestError) as info:
        load_manifest(references_copy)
    message = str(info.value)
    assert str(references_copy / "manifest.yaml") in message
    for fragment in expected:
        assert fragment in message


def test_duplicate_keys_are_rejected(references_copy: Path) -> None:
    path = references_copy / "manifest.yaml"
    text = path.read_text(encoding="utf-8")
    # Append a second 'jpus-2022' document: PyYAML alone would silently keep the last one.
    path.write_text(text + "\n  jpus-2022:\n    title: again\n    texts: {}\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="duplicate key 'jpus-2022'"):
        load_manifest(references_copy)


def test_invalid_yaml(references_copy: Path) -> None:
    (references_copy / "manifest.yaml").write_text("documents: [unclosed\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="invalid YAML"):
        load_manifest(references_copy)


def test_missing_and_empty_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="No manifest at"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.yaml").write_text("", encoding="utf-8")
    with pytest.raises(ManifestError, match="the manifest is empty"):
        load_manifest(tmp_path)


def test_language_aliases_are_normalised(references_copy: Path) -> None:
    edit_manifest(references_copy, lambda d: zh_text(d).update(lang="zh-Hans"))
    assert load_manifest(references_copy).documents["jpus-2022"].texts["zh-community"].lang == "zh"


def test_env_var_selects_the_references(references_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit_manifest(references_copy, lambda d: d["documents"].pop("stimson-2022-mt"))
    monkeypatch.setenv("MTQE_REFERENCES", str(references_copy))
    loaded = load_manifest()
    assert loaded.root == references_copy
    assert "stimson-2022-mt" not in loaded.documents


# -- coverage and fetch (n:m alignment, `mtqe corpus fetch`) -----------------------------------


def test_coverage_defaults_to_full_and_is_checked(references_copy: Path) -> None:
    assert load_manifest(references_copy).documents["jpus-2022"].texts["zh-community"].coverage == "full"
    edit_manifest(references_copy, lambda d: zh_text(d).update(coverage="excerpt"))
    assert load_manifest(references_copy).documents["jpus-2022"].texts["zh-community"].coverage == "excerpt"
    edit_manifest(references_copy, lambda d: zh_text(d).update(coverage="partial"))
    with pytest.raises(ManifestError, match="unknown coverage 'partial'"):
        load_manifest(references_copy)


def test_fetch_entry(references_copy: Path) -> None:
    digest = zh_text(yaml.safe_load((references_copy / "manifest.yaml").read_text(encoding="utf-8")))["sha256"]

    def fetchable(data: dict[str, Any]) -> None:
        zh_text(data)["fetch"] = {"url": "https://example.org/zh.txt", "sha256": digest}
        del zh_text(data)["sha256"]  # given by fetch.sha256

    edit_manifest(references_copy, fetchable)
    spec = load_manifest(references_copy).documents["jpus-2022"].texts["zh-community"]
    assert spec.sha256 == digest and spec.fetch is not None and spec.fetch.url == "https://example.org/zh.txt"
    edit_manifest(references_copy, lambda d: zh_text(d).update(sha256="0" * 64))
    with pytest.raises(ManifestError, match="differs from fetch.sha256"):
        load_manifest(references_copy)
    edit_manifest(references_copy, lambda d: zh_text(d).update(sha256=digest, fetch={"url": "ftp://x", "sha256": digest}))
    with pytest.raises(ManifestError, match="http"):
        load_manifest(references_copy)


def test_sha256_is_required_without_fetch(references_copy: Path) -> None:
    edit_manifest(references_copy, lambda d: zh_text(d).pop("sha256"))
    with pytest.raises(ManifestError, match="missing required field 'sha256'"):
        load_manifest(references_copy)
