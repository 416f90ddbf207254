"""``mtqe run``'s overrides, checked and completed against ``conf/`` before Hydra composes.

Hydra answers a misspelt option with ``Could not load 'system/nosuch'`` (a page of search
paths) or, for a top-level typo, advice to add ``+``. :func:`check_overrides` turns both into
one :class:`ConfigError` line with the known names and a did-you-mean.

A system or metric entry is a plain mapping to Hydra, so a schema field its YAML leaves out
(``metric.comet.encoder_dir``) would need ``++``; :func:`add_schema_fields` adds it to an
override of such a field, so every documented ``system.NAME.FIELD=...`` works as written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import OverrideParseException

from omegaconf import OmegaConf

from mtqe.config import RunConfig
from mtqe.errors import ConfigError
from mtqe.registry import build_registry, did_you_mean

_HYDRA_KEYS = ("hydra",)  # Hydra's own namespace and groups (hydra/launcher=...), checked by Hydra


def check_overrides(overrides: Sequence[str], conf_dirs: Sequence[Path]) -> None:
    """Raise :class:`ConfigError` for an unknown top-level key or an option that ``conf/`` (and
    the folders of ``hydra.searchpath=[file://...]``) lacks."""
    conf_dirs = [conf_dirs] if isinstance(conf_dirs, Path) else list(conf_dirs)
    strings = [o for o in overrides if not o.startswith("-")]  # -m, --cfg job: Hydra's flags
    try:
        parsed = OverridesParser.create().parse_overrides(strings)
    except OverrideParseException as exc:
        raise ConfigError(f"cannot read the override: {str(exc).splitlines()[0]}") from None
    folders = _search_folders(parsed, conf_dirs)
    groups = sorted({p.name for f in folders or list(conf_dirs) for p in f.iterdir() if p.is_dir()} - set(_HYDRA_KEYS))
    keys = sorted({f.name for f in dataclasses.fields(RunConfig)} | set(groups))
    for override in parsed:
        key = override.key_or_group
        top = key.split(".")[0].split("/")[0].split("@")[0]
        if top in _HYDRA_KEYS:
            continue
        if top not in keys:
            hint = did_you_mean(top, keys).replace("?", "=?")  # " Did you mean: system=?"
            raise ConfigError(
                f"unknown config key {top!r} in {override.input_line!r}.{hint} Top-level keys: {', '.join(keys)}."
            )
        if key in groups and folders and not override.is_delete():
            _check_options(key, override, [f / key for f in folders])


def _search_folders(parsed, conf_dirs: Sequence[Path]) -> list[Path]:
    """``conf_dirs`` (the user's ``./conf`` and the packaged configs) and the ``file://`` folders of
    ``hydra.searchpath``; [] when a search path is a package (``pkg://``), whose options cannot
    be listed here (Hydra checks them)."""
    folders = list(conf_dirs)
    for override in parsed:
        if override.key_or_group == "hydra.searchpath":
            for entry in override.value() or []:
                if not str(entry).startswith("file://"):
                    return []
                folders.append(Path(str(entry)[len("file://"):]))
    return [f for f in folders if f.is_dir()]


def _check_options(group: str, override, folders: list[Path]) -> None:
    files = {p.stem: p for folder in folders for p in sorted(folder.glob("*.yaml"))}
    known = build_registry(group, sorted(files.items()))
    for name in _option_names(override):
        known.get(name)  # an unknown one: "Unknown system 'x'. Did you mean: y? Known: ..."


def _option_names(override) -> Iterator[str]:
    if override.is_sweep_override():
        value = override.value()
        options = getattr(value, "list", None)  # a choice sweep; glob() and range() are Hydra's
        if options is None:
            return
    else:
        options = [override.value()]
    for option in options:
        for name in option if isinstance(option, list) else [option]:
            if isinstance(name, str):
                yield name


def add_schema_fields(overrides: Sequence[str], conf_dirs: Sequence[Path]) -> list[str]:
    """``overrides`` with ``++`` before each plain ``system.NAME.FIELD=...`` /
    ``metric.NAME.FIELD=...`` whose FIELD is in the type's schema but not in NAME's YAML."""
    from mtqe.metrics.registry import METRIC_TYPES
    from mtqe.systems.registry import SYSTEM_TYPES

    conf_dirs = [conf_dirs] if isinstance(conf_dirs, Path) else list(conf_dirs)
    registries = {"system": SYSTEM_TYPES, "metric": METRIC_TYPES}
    parser = OverridesParser.create()
    folders = _search_folders(parser.parse_overrides([o for o in overrides if not o.startswith("-")]), conf_dirs)
    out: list[str] = []
    for text in overrides:
        if text.startswith(("-", "+", "~")) or "=" not in text:
            out.append(text)
            continue
        key = parser.parse_override(text).key_or_group
        group, _, rest = key.partition(".")
        missing = group in registries and _schema_field_missing([f / group for f in folders], rest, registries[group])
        out.append(f"++{text}" if missing else text)
    return out


def _schema_field_missing(folders: list[Path], rest: str, registry) -> bool:
    files = {p.stem: p for folder in folders for p in folder.glob("*.yaml") if rest.startswith(p.stem + ".")}
    if not files:
        return False
    name = max(files, key=len)  # the longest: a name may contain dots
    field_name = rest[len(name) + 1:].split(".")[0]
    node = OmegaConf.load(files[name]).get(name)
    if node is None or field_name in node or node.get("type") not in registry:
        return False
    return field_name in {f.name for f in dataclasses.fields(registry.get(node.get("type")).schema)}
