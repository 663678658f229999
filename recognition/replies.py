"""Answers from Celery tasks straight to a websocket, through the channel layer.

Each worker thread keeps an event loop of its own and runs a reply on it in place: no hop to
another thread (which under load meant waiting for the GIL between two busy threads), and
every reply reuses that loop's channel-layer connections instead of opening new ones. In
embedded mode (eager tasks inside the web process) replies go through the server's own loop.
"""

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

_thread_state = threading.local()


def _thread_loop() -> asyncio.AbstractEventLoop:
    loop: asyncio.AbstractEventLoop | None = getattr(_thread_state, "loop", None)
    if loop is None or loop.is_closed():
        loop = _thread_state.loop = asyncio.new_event_loop()
    return loop


def _deliver(method: str, target: str, message: dict[str, Any], timeout: float) -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    send = getattr(layer, method)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        async_to_sync(send)(target, message)
        return
    _thread_loop().run_until_complete(_within(timeout, send(target, message)))


async def _within(timeout: float, sending: Coroutine[Any, Any, None]) -> None:
    async with asyncio.timeout(timeout):
        await sending


def send_to_channel(channel: str, message: dict[str, Any], timeout: float = 5.0) -> None:
    """Deliver `message` to one consumer's channel."""
    _deliver("send", channel, message, timeout)


def send_to_group(group: str, message: dict[str, Any], timeout: float = 5.0) -> None:
    """Deliver `message` to every consumer of a group."""
    _deliver("group_send", group, message, timeout)
