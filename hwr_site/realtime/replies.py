"""Answers from Celery tasks (or any synchronous code) to websockets, through the channel
layer: `send_to_channel` for one consumer, `send_to_group` for every consumer of a group.

The stock path is the layer's own async API. With `FASTPATH_REPLIES` on and the Redis
pub/sub layer, a reply is one blocking PUBLISH instead (`hwr_site.fastpath.replies`).
"""

import asyncio
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings


def _deliver(method: str, target: str, message: dict[str, Any], timeout: float) -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    if settings.FASTPATH_REPLIES:
        from hwr_site.fastpath.replies import publisher_for

        publisher = publisher_for(layer, timeout)
        if publisher is not None:
            getattr(publisher, method)(target, message)
            return

    async def deliver() -> None:
        await asyncio.wait_for(getattr(layer, method)(target, message), timeout)

    async_to_sync(deliver)()


def send_to_channel(channel: str, message: dict[str, Any], timeout: float = 5.0) -> None:
    """Deliver `message` to one consumer's channel; a TimeoutError after `timeout` seconds
    (redis-py's on the fast path, asyncio's on the stock one)."""
    _deliver("send", channel, message, timeout)


def send_to_group(group: str, message: dict[str, Any], timeout: float = 5.0) -> None:
    """Deliver `message` to every consumer of a group."""
    _deliver("group_send", group, message, timeout)
