"""Validate a config node against a typed dataclass schema, with one clear error."""

from __future__ import annotations

from typing import Any, Mapping, TypeVar

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from mtqe.errors import ConfigError

T = TypeVar("T")


def to_typed(schema: type[T], node: Any, *, where: str) -> T:
    """Merge ``node`` onto ``schema`` and return a dataclass instance.

    Unknown keys, wrong types and missing required values become a :class:`ConfigError`
    that names ``where`` (e.g. ``system.gemma-3-270m``) and the offending key.
    """
    try:
        base = OmegaConf.structured(schema)
        merged = OmegaConf.merge(base, node if isinstance(node, DictConfig) else OmegaConf.create(node))
        missing = sorted(OmegaConf.missing_keys(merged))
        if missing:
            raise ConfigError(f"{where}: required value(s) missing: {', '.join(missing)}")
        return OmegaConf.to_object(merged)  # type: ignore[return-value]
    except OmegaConfBaseException as exc:
        raise _invalid(exc, where) from None


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
