"""Existing texts become systems without YAML (existing_systems: all | none | [names])."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mtqe.cli import main
from mtqe.corpus.manifest import load_manifest
from mtqe.errors import ConfigError
from mtqe.systems.configs import ExistingSystemConfig
from mtqe.systems.text_systems import text_systems

REFERENCES = Path(__file__).resolve().parents[2] / "mtqe" / "references"


@pytest.fixture()
def testset_manifest(tmp_path):
    refs = tmp_path / "references"
    shutil.copytree(REFERENCES, refs)
    src = [line for line in (REFERENCES / "texts/jpus-2022/ja-mofa.txt").read_text(encoding="utf-8").splitlines() if line.strip()][:20]
    out = tmp_path / "in"
    out.mkdir()
    (out / "src.ja").write_text("\n".join(src) + "\n", encoding="utf-8")
    for name in ("GPT-4", "Aya23"):
        (out / f"{name}.zh").write_text("\n".join(f"{name} {i}" for i in range(20)) + "\n", encoding="utf-8")
    assert main(["corpus", "add-testset", "tset", "--references", str(refs), "--src-lang", "ja", "--tgt-lang", "zh",
                 "--source", str(out / "src.ja"), "--human", f"human-a={out / 'Aya23.zh'}",
                 "--system", f"GPT-4={out / 'GPT-4.zh'}"]) == 0
    return load_manifest(refs)


def test_all_existing_texts_become_systems_named_by_display_name(testset_manifest):
    found = text_systems(testset_manifest, ["tset"], "ja", "zh", {}, "all")
    assert set(found) == {"human-a", "GPT-4"}
    assert found["GPT-4"].text == "gpt-4" and found["GPT-4"].pairs == ["ja-zh"]


def test_a_text_read_by_a_selected_system_is_not_added_twice(testset_manifest):
    community = ExistingSystemConfig(type="existing", name="community", text="zh-community", pairs=["ja-zh"])
    found = text_systems(testset_manifest, ["jpus-2022"], "ja", "zh", {"community": community}, "all")
    assert found == {}
    assert set(text_systems(testset_manifest, ["jpus-2022"], "ja", "zh", {}, "all")) == {"zh-community"}


def test_none_and_a_list(testset_manifest):
    assert text_systems(testset_manifest, ["tset"], "ja", "zh", {}, "none") == {}
    assert set(text_systems(testset_manifest, ["tset"], "ja", "zh", {}, ["GPT-4"])) == {"GPT-4"}
    with pytest.raises(ConfigError, match="GPT-5"):
        text_systems(testset_manifest, ["tset"], "ja", "zh", {}, ["GPT-5"])
    with pytest.raises(ConfigError, match="all, none"):
        text_systems(testset_manifest, ["tset"], "ja", "zh", {}, "some")
