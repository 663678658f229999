"""Live prediction tasks onto the broker, from the event loop, without waiting for it.

A stroke becomes one `recognize_ink` task on the `inference` queue. Celery's `apply_async`
cost about a millisecond of CPU a call (configuration lookups, a new Redis client per
message, kombu's producer machinery: docs/benchmarks.md), 35 to 40% of the web process's
work per stroke. So with a Redis broker the message is built here, in Celery's task
protocol 2 as kombu's Redis transport stores it (the same JSON a worker gets from
`apply_async`; `test_publishing` compares the two field by field), and pushed with one
LPUSH. Every other task goes through `apply_async` as usual, and so does this one when the
`FASTPATH_TASK_MESSAGES` setting is off, which it is for any broker but Redis (RabbitMQ).

Publishing blocks (a Redis round trip, longer while the broker is unreachable), so it runs
on one thread per process; the caller hands a message over and goes on. Messages that queue
up while the thread is busy leave together in one LPUSH. Nothing comes back but a failure,
as a callback on the caller's loop.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from celery import Celery

logger = logging.getLogger(__name__)

OnError = Callable[[BaseException], None]
CLIENT_NAME = "inkwell-live-tasks"


def task_message(
    *, name: str, queue_name: str, kwargs: dict[str, Any], kwargsrepr: str, origin: str
) -> bytes:
    """A task message as kombu's Redis transport stores it: the envelope around the
    protocol-2 body `[args, kwargs, embed]`, base64 encoded."""
    task_id = str(uuid.uuid4())
    body = json.dumps(
        [[], kwargs, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
    ).encode()
    return json.dumps(
        {
            "body": base64.b64encode(body).decode("ascii"),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {
                "lang": "py",
                "task": name,
                "id": task_id,
                "shadow": None,
                "eta": None,
                "expires": None,
                "group": None,
                "group_index": None,
                "retries": 0,
                "timelimit": [None, None],
                "root_id": task_id,
                "parent_id": None,
                "argsrepr": "()",
                "kwargsrepr": kwargsrepr,
                "origin": origin,
                "ignore_result": True,
                "replaced_task_nesting": 0,
                "stamped_headers": None,
                "stamps": {},
            },
            "properties": {
                "correlation_id": task_id,
                "reply_to": "",  # as Celery's as_task_v2 sends it when there is none
                "delivery_mode": 2,
                "delivery_info": {"exchange": "", "routing_key": queue_name},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": str(uuid.uuid4()),
            },
        }
    ).encode()


@dataclass
class _Item:
    kwargs: dict[str, Any]
    kwargsrepr: str
    message: bytes | None  # built at once with `fast`, in the caller's order
    deadline: float  # time.monotonic(): past it the client was already told, so skip it
    on_error: OnError
    loop: asyncio.AbstractEventLoop


class TaskPublisher:
    """Sends one ignore-result task (`name`, on `queue_name`) from async code, through the
    broker of `app`. `fast` (default: the `FASTPATH_TASK_MESSAGES` setting) pushes hand-built
    messages, which needs a Redis broker; otherwise Celery's `send_task` publishes."""

    def __init__(
        self, app: Celery, name: str, queue_name: str, *, fast: bool | None = None
    ) -> None:
        from django.conf import settings

        self.fast = settings.FASTPATH_TASK_MESSAGES if fast is None else fast
        self.app = app
        self.name = name
        self.queue_name = queue_name
        self.origin = f"gen{os.getpid()}@{socket.gethostname()}"
        self._items: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._client: redis.Redis | None = None
        if self.fast:
            self.broker_url = self._redis_url(app)
        threading.Thread(target=self._run, name="task-publisher", daemon=True).start()

    @staticmethod
    def _redis_url(app: Celery) -> str:
        url = str(app.conf.broker_write_url or app.conf.broker_url or "")
        if url.split("://", 1)[0] not in ("redis", "rediss"):
            raise ValueError(f"live tasks need a Redis broker, not {url.split('://', 1)[0]!r}")
        if (app.conf.broker_transport_options or {}).get("global_keyprefix"):
            raise ValueError("live tasks do not support the broker's global_keyprefix")
        if app.conf.broker_use_ssl:
            raise ValueError("live tasks take TLS settings from a rediss:// URL only")
        return url

    def send_soon(
        self, kwargs: dict[str, Any], *, kwargsrepr: str, within_s: float, on_error: OnError
    ) -> None:
        """Queue the task; skip it if it could not leave within `within_s` seconds."""
        message = None
        if self.fast:
            message = task_message(
                name=self.name,
                queue_name=self.queue_name,
                kwargs=kwargs,
                kwargsrepr=kwargsrepr,
                origin=self.origin,
            )
        loop = asyncio.get_running_loop()
        self._items.put(
            _Item(kwargs, kwargsrepr, message, time.monotonic() + within_s, on_error, loop)
        )

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
                self._push(due)  # reports every failure; the thread goes on

    def _push(self, items: list[_Item]) -> None:
        try:
            if not self.fast:
                for item in items:  # Celery's own path: its producer pool, one publish each
                    self.app.send_task(
                        self.name,
                        kwargs=item.kwargs,
                        kwargsrepr=item.kwargsrepr,
                        queue=self.queue_name,
                        ignore_result=True,
                        retry=False,
                    )
                return
            if self._client is None:
                # A stuck push holds every stroke behind it; by the time this gives up,
                # the consumer's own timeout has told the client.
                self._client = redis.Redis.from_url(
                    self.broker_url,
                    socket_timeout=2,
                    socket_connect_timeout=2,
                    client_name=CLIENT_NAME,  # names it in CLIENT LIST
                )
            # One LPUSH of several values keeps their order for the worker's BRPOP.
            self._client.lpush(self.queue_name, *(item.message for item in items if item.message))
        except Exception as exc:  # noqa: BLE001 - every waiting socket is told
            for item in items:
                try:
                    item.loop.call_soon_threadsafe(item.on_error, exc)
                except RuntimeError:  # the loop is gone, and the socket with it
                    logger.warning("could not report a failed publish", exc_info=exc)
