"""mtqe as an installed package: a wheel, installed on its own, run from an empty folder.

The wheel is built from a copy of the checkout and installed with ``--no-deps --target``; that
folder comes first on PYTHONPATH, so the dependencies are the test venv's but mtqe (and its
configs, bundled texts and Hydra plugin) come only from the wheel.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "mtqe", "hydra_plugins")


def _pip(*args: str, cwd: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the wheel was installed into (put first on PYTHONPATH)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(REPO / name, src / name)
    dist = tmp_path_factory.mktemp("dist")
    # No build isolation and no index: the venv's setuptools builds it, offline.
    _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(dist), str(src), cwd=src)
    target = tmp_path_factory.mktemp("site")
    _pip("install", "--no-deps", "--no-index", "-q", "--target", str(target), *map(str, dist.glob("*.whl")), cwd=dist)
    return target


def _run(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MTQE_")}
    env.update(PYTHONPATH=str(installed), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_wheel_holds_configs_texts_and_plugin(installed: Path, tmp_path: Path) -> None:
    proc = _run(installed, tmp_path, "-c", "import mtqe, hydra_plugins.mtqe_project as p; print(mtqe.__file__); print(p.__file__)")
    assert proc.returncode == 0, proc.stderr
    for line in proc.stdout.split():
        assert Path(line).is_relative_to(installed) and not Path(line).is_relative_to(REPO)
    package = installed / "mtqe"
    assert (package / "conf" / "config.yaml").is_file() and (package / "conf" / "system" / "community.yaml").is_file()
    assert (package / "conf" / "hydra" / "launcher" / "slurm.yaml").is_file()
    for text in (REPO / "mtqe" / "references").rglob("*"):
        if text.is_file():
            assert (package / "references" / text.relative_to(REPO / "mtqe" / "references")).read_bytes() == text.read_bytes()


def test_systems_list_from_an_empty_folder_and_with_a_user_system(installed: Path, tmp_path: Path) -> None:
    proc = _run(installed, tmp_path, "-m", "mtqe.cli", "systems", "list")
    assert proc.returncode == 0, proc.stderr
    names = [line.split()[0] for line in proc.stdout.splitlines()]
    assert "community" in names and "gemma-3-270m" in names and "mine" not in names
    (tmp_path / "conf" / "system").mkdir(parents=True)
    (tmp_path / "conf" / "system" / "mine.yaml").write_text(
        "mine:\n  type: hf_seq2seq\n  model: some/model\n  pairs: [ja-zh]\n", encoding="utf-8")
    proc = _run(installed, tmp_path, "-m", "mtqe.cli", "systems", "list")
    assert proc.returncode == 0, proc.stderr
    assert "mine" in [line.split()[0] for line in proc.stdout.splitlines()]
    assert "INVALID" not in proc.stdout
    # The console script of the wheel is the same command.
    script = _run(installed, tmp_path, str(installed / "bin" / "mtqe"), "systems", "list")
    assert script.returncode == 0 and script.stdout == proc.stdout, script.stderr


def test_init_then_run_with_a_user_system(installed: Path, tmp_path: Path, tiny_marian: Path) -> None:
    proc = _run(installed, tmp_path, "-m", "mtqe.cli", "init")
    assert proc.returncode == 0 and (tmp_path / "references" / "manifest.yaml").is_file(), proc.stderr
    (tmp_path / "conf" / "system" / "tiny-marian.yaml").write_text(
        f"tiny-marian:\n  type: hf_seq2seq\n  model: {tiny_marian}\n  pairs: [ja-zh]\n"
        f"  num_beams: 1\n  max_new_tokens: 12\n", encoding="utf-8")
    proc = _run(installed, tmp_path, "-m", "mtqe.cli", "run", "system=[community,tiny-marian]", "metric=[bleu,chrf]",
                "unit=paragraph", f"cache_dir={tmp_path / 'cache'}", "hydra.run.dir=out", "--quiet",
                "stats.bootstrap_samples=100", "stats.randomization_samples=100")
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(tmp_path / "out" / "leaderboard.csv", encoding="utf-8") as handle:
        rows = {row["system"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"community", "tiny-marian"}
    assert rows["tiny-marian"]["status"] == "ok"
    assert 0 <= float(rows["tiny-marian"]["bleu"]) <= 100 and 0 < float(rows["tiny-marian"]["chrf"]) <= 100
    assert rows["community"]["bleu"] == "" and "no zh reference" in rows["community"]["notes"]
    assert json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))["git_commit"] is None
    assert not (installed / "mtqe" / "conf" / "system" / "tiny-marian.yaml").exists()
