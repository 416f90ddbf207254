"""What is configured: systems and metrics in ``conf/``, read without loading any model."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from omegaconf import DictConfig, OmegaConf

from mtqe.errors import MtqeError
from mtqe.metrics.registry import build_metric, validate_metric_config
from mtqe.systems.registry import validate_system_config


def _entries(conf_dirs: Path | Sequence[Path], group: str):
    """(file, name, node) of each config of ``group``; as in Hydra's search path, a file name in
    an earlier folder (a user's ``conf/``) hides the same name in a later one (the packaged)."""
    folders = [conf_dirs] if isinstance(conf_dirs, Path) else list(conf_dirs)
    files: dict[str, Path] = {}
    for folder in folders:
        for path in (folder / group).glob("*.yaml"):
            files.setdefault(path.name, path)
    for _, path in sorted(files.items()):
        node = OmegaConf.load(path)  # a file of comments only is an empty mapping
        if not isinstance(node, DictConfig):
            raise MtqeError(f"{path}: expected a mapping of name → config, e.g. `my-system: {{type: ...}}`")
        for name, sub in node.items():
            yield path, str(name), sub


def list_systems(conf_dirs: Path | Sequence[Path]) -> list[str]:
    lines = []
    for path, name, node in _entries(conf_dirs, "system"):
        try:
            cfg = validate_system_config(name, node)
            pairs = ",".join(cfg.pairs) or "any"
            model = getattr(cfg, "model", getattr(cfg, "text", ""))
            lines.append(f"{name:28s} {cfg.type:11s} pairs={pairs:24s} {model}  {cfg.description}")
        except MtqeError as exc:
            lines.append(f"{name:28s} INVALID ({path.name}): {exc}")
    return lines


def list_metrics(conf_dirs: Path | Sequence[Path]) -> list[str]:
    lines = []
    for path, name, node in _entries(conf_dirs, "metric"):
        try:
            info = build_metric(validate_metric_config(name, node)).info
            flags = (
                f"higher_is_better={info.higher_is_better} needs_reference={info.needs_reference} "
                f"needs_source={info.needs_source} needs_gpu={info.needs_gpu}"
            )
            lines.append(f"{name:12s} {flags}  {info.description}")
        except MtqeError as exc:
            lines.append(f"{name:12s} INVALID ({path.name}): {exc}")
    return lines
