"""A small typed registry: explicit mapping from names to components.

No directory scanning and no import magic: each stage lists its components in one place.
A miss answers with the closest known names.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from typing import Any, Generic, Iterator, TypeVar

from mtqe.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class Registry(Generic[T]):
    """Maps names to entries of one kind (``kind`` names it in error messages)."""

    kind: str
    entries: dict[str, T]

    def get(self, name: str) -> T:
        try:
            return self.entries[name]
        except KeyError:
            raise ConfigError(self._unknown_message(name)) from None

    def names(self) -> list[str]:
        return sorted(self.entries)

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def _unknown_message(self, name: str) -> str:
        return f"Unknown {self.kind} {name!r}.{did_you_mean(name, self.names())} Known: {', '.join(self.names())}."


def build_registry(kind: str, items: list[tuple[str, T]]) -> Registry[T]:
    """Build a registry, rejecting duplicate names (a silent overwrite hides a bug)."""
    entries: dict[str, T] = {}
    for name, item in items:
        if name in entries:
            raise ValueError(f"duplicate {kind} {name!r} in registry")
        entries[name] = item
    return Registry(kind=kind, entries=entries)


def load_target(target: str) -> Any:
    """The object a ``"package.module:Name"`` target names, imported now (registries keep
    targets as strings so that listing and validating import no backend)."""
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def did_you_mean(name: str, known: list[str]) -> str:
    """`` Did you mean: x?`` for the names of ``known`` close to ``name`` ('' when none is)."""
    close = difflib.get_close_matches(name, known, n=3) or [k for k in known if k.startswith(name)][:3]
    return f" Did you mean: {', '.join(close)}?" if close else ""
