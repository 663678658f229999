"""What is waiting on the broker, read straight from kombu's Redis layout.

The broker keeps no copy of a task once a worker has taken it (no ack emulation,
docs/decisions/008), so a sweep finds lost work in the database instead. To know which of
the pending rows may still have a task waiting, it asks how old the oldest waiting task of
a queue is: kombu's Redis transport keeps a queue as a list, LPUSHed on the left and popped
on the right, each message a JSON envelope around a base64 body `[args, kwargs, embed]`.
"""

from __future__ import annotations

import base64
import json
import logging

import redis
from django.conf import settings

logger = logging.getLogger(__name__)


def oldest_waiting_since(queue_name: str) -> float | None:
    """Unix time the oldest task still waiting in `queue_name` was queued (its `queued_at`
    keyword), or None when the queue is empty, that task carries no time, or the broker is
    not Redis (embedded mode)."""
    url = str(settings.CELERY_BROKER_URL)
    if url.split("://", 1)[0] not in ("redis", "rediss"):
        return None
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        raw: bytes | None = client.lindex(queue_name, -1)  # type: ignore[assignment]
    finally:
        client.close()
    if raw is None:
        return None
    return queued_at_of(raw)


def queued_at_of(raw: bytes | str) -> float | None:
    """The `queued_at` keyword of one stored task message, None if it has none."""
    try:
        envelope = json.loads(raw)
        body = envelope["body"]
        if envelope.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        _args, kwargs, _embed = json.loads(body)
        queued_at = kwargs.get("queued_at")
    except (ValueError, KeyError, TypeError):
        logger.warning("a message on the broker is not a task of ours")
        return None
    return float(queued_at) if isinstance(queued_at, int | float) else None
