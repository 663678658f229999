"""Loop-lag benchmark: how long an event loop waits to run again while other threads of its
process run Python, at the interpreter's default switch interval (5 ms) and at the one an
ASGI process sets (`ASGI_SWITCH_INTERVAL_MS`, hwr_site/startup.py).

An ASGI server runs its websockets on the loop thread and Django's requests (a2wsgi's
threads) and the chat's database calls (the loop's thread pool) on others. Here `--threads`
threads each run Python for `--duty` of every 10 ms and sleep the rest (a request's Python
work between its database waits); the loop sleeps 2 ms again and again and records how much
later than asked it woke. Also reported: the work the threads got done, so that what a
shorter interval costs them shows.

    .venv/bin/python bench/bench_loop_lag.py [--threads 1 2 4] [--duty 0.3 1.0] [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import cpu_description, summary


def python_work(stop: threading.Event, duty: float, done: list[int]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        while time.perf_counter() - started < duty * 0.01:
            sum(i * i for i in range(200))
            done[0] += 1
        if duty < 1:
            time.sleep((1 - duty) * 0.01)


async def loop_lag(seconds: float) -> list[float]:
    lags = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        asked = time.perf_counter()
        await asyncio.sleep(0.002)
        lags.append((time.perf_counter() - asked - 0.002) * 1000)
    return lags


def one(threads: int, duty: float, interval_s: float, seconds: float) -> dict[str, object]:
    sys.setswitchinterval(interval_s)
    stop = threading.Event()
    done = [[0] for _ in range(threads)]
    workers = [threading.Thread(target=python_work, args=(stop, duty, d)) for d in done]
    for worker in workers:
        worker.start()
    lags = asyncio.run(loop_lag(seconds))
    stop.set()
    for worker in workers:
        worker.join()
    lag = summary(lags)
    return {"threads": threads, "duty": duty, "switch_interval_ms": interval_s * 1000,
            "loop_lag_p50_ms": lag["p50_ms"], "loop_lag_p99_ms": lag["p99_ms"],
            "loop_lag_max_ms": lag["max_ms"],
            "thread_work_per_s": round(sum(d[0] for d in done) / seconds)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--duty", type=float, nargs="+", default=[0.3, 1.0])
    parser.add_argument("--intervals-ms", type=float, nargs="+", default=[5.0, 1.0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rows = []
    for threads in args.threads:
        for duty in args.duty:
            for interval in args.intervals_ms:  # back to back, so the machine is the same
                rows.append(one(threads, duty, interval / 1000, args.seconds))
                print(json.dumps(rows[-1]), flush=True)
    print(json.dumps({"cpu": cpu_description(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
