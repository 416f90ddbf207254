"""Settings per system type (``system_settings_by_type``), merged over every selected system of that type.

An experiment config (``conf/experiment/gpu_batch.yaml``) cannot put settings under
``system:``: Hydra would add each entry there to every job as a system of its own. It sets
them by system ``type`` instead::

    system_settings_by_type:
      hf_seq2seq: {dtype: auto, batching: {batch_size: 64}}

Precedence, lowest first: the system's YAML (``conf/system/NAME.yaml``) → the per-type
settings → a command-line override of that system's field (``system.NAME.FIELD=...``, with or
without ``+``/``++``; ``~system.NAME.FIELD`` restores the schema default). The command line is
told apart from the YAML by the run's override strings (Hydra's ``overrides.task``, read with
Hydra's own override parser), which :func:`mtqe.pipeline.plan_run` receives; an override of a group of fields
(``system.NAME.batching={...}``) keeps that whole group. Per-type settings deep-merge: nested
fields they do not name keep the system's values.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import OverrideParseException

from mtqe.config_validation import check_fields
from mtqe.errors import ConfigError
from mtqe.systems.registry import SYSTEM_TYPES

FIELD = "system_settings_by_type"
_IDENTITY_KEYS = ("type", "name")  # what a system is, not how it runs


def check_type_settings(raw: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Validate ``system_settings_by_type`` against the system type schemas, whether or not a
    system of that type is selected, so a typo in an experiment fails in every job."""
    checked: dict[str, dict[str, Any]] = {}
    for type_name, settings in (raw or {}).items():
        if type_name not in SYSTEM_TYPES:
            raise ConfigError(
                f"{FIELD}: unknown system type {type_name!r} (one of: {', '.join(SYSTEM_TYPES.names())})"
            )
        where = f"{FIELD}.{type_name}"
        if settings is None:
            settings = {}
        if not isinstance(settings, Mapping):
            raise ConfigError(
                f"{where}: expected a mapping of {type_name} fields (e.g. {{batching: {{batch_size: 64}}}}), "
                f"got {type(settings).__name__}"
            )
        fixed = [k for k in _IDENTITY_KEYS if k in settings]
        if fixed:
            raise ConfigError(f"{where}: {', '.join(fixed)} cannot be set per type (it names the system)")
        check_fields(SYSTEM_TYPES.get(type_name).schema, dict(settings), where=where)
        checked[str(type_name)] = copy.deepcopy(dict(settings))
    return checked


def command_line_fields(overrides: Iterable[str], system_names: Iterable[str]) -> dict[str, set[str]]:
    """Field paths (``dtype``, ``batching.batch_size``) each system got on the command line.

    ``overrides`` are Hydra override strings (``system.nllb.dtype=float32``, ``+system.x.y=1``,
    ``~system.x.y``). A system name may contain dots (``opus.v2``): the longest selected name
    that prefixes the key wins.
    """
    names = sorted(system_names, key=len, reverse=True)
    try:
        parsed = OverridesParser.create().parse_overrides([str(o) for o in overrides])
    except OverrideParseException as exc:
        raise ConfigError(f"cannot read the command-line overrides: {str(exc).splitlines()[0]}") from None
    fields: dict[str, set[str]] = {}
    for override in parsed:
        key = override.key_or_group
        if not key.startswith("system."):
            continue
        rest = key[len("system."):]
        for name in names:
            if rest.startswith(name + "."):
                fields.setdefault(name, set()).add(rest[len(name) + 1:])
                break
    return fields


def apply_type_settings(
    node: Mapping[str, Any], settings: Mapping[str, dict[str, Any]], *, keep: Iterable[str] = ()
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``node`` (one system's composed config) with its type's settings merged over it.

    ``keep``: field paths set on the command line; they keep the value they have in ``node``
    (or stay absent, for a ``~`` deletion). Returns the merged config and the settings applied,
    as ``{"batching.batch_size": 64, ...}``.
    """
    node = dict(node)
    type_settings = settings.get(str(node.get("type")))
    if not type_settings:
        return node, {}
    keep = sorted(set(keep))
    merged = _deep_merge(node, type_settings)
    for path in keep:
        found, value = _get(node, path)
        if found:
            _set(merged, path, copy.deepcopy(value))
        else:
            _delete(merged, path)
    applied = {
        path: value for path, value in _flatten(type_settings)
        if not any(_overlaps(path, k) for k in keep)
    }
    return merged, applied


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in base.items()}
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _flatten(d: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in d.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            items += _flatten(value, path + ".")
        else:
            items.append((path, copy.deepcopy(value)))
    return items


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _get(d: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    current: Any = d
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return False, None
        current = current[part]
    return True, current


def _set(d: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        if not isinstance(d.get(part), dict):
            d[part] = dict(d[part]) if isinstance(d.get(part), Mapping) else {}
        d = d[part]
    d[last] = value


def _delete(d: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    for part in parents:
        if not isinstance(d.get(part), dict):
            return
        d = d[part]
    d.pop(last, None)
