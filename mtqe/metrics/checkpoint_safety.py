"""Loading pickled checkpoints without running code from them.

A PyTorch checkpoint is a pickle: a global such as ``builtins.exec`` or ``os.system`` in it
runs while the file is read. Checkpoints are therefore always read with torch's weights-only
unpickler (``weights_only=True``, passed explicitly so that ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``
cannot turn it off), which accepts tensors, containers and primitives plus the globals allowed
for the duration of the load (:func:`allowed_globals`; never process-wide). A file that needs
anything else is refused with one line naming the global; full unpickling happens only when the
user sets ``metric.<name>.trust_checkpoint: true``, and then with a warning. There is no
automatic fallback to full unpickling.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import pickle
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# What a legitimate COMET/XCOMET checkpoint references beyond torch's own allow-list: nothing.
# COMET 2.x checkpoints (Lightning 2.x) hold tensors, OrderedDicts and primitive
# hyper-parameters; the tiny test checkpoints, written the same way, reference exactly
# collections.OrderedDict, torch.FloatStorage and torch._utils._rebuild_tensor_v2; and the
# `comet-score` run of Unbabel/COMET#258 (torch >= 2.6, weights-only by default) loads the hub
# checkpoint and fails only later, in predict. Not checked here on real hub files (no hub). A torch function such as torch.mean (Lightning 1.x
# could store logged-metric reductions) pickles as builtins.getattr(torch._C...., "mean"), and
# getattr reaches arbitrary code, so it is never allowed: such a file needs trust_checkpoint.
# Add a name here only for a class that a real checkpoint needs and that runs no code.
COMET_SAFE_GLOBALS: tuple[str, ...] = ()

# torch's two wordings: a global not on its allow-list, and one whose module it blocks (os, ...)
_UNSUPPORTED_GLOBAL = re.compile(r"(?:Unsupported global: GLOBAL|unsupported GLOBAL) (\S+)")


def _resolve(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


@contextlib.contextmanager
def allowed_globals(names: Sequence[str]) -> Iterator[None]:
    """Allow ``names`` (dotted) in weights-only loads inside this block only."""
    import torch

    with torch.serialization.safe_globals([_resolve(n) for n in names]):
        yield


def load_kwargs(*, trusted: bool) -> dict[str, Any]:
    """``torch.load``/Lightning keyword arguments: weights-only unless the user trusts the file."""
    return {"weights_only": not trusted}


def warn_trusted(checkpoint: Path, trust_key: str) -> None:
    log.warning(
        "%s=true: %s is unpickled in full, so any code in it runs; use this only for a file "
        "whose origin you trust",
        trust_key,
        checkpoint,
    )


def refused_global(exc: BaseException) -> str | None:
    """The global that the weights-only unpickler refused, if that is why ``exc`` was raised."""
    if not isinstance(exc, pickle.UnpicklingError):
        return None
    found = _UNSUPPORTED_GLOBAL.search(str(exc))
    if found is None:
        return None
    name = found.group(1)
    return name if "." in name else f"builtins.{name}"  # torch names builtins without their module


def refusal_reason(checkpoint: Path, global_name: str, *, family: str, trust_key: str) -> str:
    """One line: what the file asked for and how to proceed."""
    return (
        f"{family} checkpoint {str(checkpoint)!r} was not loaded: it references {global_name}, which a "
        f"{family} checkpoint does not need (unpickling it could run code from the file). Use a "
        f"checkpoint from a source you trust (e.g. the model's hub repository), or set {trust_key}=true "
        "to unpickle it in full if you trust this file"
    )
