"""The engine is plain Python: no Django anywhere, no TensorFlow on the serving path."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[1]
REPO_ROOT = ENGINE.parents[1]


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_engine_module_imports_django() -> None:
    offenders = {
        p.name: sorted(m for m in _imported_modules(p) if m.split(".")[0] == "django")
        for p in ENGINE.glob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _modules_loaded_by(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return {m.split(".")[0] for m in out.stdout.split()}


def test_serving_and_evaluation_load_neither_django_nor_tensorflow() -> None:
    loaded = _modules_loaded_by(
        "import recognition.engine.runtime, recognition.engine.evaluation, "
        "recognition.engine.preprocessing, recognition.engine.datasets"
    )
    assert "django" not in loaded
    assert "tensorflow" not in loaded and "keras" not in loaded
