"""Existing translations as systems without YAML: every ``existing`` text of the run's documents.

A text with role ``existing`` in the target language becomes a system named by its display name
(``name:`` in the manifest, else its text id), unless a selected system already reads it (the
``community`` alias reads ``zh-community``). ``existing_systems`` chooses: ``all`` (default),
``none``, or a list of display names / text ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mtqe.corpus.model import Manifest
from mtqe.errors import ConfigError
from mtqe.systems.configs import ExistingSystemConfig, SystemConfig


def text_systems(
    manifest: Manifest,
    documents: Iterable[str],
    src_lang: str,
    tgt_lang: str,
    selected: Mapping[str, SystemConfig],
    choice: Any,
) -> dict[str, ExistingSystemConfig]:
    """Configs of the existing texts to add as systems (none already selected or read)."""
    wanted = _parse_choice(choice)
    if wanted == set():
        return {}
    read = {cfg.text for cfg in selected.values() if isinstance(cfg, ExistingSystemConfig)}
    found: dict[str, ExistingSystemConfig] = {}
    offered: set[str] = set()
    for doc_id in documents:
        for spec in manifest.documents[doc_id].texts_in(tgt_lang):
            if not spec.has_role("existing"):
                continue
            offered |= {spec.display_name, spec.text_id}
            if spec.text_id in read or spec.display_name in selected:
                continue
            if wanted is not None and not ({spec.display_name, spec.text_id} & wanted):
                continue
            previous = found.get(spec.display_name)
            if previous is not None and previous.text != spec.text_id:
                raise ConfigError(
                    f"existing_systems: the name {spec.display_name!r} stands for texts {previous.text!r} and "
                    f"{spec.text_id!r} in different documents; give one of them another `name:` in the manifest"
                )
            found[spec.display_name] = ExistingSystemConfig(
                type="existing", name=spec.display_name, text=spec.text_id, pairs=[f"{src_lang}-{tgt_lang}"],
                description=f"existing {tgt_lang} text {spec.text_id!r}, read from references/",
            )
    if wanted:
        unknown = sorted(wanted - offered)
        if unknown:
            raise ConfigError(
                f"existing_systems: no existing {tgt_lang} text called {', '.join(map(repr, unknown))} in "
                f"documents {', '.join(documents)} (there are: {', '.join(sorted(offered)) or 'none'})"
            )
    return found


def _parse_choice(choice: Any) -> set[str] | None:
    """None: all; an empty set: none; else the wanted names."""
    if isinstance(choice, str):
        if choice == "all":
            return None
        if choice == "none":
            return set()
        raise ConfigError(f"existing_systems={choice!r}: use all, none, or a list of text names")
    if isinstance(choice, (list, tuple)) or hasattr(choice, "__iter__"):
        names = [str(n) for n in choice]
        return set(names)
    raise ConfigError(f"existing_systems={choice!r}: use all, none, or a list of text names")
