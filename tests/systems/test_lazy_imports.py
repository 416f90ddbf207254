"""Building systems imports no model backend: a fully cached re-run must not pay for torch.

Each check runs in a fresh interpreter, since this test process has torch loaded already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "ctranslate2")

BUILD_EVERY_TYPE = """
import json, sys
from pathlib import Path

import yaml

from mtqe.errors import ModelUnavailableError
from mtqe.systems.mt_system import MTSystem
from mtqe.systems.registry import SYSTEM_TYPES, build_system, validate_system_config

types = set()
for path in sorted(Path("mtqe/conf/system").glob("*.yaml")):
    for name, node in yaml.safe_load(path.read_text(encoding="utf-8")).items():
        system = build_system(validate_system_config(name, node), cache=None)
        if isinstance(system, MTSystem):
            try:
                system.translator  # constructed, not loaded
            except ModelUnavailableError:  # gguf: the embedded model's package is not installed
                pass
        types.add(system.cfg.type)
print(json.dumps({"types": sorted(types), "all": sorted(SYSTEM_TYPES.names()),
                  "heavy": sorted(m for m in %r if m in sys.modules)}))
"""


def test_building_every_system_type_imports_no_backend() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BUILD_EVERY_TYPE % (HEAVY,)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["types"] == facts["all"]  # conf/system/ has a config of every type
    assert facts["heavy"] == []


@pytest.mark.parametrize("package", ["torch", "transformers"])
def test_package_version_is_the_modules_own_version(package: str) -> None:
    """Cache identities read versions from package metadata; the strings must not change."""
    import importlib

    from mtqe.systems.hf_common import package_version

    assert package_version(package) == importlib.import_module(package).__version__


IDENTITIES = """
import json, sys
from pathlib import Path

import yaml

from mtqe.systems.registry import build_system, validate_system_config

identities = {}
for name in ("opus-mt-tc-big-zh-ja", "qwen2.5-7b-instruct", "gemma-3-270m"):
    path = Path("mtqe/conf/system") / (name + ".yaml")
    node = yaml.safe_load(path.read_text(encoding="utf-8"))[name]
    node.pop("revision", None)  # a pinned hub revision would need the hub; the dtype is what matters
    translator = build_system(validate_system_config(name, node), cache=None).translator
    identity = translator.identity()
    identities[name] = {k: identity.get(k) for k in ("dtype", "device_type")}
print(json.dumps({"identities": identities, "torch": "torch" in sys.modules}))
"""


@pytest.mark.skipif(not __import__("mtqe.systems.devices", fromlist=["x"]).cpu_only_torch(),
                    reason="only a CPU-only torch build lets the dtype be known without importing torch")
def test_identity_on_cpu_only_torch_imports_no_torch_and_agrees_with_torch() -> None:
    import torch

    from mtqe.systems.devices import dtype_name, placement_names, resolve_device, resolve_dtype

    done = subprocess.run([sys.executable, "-c", IDENTITIES], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["torch"] is False
    assert facts["identities"]["gemma-3-270m"] == {"dtype": "float32", "device_type": "cpu"}
    assert facts["identities"]["opus-mt-tc-big-zh-ja"]["dtype"] == "float32"  # dtype: auto on the CPU
    # The torch-free answer is the one torch gives, for every spelling a config may use.
    for device in ("auto", "cpu"):
        for dtype in ("auto", "float32", "fp32", "bfloat16", "bf16"):
            resolved = resolve_device(device)
            assert placement_names(device, dtype) == (resolved.type, dtype_name(resolve_dtype(dtype, resolved)))
        with pytest.raises(Exception, match="float16 on the CPU is refused"):
            placement_names(device, "float16")
    assert torch.cuda.is_available() is False
