"""A live task's broker message built here, in Celery's task protocol 2 as kombu's Redis
transport stores it (the same JSON a worker gets from `apply_async`; `test_publishing`
compares the two field by field), and pushed with one LPUSH. `apply_async` cost about a
millisecond of CPU a call (configuration lookups, kombu's producer machinery). Used by
`hwr_site.realtime.publishing.TaskPublisher` when `FASTPATH_TASK_MESSAGES` is on.
"""

import base64
import json
import uuid
from typing import Any

import redis
from celery import Celery

CLIENT_NAME = "inkwell-live-tasks"


def check_broker(app: Celery) -> str:
    """The broker URL these messages can be pushed to; ValueError for any other broker."""
    url = str(app.conf.broker_write_url or app.conf.broker_url or "")
    if url.split("://", 1)[0] not in ("redis", "rediss"):
        raise ValueError(f"live tasks need a Redis broker, not {url.split('://', 1)[0]!r}")
    if (app.conf.broker_transport_options or {}).get("global_keyprefix"):
        raise ValueError("live tasks do not support the broker's global_keyprefix")
    if app.conf.broker_use_ssl:
        raise ValueError("live tasks take TLS settings from a rediss:// URL only")
    return url


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


class RedisPush:
    """One connection to the broker, opened on first use; redis-py reconnects it."""

    def __init__(self, broker_url: str) -> None:
        self.broker_url = broker_url
        self._client: redis.Redis | None = None

    def push(self, queue_name: str, messages: list[bytes]) -> None:
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
        self._client.lpush(queue_name, *messages)
