"""Students one inference worker serves at p99 <= 30 ms: batched against unbatched.

One Celery worker at a time (unbatched: solo pool; batched: thread pool with
INFERENCE_BATCH_SIZE) gets live predictions of real UNIPEN test-split drawings, each
student's stroke every 0.5 s (2 a second, students spread evenly over the half second),
pushed as the web process pushes them (hand-built task messages, one LPUSH). Each student
has a reply channel on the Redis pub/sub channel layer; the latency is from the push to the
answer read off that channel, so it holds the broker hop, the task and the reply, not the
web server. The student count steps up until p99 exceeds the budget, a stroke is lost, or
an answer comes to the wrong channel; the largest count that passed is the figure.

    .venv/bin/python bench/bench_batch.py [--seconds 8] [--budget-ms 30] \
        [--configs unbatched,batched:8,batched:32] [--runtime litert|onnxruntime] \
        [--provider cpu|cuda]

Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/14, flushed) and PostgreSQL
(DATABASE_URL, default postgres://postgres@127.0.0.1:5432/inkwell_bench).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_worker import live_drawings
from bench.harness import (
    PY,
    REPO,
    cpu_description,
    cpu_seconds,
    ensure_database,
    machine_speed_loop_ms,
    machine_ticks,
    process,
    summary,
)

STEPS = (25, 50, 100, 150, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500, 2000)


async def drive(layer: Any, push: Any, message: Any, drawings: list, students: int,
                seconds: float, queue: str) -> dict[str, Any]:  # fmt: skip
    """`students` students for `seconds`; latencies and counts."""
    channels = [await layer.new_channel() for _ in range(students)]
    out: dict[str, Any] = {"latencies": [], "sent": 0, "answered": 0, "wrong": 0}
    sent_at: dict[tuple[int, int], float] = {}

    async def reader(k: int) -> None:
        while True:
            frame = await layer.receive(channels[k])
            started = sent_at.pop((k, frame["seq"]), None)
            if started is None:
                out["wrong"] += 1  # not a stroke this channel's student sent
                continue
            out["latencies"].append((time.perf_counter() - started) * 1000)
            out["answered"] += 1

    readers = [asyncio.create_task(reader(k)) for k in range(students)]
    period = 0.5
    begin = time.perf_counter() + 0.2
    rounds = int(seconds / period)
    for r in range(rounds):
        for k in range(students):
            due = begin + r * period + period * k / students
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            seq = r + 1
            strokes = drawings[(k * 7919 + r) % len(drawings)]
            kwargs = {"reply_channel": channels[k], "seq": seq, "strokes": strokes,
                      "charset": None, "queued_at": time.time()}  # fmt: skip
            sent_at[k, seq] = time.perf_counter()
            push(queue, [message(kwargs)])
            out["sent"] += 1
    deadline = time.monotonic() + 3
    while sent_at and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    out["lost"] = len(sent_at)
    for task in readers:
        task.cancel()
    return out


def run_config(name: str, args: argparse.Namespace, env: dict[str, str], drawings: list,
               queue: str) -> dict[str, Any]:  # fmt: skip
    from channels.layers import get_channel_layer

    from hwr_site.fastpath.task_messages import RedisPush, task_message
    from recognition.tasks import recognize_ink

    size = int(name.split(":")[1]) if ":" in name else 1
    worker_env = {
        **env,
        "INFERENCE_BATCH_SIZE": str(size),
        "INFERENCE_BATCH_WAIT_MS": str(args.wait_ms),
        "INFERENCE_RUNTIME": args.runtime,
        "INFERENCE_PROVIDER": args.provider,
    }
    pool = ["--pool", "solo"] if size == 1 else ["--pool", "threads", "--concurrency", str(size)]
    worker_cmd = [PY, "-m", "celery", "-A", "hwr_site", "worker", "-Q", queue, *pool,
                  "--without-gossip", "--without-mingle", "--loglevel", "WARNING"]  # fmt: skip
    pusher = RedisPush(env["REDIS_URL"])

    def message(kwargs: dict) -> bytes:
        return task_message(name=recognize_ink.name, queue_name=queue, kwargs=kwargs,
                            kwargsrepr="{}", origin="bench")  # fmt: skip

    steps: list[dict[str, Any]] = []
    log = Path(args.logs) / f"worker-{name.replace(':', '-')}.log" if args.logs else None
    with process(worker_cmd, worker_env, log=log, stop_timeout=20) as worker:
        time.sleep(4)  # start-up
        layer = get_channel_layer()
        asyncio.run(drive(layer, pusher.push, message, drawings, 5, 2, queue))  # model load
        served = 0
        for students in STEPS:
            if students > args.max_students:
                break
            layer = get_channel_layer()
            cpu = cpu_seconds(worker.pid)
            ticks = machine_ticks()
            started = time.monotonic()
            out = asyncio.run(drive(layer, pusher.push, message, drawings, students,
                                    args.seconds, queue))  # fmt: skip
            wall = time.monotonic() - started
            after = machine_ticks()
            row = {"students": students, **summary(out["latencies"]), "sent": out["sent"],
                   "lost": out["lost"], "wrong_channel": out["wrong"],
                   "worker_cpu_ms_per_stroke": round((cpu_seconds(worker.pid) - cpu) * 1000
                                                     / max(1, out["sent"]), 3),
                   "machine_busy_cores": round((after[0] - ticks[0]) / os.sysconf("SC_CLK_TCK")
                                               / wall, 2)}  # fmt: skip
            steps.append(row)
            print(json.dumps({"config": name, **row}), file=sys.stderr)
            ok = row.get("p99_ms", 1e9) <= args.budget_ms and not out["lost"] and not out["wrong"]
            if not ok:
                break
            served = students
    return {"students_served_at_budget": served, "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--budget-ms", type=float, default=30)
    parser.add_argument("--configs", default="unbatched,batched:8,batched:32")
    parser.add_argument("--wait-ms", type=float, default=2)
    parser.add_argument("--max-students", type=int, default=2000)
    parser.add_argument("--runtime", default="litert", choices=("litert", "onnxruntime"))
    parser.add_argument("--provider", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--logs", default="", help="a folder for the workers' logs")
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
    ensure_database(env["DATABASE_URL"])
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
    import django

    django.setup()
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    drawings = live_drawings(2000)
    results: dict[str, Any] = {"cpu": cpu_description(),
                               "machine_speed_loop_ms": machine_speed_loop_ms(),
                               "runtime": args.runtime, "provider": args.provider,
                               "budget_ms": args.budget_ms, "wait_ms": args.wait_ms}  # fmt: skip
    for name in args.configs.split(","):
        results[name] = run_config(name, args, env, drawings, f"bench-{name.replace(':', '-')}")
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
