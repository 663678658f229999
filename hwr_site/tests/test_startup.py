"""What an ASGI server process sets up before it takes a request."""

import importlib
import os
import subprocess
import sys

import pytest


def in_a_fresh_interpreter(code: str) -> str:
    """What `code` prints when run by a new Python process with the project's settings."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "hwr_site.settings"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def test_an_asgi_process_lets_its_event_loop_take_the_gil_back_sooner(settings):
    sys.setswitchinterval(0.005)  # Python's default
    importlib.reload(importlib.import_module("hwr_site.asgi"))
    assert sys.getswitchinterval() == pytest.approx(settings.ASGI_SWITCH_INTERVAL_MS / 1000)
    assert settings.ASGI_SWITCH_INTERVAL_MS < 5


def test_an_asgi_process_imports_every_view_before_its_first_request():
    """In a fresh interpreter: loading the ASGI application has imported the views, so no
    request's thread holds the GIL for an import while the event loop's websockets wait."""
    views = ["classroom.views", "chat.api", "recognition.api", "chat.views", "recognition.views"]
    missing = in_a_fresh_interpreter(
        f"import sys, hwr_site.asgi; print(' '.join(m for m in {views!r} if m not in sys.modules))"
    )
    assert missing.split() == [], missing


def test_an_asgi_process_leaves_what_it_built_at_start_out_of_later_collections():
    """In a fresh interpreter: after loading the ASGI application, the objects built at start
    are frozen, so a full collection walks only what requests made since."""
    code = "import gc, hwr_site.asgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    frozen, tracked = map(int, in_a_fresh_interpreter(code).split())
    assert frozen > 50_000  # Django, the apps, their views and the URL patterns
    assert tracked < frozen / 10  # what a full collection still walks
