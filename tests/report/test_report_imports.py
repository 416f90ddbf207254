"""The report stage reads results, never the metrics: its modules do not import mtqe.metrics."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPORT = Path(__file__).resolve().parents[2] / "mtqe" / "report"


def _imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_no_report_module_imports_the_metrics() -> None:
    modules = sorted(REPORT.glob("*.py"))
    assert len(modules) > 5
    offending = {
        p.name: [m for m in _imported_modules(p) if m == "mtqe.metrics" or m.startswith("mtqe.metrics.")]
        for p in modules
    }
    assert {k: v for k, v in offending.items() if v} == {}


def test_the_scan_finds_function_level_and_package_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from mtqe.metrics.registry import build_metric\n"
                      "from mtqe import metrics\nimport mtqe.metrics.stats as st\n", encoding="utf-8")
    assert sorted(_imported_modules(module)) == [
        "mtqe", "mtqe.metrics", "mtqe.metrics.registry", "mtqe.metrics.registry.build_metric", "mtqe.metrics.stats",
    ]


def test_loading_and_rendering_a_run_loads_no_metric_code() -> None:
    # results.py carries the metrics' value types (MetricResult, intervals); their code —
    # registry, implementations, scoring, sacrebleu — must stay unloaded.
    code = (
        "import sys, mtqe.report, mtqe.report.html, mtqe.report.load, mtqe.report.cli_report\n"
        "bad = [m for m in ('mtqe.metrics.registry', 'mtqe.metrics.scoring', 'mtqe.metrics.sacrebleu_metrics',"
        " 'mtqe.metrics.comet_metric', 'sacrebleu', 'mtqe.collect') if m in sys.modules]\n"
        "print(bad)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=REPORT.parents[1])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
