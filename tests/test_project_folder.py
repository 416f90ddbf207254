"""A user's project folder: its conf/ and references/ on top of the packaged ones; `mtqe init`."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from mtqe.catalogue import list_metrics, list_systems
from mtqe.cli import main
from mtqe.conf_paths import conf_dirs, packaged_conf_dir, source_checkout
from mtqe.config import register_configs
from mtqe.corpus.manifest import load_manifest
from mtqe.corpus.manifest_edit import NewText, add_text
from mtqe.corpus.paths import BUNDLED_REFERENCES
from mtqe.errors import ManifestError, MtqeError
from mtqe.hydra_search_path import register as register_search_path
from mtqe.pipeline import plan_run
from mtqe.project_init import FILES, init_project
from mtqe.report.versions import git_commit

REPO = Path(__file__).resolve().parents[1]
SEED_ZH = BUNDLED_REFERENCES / "texts" / "jpus-2022" / "zh-community.txt"
USER_SYSTEM = "my-copy:\n  type: existing\n  text: zh-copy\n  pairs: [ja-zh]\n"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder as the current directory, with no environment override."""
    monkeypatch.delenv("MTQE_REFERENCES", raising=False)
    monkeypatch.delenv("MTQE_CONF_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _compose(overrides: list[str]):
    register_configs()
    register_search_path()  # as `mtqe run` does
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(packaged_conf_dir()), version_base="1.3"):
            return compose(config_name="config", overrides=overrides)
    finally:
        GlobalHydra.instance().clear()


def _user_text(project: Path) -> None:
    """A second zh text of jpus-2022 in the user's references (a copy of the seed's bytes)."""
    add_text(NewText(doc_id="jpus-2022", lang="zh", roles=("existing",), text_id="zh-copy",
                     cleaner="markdown_repost"), SEED_ZH.read_bytes(), source_name="zh-copy.txt")


def test_packaged_folders_are_inside_the_package() -> None:
    assert packaged_conf_dir() == REPO / "mtqe" / "conf"
    assert (packaged_conf_dir() / "config.yaml").is_file()
    assert BUNDLED_REFERENCES == REPO / "mtqe" / "references"
    assert source_checkout() == REPO  # run.json records this checkout's commit
    assert git_commit(None) is None  # an installed mtqe has none of its own


def test_user_conf_adds_a_system_and_replaces_a_packaged_file(project: Path) -> None:
    assert conf_dirs() == [packaged_conf_dir()]
    (project / "conf" / "system").mkdir(parents=True)
    (project / "conf" / "metric").mkdir()
    (project / "conf" / "system" / "my-copy.yaml").write_text(USER_SYSTEM, encoding="utf-8")
    (project / "conf" / "metric" / "bleu.yaml").write_text("bleu:\n  type: bleu\n  tokenize: char\n", encoding="utf-8")
    assert conf_dirs() == [(project / "conf").resolve(), packaged_conf_dir()]
    cfg = _compose(["system=[community,my-copy]"])
    assert cfg.system["my-copy"].text == "zh-copy"
    assert cfg.metric.bleu.tokenize == "char"  # the user's file, not the packaged `auto`
    assert cfg.system.community.text == "zh-community"  # everything else still packaged
    listed = list_systems(conf_dirs())
    assert any(line.startswith("my-copy ") for line in listed)
    assert any(line.startswith("community ") for line in listed)
    assert sum(line.startswith("bleu ") for line in list_metrics(conf_dirs())) == 1


def test_without_a_user_conf_nothing_changes(project: Path) -> None:
    cfg = _compose([])
    assert list(cfg.system) == ["community", "gemma-3-270m"]
    assert cfg.metric.bleu.tokenize == "auto"


def test_corpus_add_writes_to_the_users_references(project: Path) -> None:
    bundled_before = (BUNDLED_REFERENCES / "manifest.yaml").read_bytes()
    _user_text(project)
    assert (BUNDLED_REFERENCES / "manifest.yaml").read_bytes() == bundled_before
    assert (project / "references" / "texts" / "jpus-2022" / "zh-copy.txt").read_bytes() == SEED_ZH.read_bytes()
    merged = load_manifest()
    texts = merged.documents["jpus-2022"].texts
    assert set(texts) == {"ja-mofa", "zh-community", "zh-copy"}
    assert texts["zh-copy"].path.parent.parent.parent == project / "references"
    assert set(merged.documents) >= {"jpus-2022", "jpus-2024-rfi"}
    # An explicit folder is that folder only.
    assert set(load_manifest(project / "references").documents["jpus-2022"].texts) == {"zh-copy"}
    assert "zh-copy" not in load_manifest(BUNDLED_REFERENCES).documents["jpus-2022"].texts


def test_a_user_text_is_a_reference_in_a_run(project: Path) -> None:
    _user_text(project)
    (project / "conf" / "system").mkdir(parents=True)
    (project / "conf" / "system" / "my-copy.yaml").write_text(USER_SYSTEM, encoding="utf-8")
    plan = plan_run(_compose(["system=[community,my-copy]", "metric=[bleu,chrf]"]))
    texts = plan.manifest.documents["jpus-2022"].texts
    assert texts["zh-copy"].has_role("existing") and set(plan.systems) == {"community", "my-copy"}


def _write_user_manifest(project: Path, body: str) -> None:
    (project / "references").mkdir(exist_ok=True)
    (project / "references" / "manifest.yaml").write_text("schema_version: 1\ndocuments:\n" + body, encoding="utf-8")


TEXT = ("    texts:\n      {tid}:\n        lang: {lang}\n        roles: [{roles}]\n        file: texts/{tid}.txt\n"
        "        sha256: \"" + "0" * 64 + "\"\n        cleaner: plain_paragraphs\n        provenance:\n"
        "          origin: test\n")


def test_merge_rule_clashes_are_errors(project: Path) -> None:
    bundled_title = load_manifest().documents["jpus-2022"].title
    _write_user_manifest(project, "  jpus-2022:\n    title: \"Another document\"\n"
                         + TEXT.format(tid="en-x", lang="en", roles="source"))
    with pytest.raises(ManifestError, match="bundled document.*same title"):
        load_manifest()
    _write_user_manifest(project, f"  jpus-2022:\n    title: \"{bundled_title}\"\n"
                         + TEXT.format(tid="zh-community", lang="zh", roles="reference"))
    with pytest.raises(ManifestError, match="zh-community already bundled"):
        load_manifest()
    _write_user_manifest(project, f"  jpus-2022:\n    title: \"{bundled_title}\"\n"
                         + TEXT.format(tid="ja-other", lang="ja", roles="source"))
    with pytest.raises(ManifestError, match="two texts in ja have role 'source'"):
        load_manifest()
    _write_user_manifest(project, "  my-doc:\n    title: \"Mine\"\n" + TEXT.format(tid="en-x", lang="en", roles="source"))
    assert "my-doc" in load_manifest().documents and "jpus-2022" in load_manifest().documents


def test_init_writes_a_starter_folder_and_overwrites_nothing(project: Path, capsys) -> None:
    assert main(["init", "new"]) == 0
    out = capsys.readouterr().out
    assert out.count("created") == len(FILES)
    for relative in FILES:
        assert (project / "new" / relative).is_file()
    (project / "new" / "README.txt").write_text("mine", encoding="utf-8")
    assert all(not created for _, created in init_project(project / "new"))
    assert (project / "new" / "README.txt").read_text(encoding="utf-8") == "mine"
    (project / "file").write_text("x", encoding="utf-8")
    with pytest.raises(MtqeError, match="is a file"):
        init_project(project / "file")


def test_the_starter_folder_is_valid(project: Path) -> None:
    init_project(project)
    assert set(load_manifest().documents) == set(load_manifest(BUNDLED_REFERENCES).documents)  # empty map
    assert not [line for line in list_systems(conf_dirs()) if "INVALID" in line]
    assert any(line.startswith("example ") for line in list_systems(conf_dirs()))
    assert any(line.startswith("chrf-beta1 ") for line in list_metrics(conf_dirs()))
    plan_run(_compose(["system=[community,example]", "metric=[bleu,chrf-beta1]"]))
    _user_text(project)  # `corpus add` into the starter's `documents: {}`
    assert "zh-copy" in load_manifest().documents["jpus-2022"].texts
    assert main(["corpus", "add", "my-doc", "--title", "Mine", "--lang", "zh", "--role", "existing",
                 "--file", str(SEED_ZH), "--cleaner", "markdown_repost"]) == 0
    assert load_manifest().documents["my-doc"].texts["zh-existing"].path.is_relative_to(project / "references")
