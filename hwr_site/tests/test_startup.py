"""What an ASGI server process sets up before it takes a request."""

import importlib
import sys

import pytest


def test_an_asgi_process_lets_its_event_loop_take_the_gil_back_sooner(settings):
    sys.setswitchinterval(0.005)  # Python's default
    importlib.reload(importlib.import_module("hwr_site.asgi"))
    assert sys.getswitchinterval() == pytest.approx(settings.ASGI_SWITCH_INTERVAL_MS / 1000)
    assert settings.ASGI_SWITCH_INTERVAL_MS < 5
