"""A consumer's message dispatched straight to its handler.

Channels' `AsyncConsumer.dispatch` runs `close_old_connections()` in a worker thread before
every message: a thread hop per stroke and per answer. Our consumers reach the database only
through `database_sync_to_async`, which closes stale connections itself. Used by
`RealtimeConsumer.dispatch` when `FASTPATH_DISPATCH` is on.
"""

from typing import Any

from channels.consumer import get_handler_name


async def dispatch(consumer: Any, message: dict[str, Any]) -> None:
    handler = getattr(consumer, get_handler_name(message), None)
    if handler is None:
        raise ValueError(f"No handler for message type {message['type']}")
    await handler(message)
