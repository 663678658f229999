"""Checks a server process runs before it takes any request."""

import gc
import logging
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("inkwell")

BANNER = """
  ************************************************************************
  *  DEBUG IS ON: development server only. Error pages show code and     *
  *  settings to anyone. Never expose this process to a network.         *
  ************************************************************************"""


def check_debug() -> None:
    """Refuse DEBUG except in the development server (`make run` sets DEV_SERVER), and
    say so loudly there."""
    if not settings.DEBUG:
        return
    if not settings.DEV_SERVER:
        raise ImproperlyConfigured(
            "DEBUG is on: a server started with DEBUG shows code and settings on every error. "
            "Turn DEBUG off, or use `make run` (which sets DEV_SERVER=true) for development."
        )
    logger.warning(BANNER)


def tune_switch_interval() -> None:
    """Let the event loop take the GIL back sooner from a thread running Python.

    An ASGI process runs its websockets on one event-loop thread and Django's requests and
    the chat's database calls on other threads. Each time the loop wakes (a stroke, a reply)
    while such a thread runs Python, it waits for the interpreter's switch interval (5 ms by
    default) before it gets the GIL: a stroke crosses the loop two or three times, so the
    wait adds up in the live path's tail (bench/bench_loop_lag.py, docs/benchmarks.md)."""
    sys.setswitchinterval(settings.ASGI_SWITCH_INTERVAL_MS / 1000)


def import_views() -> None:
    """Import every view now, before the first request: a module imported on a request's
    thread holds the GIL for all of its import, and the event loop's websockets wait that
    long (about 100 ms for the first API request of a process, in bench/bench_chat.py)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and, through it, the views


def freeze_startup_heap() -> None:
    """Leave what the process built at start (modules, settings, URL patterns, templates'
    code) out of every later garbage collection.

    A full collection walks every object the collector tracks: with the startup's 140,000
    or so among them, each took about 100 ms, came every dozen dashboard pages or so, and
    stopped an ASGI process's event loop for as long (the dashboard's p95 was that pause;
    bench/bench_dashboard.py, docs/benchmarks.md). Frozen, they are never walked again; what
    requests create is still collected as before."""
    gc.collect()
    gc.freeze()
