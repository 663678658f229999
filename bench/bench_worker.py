"""CPU an inference worker spends per task: an isolated Celery worker (solo pool) drains a
queue of live predictions of real UNIPEN test-split drawings, then of no-op tasks.

    .venv/bin/python bench/bench_worker.py [--n 2000] [-- extra celery worker options]

Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/14, flushed), PostgreSQL
(DATABASE_URL, default postgres://postgres@127.0.0.1:5432/inkwell_bench) and ../shared/data.
The tasks are queued under another key first and handed to the worker in one RENAME, so the
worker's start-up and the queueing are not counted. Replies go to a channel nobody reads.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import PY, cpu_seconds, process, test_inks


def live_drawings(n: int) -> list[list]:
    """Drawings as the live path sends them: each test character stroke by stroke."""
    return [ink[: k + 1] for ink in test_inks(n) for k in range(len(ink))][:n]


def drain(client, worker_pid: int, messages: list[bytes], queue: str) -> dict[str, float]:
    client.delete("bench-staging")
    for start in range(0, len(messages), 500):
        client.lpush("bench-staging", *messages[start : start + 500])
    cpu = cpu_seconds(worker_pid)
    started = time.monotonic()
    client.rename("bench-staging", queue)
    while client.llen(queue):
        time.sleep(0.01)
    time.sleep(0.05)  # the last task finishing
    return {
        "cpu_ms_per_task": round((cpu_seconds(worker_pid) - cpu) * 1000 / len(messages), 3),
        "wall_ms_per_task": round((time.monotonic() - started) * 1000 / len(messages), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("worker_options", nargs="*")
    args = parser.parse_args()
    env = {
        **os.environ,
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inkwell_bench"
        ),
        "DJANGO_SETTINGS_MODULE": "hwr_site.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret"),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    import django

    django.setup()
    import redis

    from hwr_site import queues
    from hwr_site.fastpath.task_messages import task_message
    from recognition.tasks import recognize_ink

    client = redis.Redis.from_url(env["REDIS_URL"])
    client.flushdb()

    def message(name: str, kwargs: dict) -> bytes:
        return task_message(name=name, queue_name=queues.INFERENCE, kwargs=kwargs,
                             kwargsrepr="{}", origin="bench")  # fmt: skip

    drawings = live_drawings(args.n)
    live = [
        message(
            recognize_ink.name,
            {"reply_channel": "specific.bench!1", "seq": i, "strokes": strokes, "charset": None},
        )
        for i, strokes in enumerate(drawings)
    ]
    noop = [message("celery.accumulate", {}) for _ in range(args.n)]
    worker_cmd = [PY, "-m", "celery", "-A", "hwr_site", "worker", "-Q", queues.INFERENCE,
                  "--pool", "solo", "--without-gossip", "--without-mingle",
                  "--loglevel", "WARNING", *args.worker_options]  # fmt: skip
    try:
        with process(worker_cmd, env, log=None, stop_timeout=20) as worker:
            drain(client, worker.pid, live[:50], queues.INFERENCE)  # start-up and model load
            time.sleep(1)
            points = sum(len(s) for drawing in drawings for s in drawing) / len(live)
            results = {
                "tasks": len(live),
                "points_per_drawing": round(points, 1),
                "recognize_ink": drain(client, worker.pid, live, queues.INFERENCE),
                "noop": drain(client, worker.pid, noop, queues.INFERENCE),
            }
    finally:
        client.flushdb()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
