"""CPU cost of queueing one live prediction: Celery's `apply_async` against the message
`hwr_site.realtime.publishing` builds and pushes itself (docs/decisions/008-lean-live-path.md).

    .venv/bin/python bench/bench_publish.py [--n 2000]

Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/14, flushed) and ../shared/data.
Reports CPU milliseconds per call in this process, best of three rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import test_inks


def a_drawing() -> list:
    """The first test-split character of more than one stroke, as the live path sends it."""
    return next(ink for ink in test_inks(100) if len(ink) > 1)


def cpu_ms_per_call(call: Callable[[], object], n: int) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(n):
            call()
        best = min(best, (time.process_time() - started) * 1000 / n)
    return round(best, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    os.environ.update(
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE="hwr_site.settings",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret"),
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    import redis

    from hwr_site import queues
    from hwr_site.fastpath.task_messages import task_message
    from recognition.tasks import recognize_ink

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    strokes = a_drawing()
    kwargs = {"reply_channel": "specific.bench!1", "seq": 1, "strokes": strokes,
              "charset": None, "queued_at": time.time()}  # fmt: skip

    def message() -> bytes:
        return task_message(name=recognize_ink.name, queue_name=queues.INFERENCE,
                             kwargs=kwargs, kwargsrepr="{'seq': 1}", origin="bench")  # fmt: skip

    results = {
        "points": sum(len(s) for s in strokes),
        "apply_async_ms": cpu_ms_per_call(
            lambda: recognize_ink.apply_async(kwargs=kwargs, retry=False), args.n
        ),
        "message_ms": cpu_ms_per_call(message, args.n),
        "message_and_lpush_ms": cpu_ms_per_call(
            lambda: client.lpush(queues.INFERENCE, message()), args.n
        ),
        "message_and_lpush_of_8_ms_each": round(
            cpu_ms_per_call(
                lambda: client.lpush(queues.INFERENCE, *[message() for _ in range(8)]),
                args.n // 8,
            )
            / 8,
            3,
        ),
    }
    client.flushdb()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
