"""Validate a config node against a typed dataclass schema, with one clear error.

Value checks live in each config dataclass's ``__post_init__`` (OmegaConf's ``to_object``
runs it), written with the ``check_*`` helpers below. They raise :class:`FieldError` with the
field's own name; :func:`to_typed` turns it into one :class:`ConfigError` that names the full
key (``metric.comet.precision``) and the allowed values.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Collection
from typing import Any, Mapping, TypeVar

from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from mtqe.errors import ConfigError

T = TypeVar("T")


class FieldError(ConfigError):
    """A bad value in a config dataclass: ``key`` is relative to ``owner`` (the dataclass)."""

    def __init__(self, owner: type, key: str, value: Any, expected: str) -> None:
        self.owner, self.key, self.value, self.expected = owner, key, value, expected
        super().__init__(f"{key}={value!r}: {expected}")

    def at(self, path: str) -> ConfigError:
        return ConfigError(f"{path}={self.value!r}: {self.expected}")


def check_choice(cfg: Any, key: str, choices: Collection[str], *, aliases: Collection[str] = ()) -> None:
    value = getattr(cfg, key)
    if value != MISSING and str(value).strip().lower() not in {*choices, *aliases}:
        raise FieldError(type(cfg), key, value, f"use one of {' | '.join(choices)}")


def check_at_least(cfg: Any, key: str, minimum: float, why: str = "") -> None:
    value = getattr(cfg, key)
    if value < minimum:
        raise FieldError(type(cfg), key, value, f"must be >= {minimum}{why}")


def check(cfg: Any, key: str, ok: bool, expected: str) -> None:
    """A check that is not a choice or a minimum (``ok`` is its result)."""
    if not ok:
        raise FieldError(type(cfg), key, getattr(cfg, key), expected)


def to_typed(schema: type[T], node: Any, *, where: str) -> T:
    """Merge ``node`` onto ``schema`` and return a dataclass instance.

    Unknown keys, wrong types, missing required values and bad values (``__post_init__``)
    become a :class:`ConfigError` that names ``where`` (e.g. ``system.gemma-3-270m``, or ``""``
    for the top level) and the offending key.
    """
    label = where or "config"
    try:
        base = OmegaConf.structured(schema)
        merged = OmegaConf.merge(base, node if isinstance(node, DictConfig) else OmegaConf.create(node))
        missing = sorted(OmegaConf.missing_keys(merged))
        if missing:
            raise ConfigError(f"{label}: required value(s) missing: {', '.join(missing)}")
        return OmegaConf.to_object(merged)  # type: ignore[return-value]
    except FieldError as exc:
        inner = _path_to(schema, exc.owner)
        path = ".".join(p for p in (where, inner, exc.key) if p)
        raise exc.at(path) from None
    except OmegaConfBaseException as exc:
        raise _invalid(exc, label) from None


def _path_to(schema: type, owner: type) -> str:
    """Dotted field path from ``schema`` to its nested dataclass ``owner`` ('' for itself)."""
    if schema is owner:
        return ""
    hints = typing.get_type_hints(schema)
    for f in dataclasses.fields(schema):
        hint = hints.get(f.name)
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            inner = _path_to(hint, owner)
            if inner is not None:
                return ".".join(p for p in (f.name, inner) if p)
    return None  # type: ignore[return-value]


def check_fields(schema: type, node: Any, *, where: str) -> None:
    """Check a *partial* config against ``schema``: unknown keys and wrong types are the same
    :class:`ConfigError` as in :func:`to_typed`; required values may be absent."""
    try:
        OmegaConf.merge(OmegaConf.structured(schema), node if isinstance(node, DictConfig) else OmegaConf.create(node))
    except OmegaConfBaseException as exc:
        raise _invalid(exc, where) from None


def _invalid(exc: OmegaConfBaseException, where: str) -> ConfigError:
    key = getattr(exc, "full_key", None) or getattr(exc, "key", None) or "?"
    msg = str(exc).splitlines()[0]
    return ConfigError(f"{where}: invalid config at {key!r}: {msg}")


def typed_group_entry(group: str, name: str, node: Any, schemas: Mapping[str, type[T]]) -> T:
    """Validate entry ``name`` of a heterogeneous group (``system``, ``metric``).

    The entry's ``type`` picks its schema; ``name`` defaults to the key and must match it.
    """
    if not hasattr(node, "get") or node.get("type") is None:
        raise ConfigError(f"{group}.{name}: missing `type` (one of: {', '.join(sorted(schemas))})")
    type_name = str(node.get("type"))
    if type_name not in schemas:
        raise ConfigError(f"{group}.{name}: unknown type {type_name!r} (one of: {', '.join(sorted(schemas))})")
    data = dict(node) if isinstance(node, dict) else OmegaConf.to_container(node, resolve=True)
    data.setdefault("name", name)
    if data["name"] != name:
        raise ConfigError(f"{group}.{name}: `name: {data['name']}` differs from its key {name!r}")
    return to_typed(schemas[type_name], data, where=f"{group}.{name}")
