"""The web and inference images install requirements/serve.txt, which has no TensorFlow."""

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# What a web process (uvicorn hwr_site.asgi) and a Celery worker (every task module) load,
# plus the serving runtime with the shipped model.
SERVING = """
import sys
import hwr_site.asgi
from django.conf import settings
from hwr_site.celery import app
from recognition.engine.runtime import load_recognizer
app.loader.import_default_modules()
assert "recognition.recognize_ink" in app.tasks and "classroom.recognize_attempt" in app.tasks
load_recognizer(settings.SHIPPED_MODEL_DIR)
print(" ".join(sorted(sys.modules)))
"""


def _top_level_modules(code: str) -> set[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hwr_site.settings"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return {name.split(".")[0] for name in out.stdout.split()}


def test_the_web_process_and_the_workers_load_no_tensorflow():
    loaded = _top_level_modules(SERVING)
    assert "hwr_site" in loaded and "ai_edge_litert" in loaded
    assert "tensorflow" not in loaded
    assert "keras" not in loaded


def test_the_serving_requirements_leave_tensorflow_to_the_training_set():
    serve = _requirement_lines(REPO_ROOT / "requirements" / "serve.txt")
    train = _requirement_lines(REPO_ROOT / "requirements" / "train.txt")
    assert not [line for line in serve if line.startswith(("tensorflow", "keras"))]
    assert "-r serve.txt" in train
    assert [line for line in train if line.startswith("tensorflow==")]


def _requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#")[0].strip().lower() for line in path.read_text().splitlines())
    return [line for line in lines if line]
