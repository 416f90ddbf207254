"""A small typed registry: explicit mapping from names to components.

No directory scanning and no import magic: each stage lists its components in one place.
A miss answers with the closest known names.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Generic, Iterator, TypeVar

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
        close = difflib.get_close_matches(name, self.names(), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        return f"Unknown {self.kind} {name!r}.{hint} Known: {', '.join(self.names())}."


def build_registry(kind: str, items: list[tuple[str, T]]) -> Registry[T]:
    """Build a registry, rejecting duplicate names (a silent overwrite hides a bug)."""
    entries: dict[str, T] = {}
    for name, item in items:
        if name in entries:
            raise ValueError(f"duplicate {kind} {name!r} in registry")
        entries[name] = item
    return Registry(kind=kind, entries=entries)
