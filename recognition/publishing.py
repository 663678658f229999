"""Handing Celery tasks to the broker from the event loop without waiting for it.

Publishing blocks (a Redis round trip; longer while the broker is unreachable), so it runs
off the event loop, on one thread per process. The caller hands a task over and goes on:
nothing comes back but a failure, as a callback on the caller's loop. One thread keeps
tasks in the order they were handed over, and is cheaper than a hop to a pool thread and
back for every stroke (measured in docs/benchmarks.md).
"""

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)

_publisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="task-publisher")


def publish_soon(send: Callable[[], Any], on_error: Callable[[BaseException], None]) -> None:
    """Run `send` on the publishing thread; if it raises, call `on_error` on this loop."""
    loop = asyncio.get_running_loop()

    def report(done: Future[Any]) -> None:
        error = done.exception()
        if error is None:
            return
        try:
            loop.call_soon_threadsafe(on_error, error)
        except RuntimeError:  # the loop is gone, and the socket with it
            logger.warning("could not report a failed publish", exc_info=error)

    _publisher.submit(send).add_done_callback(report)
