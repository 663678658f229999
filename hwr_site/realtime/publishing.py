"""Tasks onto the broker from a consumer's event loop, without waiting for the broker.

A stroke becomes one `recognize_ink` task. Publishing blocks (a broker round trip, longer
while the broker is unreachable), so it runs on one thread per publisher; the caller hands a
task over and goes on. Tasks that queue up while the thread is busy leave together. Nothing
comes back but a failure, as a callback on the caller's loop.

Stock path: Celery's `apply_async` on that thread. With `FASTPATH_TASK_MESSAGES` on (and a
Redis broker) the message is built and pushed by `hwr_site.fastpath.task_messages`, one
LPUSH for whatever queued up.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import Celery
from django.conf import settings

from hwr_site.fastpath import task_messages

logger = logging.getLogger(__name__)

OnError = Callable[[BaseException], None]


@dataclass
class _Item:
    kwargs: dict[str, Any]
    kwargsrepr: str
    message: bytes | None  # built at once on the fast path, in the caller's order
    deadline: float  # time.monotonic(): past it the client was already told, so skip it
    on_error: OnError
    loop: asyncio.AbstractEventLoop


class TaskPublisher:
    """Sends one ignore-result task (`name`, on `queue_name`) of `app` from async code.

    `fast` (default: the `FASTPATH_TASK_MESSAGES` setting) builds the broker message itself,
    which needs a Redis broker."""

    def __init__(
        self, app: Celery, name: str, queue_name: str, *, fast: bool | None = None
    ) -> None:
        self.app = app
        self.name = name
        self.queue_name = queue_name
        self.fast = settings.FASTPATH_TASK_MESSAGES if fast is None else fast
        self._push: task_messages.RedisPush | None = None
        if self.fast:
            self._push = task_messages.RedisPush(task_messages.check_broker(app))
        self.origin = f"gen{os.getpid()}@{socket.gethostname()}"
        self._items: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        threading.Thread(target=self._run, name="task-publisher", daemon=True).start()

    def send_soon(
        self, kwargs: dict[str, Any], *, kwargsrepr: str, within_s: float, on_error: OnError
    ) -> None:
        """Queue the task; skip it if it could not leave within `within_s` seconds."""
        message = None
        if self.fast:
            message = task_messages.task_message(
                name=self.name,
                queue_name=self.queue_name,
                kwargs=kwargs,
                kwargsrepr=kwargsrepr,
                origin=self.origin,
            )
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + within_s
        self._items.put(_Item(kwargs, kwargsrepr, message, deadline, on_error, loop))

    # -- the publishing thread -------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = [self._items.get()]
            while True:  # whatever queued up meanwhile leaves in the same push
                try:
                    batch.append(self._items.get_nowait())
                except queue.Empty:
                    break
            now = time.monotonic()
            due = [item for item in batch if item.deadline > now]
            if due:
                self._send(due)  # reports every failure; the thread goes on

    def _send(self, items: list[_Item]) -> None:
        if self._push is None:
            for item in items:
                self._report(
                    [item],
                    lambda item=item: self.app.send_task(  # type: ignore[misc]
                        self.name,
                        kwargs=item.kwargs,
                        queue=self.queue_name,
                        kwargsrepr=item.kwargsrepr,
                        ignore_result=True,
                        retry=False,
                    ),
                )
        else:
            push = self._push
            messages = [item.message for item in items if item.message is not None]
            self._report(items, lambda: push.push(self.queue_name, messages))

    def _report(self, items: list[_Item], send: Callable[[], Any]) -> None:
        try:
            send()
        except Exception as exc:  # noqa: BLE001 - every waiting socket is told
            for item in items:
                try:
                    item.loop.call_soon_threadsafe(item.on_error, exc)
                except RuntimeError:  # the loop is gone, and the socket with it
                    logger.warning("could not report a failed publish", exc_info=exc)
