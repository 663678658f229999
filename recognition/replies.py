"""Answers from Celery tasks straight to a websocket, through the channel layer.

A worker process keeps one event loop in a background thread so that every reply reuses
the channel layer's Redis connections instead of opening new ones per task. In embedded
mode (eager tasks inside the web process) replies go through the server's own loop.
"""

import asyncio
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _reply_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="channel-replies", daemon=True).start()
        return _loop


def _deliver(method: str, target: str, message: dict[str, Any], timeout: float) -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    send = getattr(layer, method)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        async_to_sync(send)(target, message)
        return
    asyncio.run_coroutine_threadsafe(send(target, message), _reply_loop()).result(timeout)


def send_to_channel(channel: str, message: dict[str, Any], timeout: float = 5.0) -> None:
    """Deliver `message` to one consumer's channel."""
    _deliver("send", channel, message, timeout)


def send_to_group(group: str, message: dict[str, Any], timeout: float = 5.0) -> None:
    """Deliver `message` to every consumer of a group."""
    _deliver("group_send", group, message, timeout)
