"""Live-path benchmark: simulated students drawing real ink over websockets.

Starts one ASGI server process (uvicorn) and one inference worker (Celery, solo pool) on
PostgreSQL and Redis, logs in N students, and has each send 2 strokes a second from real
UNIPEN test-split ink. Reports stroke-to-prediction latency, errors and lost messages.
Then measures `POST /api/v1/recognize` throughput with wrk, and the same two loads against
a plain Flask service calling Keras `model.predict()` per request (the common approach).

    .venv/bin/python bench/bench_live.py [--students 100] [--seconds 30] [--skip-flask]

Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/inkwell_bench),
Redis (REDIS_URL, default redis://127.0.0.1:6379/14) and `wrk` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    PY,
    REPO,
    cpu_description,
    cpu_seconds,
    ensure_database,
    free_port,
    machine_speed_loop_ms,
    machine_ticks,
    process,
    summary,
    test_inks,
    wait_port,
)

# ------------------------------------------------------------------ websocket students


async def student(url: str, cookie: str, inks: list[Any], seconds: float, offset: float,
                  out: dict[str, Any]) -> None:  # fmt: skip
    import websockets

    await asyncio.sleep(offset)
    sent: dict[int, float] = {}
    headers = {"Cookie": cookie, "Origin": "http://127.0.0.1"}
    async with websockets.connect(url, additional_headers=headers, max_size=2**20) as ws:

        async def reader() -> None:
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "prediction":
                    out["versions"].append((time.monotonic(), frame.get("model_version")))
                    started = sent.pop(frame["seq"], None)
                    if started is not None:
                        out["latencies"].append((time.perf_counter() - started) * 1000)
                        out["answered_at"].append(time.monotonic())
                    # An older stroke's own answer may be skipped (CONTRACTS section 3): the
                    # student waited for this one, which shows the drawing with it.
                    for older in [s for s in sent if s < frame["seq"]]:
                        out["latencies"].append((time.perf_counter() - sent.pop(older)) * 1000)
                        out["answered_at"].append(time.monotonic())
                        out["skipped"] += 1
                elif frame["type"] == "error":
                    out["errors"].append(frame["code"])

        task = asyncio.create_task(reader())
        seq = 0
        end = time.monotonic() + seconds
        ink_index = 0
        # Each student keeps to a clock of their own (0.5 s from their start, not from their
        # last stroke): when this process is late once, the students it held back would
        # otherwise stay together from then on and reach the servers as bursts.
        next_at = time.monotonic()
        while time.monotonic() < end:
            ink = inks[ink_index % len(inks)]
            ink_index += 1
            # One stroke every 0.5 s (2 a second), so every stroke's answer is due before the
            # next one; a new character starts with a clear sent just before its first stroke.
            for number, stroke in enumerate(ink):
                next_at += 0.5
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                if time.monotonic() >= end:
                    break
                if number == 0:
                    seq += 1
                    await ws.send(json.dumps({"type": "clear", "seq": seq}))
                seq += 1
                sent[seq] = time.perf_counter()
                out["sent"] += 1
                # How late the load generator itself is: strokes it sends late leave together
                # and wait behind each other at the worker (the servers did nothing wrong).
                out["late_ms"].append(max(0.0, time.monotonic() - next_at) * 1000)
                await ws.send(json.dumps({"type": "stroke", "seq": seq, "points": stroke}))
        await asyncio.sleep(1.0)  # let the last answers arrive
        out["lost"] += len(sent)
        task.cancel()


async def run_students(url: str, cookies: list[str], inks: list[Any], seconds: float,
                       switch: Any = None) -> dict:  # fmt: skip
    """Students draw for `seconds`; `switch()` (if given) runs half-way, in a thread."""
    # answered_at[i]: when latencies[i] was measured (time.monotonic()), to see when a tail was.
    out: dict[str, Any] = {"latencies": [], "answered_at": [], "errors": [], "sent": 0,
                           "lost": 0, "skipped": 0, "versions": [], "late_ms": []}  # fmt: skip
    n = len(cookies)

    async def switch_half_way() -> None:
        await asyncio.sleep(seconds / 2)
        out["switched_at"] = time.monotonic()
        await asyncio.to_thread(switch)
        out["switch_returned_at"] = time.monotonic()

    extra = [switch_half_way()] if switch else []
    await asyncio.gather(*[
        student(url, cookie, inks[i::n] or inks, seconds, offset=0.5 * i / n, out=out)
        for i, cookie in enumerate(cookies)
    ], *extra)  # fmt: skip
    return out


def late_summary(late_ms: list[float]) -> dict[str, float]:
    """How late the students' strokes left the load generator, against their own clocks."""
    ordered = sorted(late_ms) or [0.0]
    return {
        "p50_ms": round(ordered[len(ordered) // 2], 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "over_10_ms": sum(1 for x in ordered if x > 10),
    }


def switch_report(out: dict[str, Any], new_version: str) -> dict[str, Any]:
    """How long after the activation every prediction carried the new version."""
    start = out["switched_at"]
    after = [(t, v) for t, v in out["versions"] if t >= start]
    first_new = next((t for t, v in after if v == new_version), None)
    last_old = max((t for t, v in after if v != new_version), default=start)
    return {
        "activation_call_ms": round((out["switch_returned_at"] - start) * 1000, 1),
        "first_new_version_after_s": round(first_new - start, 3) if first_new else None,
        "last_old_version_after_s": round(last_old - start, 3),
        "predictions_during_run": len(out["versions"]),
    }


# ------------------------------------------------------------------ HTTP students (Flask)


async def http_students(url: str, n: int, inks: list[Any], seconds: float) -> dict:
    """The same load over HTTP: each stroke posts the drawing so far."""
    import urllib.request

    out: dict[str, Any] = {"latencies": [], "errors": [], "sent": 0, "lost": 0}
    loop = asyncio.get_running_loop()

    def post(body: bytes) -> int:
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            response.read()
            return int(response.status)

    async def one(i: int) -> None:
        await asyncio.sleep(0.5 * i / n)
        end = time.monotonic() + seconds
        k = i
        while time.monotonic() < end:
            ink = inks[k % len(inks)]
            k += n
            for j in range(len(ink)):
                await asyncio.sleep(0.5)
                body = json.dumps({"strokes": ink[: j + 1]}).encode()
                started = time.perf_counter()
                out["sent"] += 1
                try:
                    status = await loop.run_in_executor(None, post, body)
                    if status != 200:
                        out["errors"].append(str(status))
                    out["latencies"].append((time.perf_counter() - started) * 1000)
                except Exception as exc:  # noqa: BLE001 - counted as an error
                    out["errors"].append(type(exc).__name__)

    from concurrent.futures import ThreadPoolExecutor

    loop.set_default_executor(ThreadPoolExecutor(max_workers=n))
    await asyncio.gather(*[one(i) for i in range(n)])
    return out


# ------------------------------------------------------------------ wrk


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [==[%s]==]
wrk.headers["Content-Type"] = "application/json"
%s
"""


def wrk(url: str, body: str, header: str, seconds: int, connections: int = 32) -> dict[str, Any]:
    if not shutil.which("wrk"):
        return {"error": "wrk not installed (apt-get install wrk)"}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (body, header))
    result = subprocess.run(
        ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency",
         "-s", script.name, url],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    text = result.stdout
    rps = next((float(line.split()[1]) for line in text.splitlines()
                if line.startswith("Requests/sec")), 0.0)  # fmt: skip
    non2xx = next((int(line.split()[-1]) for line in text.splitlines()
                   if "Non-2xx" in line), 0)  # fmt: skip
    errors = next((line.strip() for line in text.splitlines() if "Socket errors" in line), "")
    latency = {line.split()[0]: line.split()[1] for line in text.splitlines()
               if line.strip().startswith(("50%", "99%"))}  # fmt: skip
    return {"requests_per_s": rps, "non_2xx": non2xx, "socket_errors": errors, "latency": latency}


# ------------------------------------------------------------------ main


def setup_users(env: dict[str, str], n: int) -> tuple[list[str], str]:
    """Students with sessions (cookies) and one API token."""
    code = f"""
import django, json
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
User = get_user_model()
cookies = []
for i in range({n}):
    user, _ = User.objects.get_or_create(username=f"bench{{i}}", defaults={{"role": "student"}})
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    cookies.append("sessionid=" + s.session_key)
token, _ = Token.objects.get_or_create(user=User.objects.get(username="bench0"))
print(json.dumps({{"cookies": cookies, "token": token.key}}))
"""
    out = subprocess.run([PY, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                         check=True)  # fmt: skip
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["cookies"], data["token"]


def register_second_version(env: dict[str, str]) -> str:
    """A copy of the shipped model registered as a ready version, to switch to under load."""
    code = """
import django, json, shutil
django.setup()
from pathlib import Path
from django.conf import settings
from recognition import services
from recognition.models import ModelVersion
from recognition.engine.export import read_model_card, write_model_card
services.model_register_shipped()
ModelVersion.objects.filter(name="bench").delete()
target = Path(settings.MEDIA_ROOT) / "models" / "bench"
shutil.rmtree(target, ignore_errors=True)
shutil.copytree(settings.SHIPPED_MODEL_DIR, target)
card = read_model_card(target)
card["version"] = "bench"
write_model_card(target, card)
ModelVersion.objects.filter(status="active").exclude(name="1").update(status="retired")
ModelVersion.objects.filter(name="1").update(status="active")
ModelVersion.objects.create(name="bench", status="ready", artifact_dir="models/bench")
"""
    subprocess.run([PY, "-c", code], cwd=REPO, env=env, check=True)
    return "bench"


def activate(env: dict[str, str], name: str) -> None:
    code = f"""
import django
django.setup()
from recognition import services
from recognition.models import ModelVersion
services.model_activate(version=ModelVersion.objects.get(name="{name}"),
                        confirm_worse=True)
"""
    subprocess.run([PY, "-c", code], cwd=REPO, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--api-seconds", type=int, default=15)
    parser.add_argument("--api-connections", type=int, default=32)
    parser.add_argument("--skip-flask", action="store_true")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument(
        "--switch",
        action="store_true",
        help="also activate another model version half-way through a run",
    )
    args = parser.parse_args()

    database_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inkwell_bench"
    )
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    ensure_database(database_url)
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "DJANGO_SETTINGS_MODULE": "hwr_site.settings", "SECRET_KEY": "bench-only-secret",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_COOKIES": "false",
           "LOG_LEVEL": "WARNING", "RATE_LIMITS_ENABLED": "false",  # one token, one address
           "MEDIA_ROOT": str(Path(tempfile.gettempdir()) / "inkwell-bench-media")}  # fmt: skip
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    cookies, token = setup_users(env, args.students)
    new_version = register_second_version(env) if args.switch else ""
    inks = test_inks(400)
    logs = Path(tempfile.mkdtemp(prefix="inkwell-bench-"))
    port = free_port()
    results: dict[str, Any] = {"students": args.students, "seconds": args.seconds,
                               "cpu": cpu_description(),
                               "machine_speed_loop_ms": machine_speed_loop_ms()}  # fmt: skip

    worker_cmd = [PY, "-m", "celery", "-A", "hwr_site", "worker", "-Q", "inference,default",
                  "--pool", "solo", "--without-gossip", "--without-mingle",
                  "--loglevel", "WARNING"]  # fmt: skip
    server_cmd = [PY, "-m", "uvicorn", "hwr_site.asgi:application", "--host", "127.0.0.1",
                  "--port", str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    with process(worker_cmd, env, logs / "worker.log") as worker, \
         process(server_cmd, env, logs / "server.log") as server:  # fmt: skip
        wait_port(port, server)
        time.sleep(3)  # worker start-up
        # Warm-up: load the model in the worker and the server.
        asyncio.run(run_students(f"ws://127.0.0.1:{port}/ws/recognize/", cookies[:2], inks, 3))
        pids = {"server": server.pid, "worker": worker.pid, "load_generator": os.getpid()}
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        ticks_before = machine_ticks()
        started = time.monotonic()
        live = asyncio.run(
            run_students(f"ws://127.0.0.1:{port}/ws/recognize/", cookies, inks, args.seconds)
        )
        wall = time.monotonic() - started
        cpu_used = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        # CPU per stroke varies less than latency on a VM whose speed varies.
        results["cpu_ms_per_stroke"] = {
            name: round(cpu_used[name] * 1000 / max(1, live["sent"]), 2)
            for name in ("server", "worker")
        }
        results["cpu_share_during_live_run"] = {
            **{name: round(used / wall, 2) for name, used in cpu_used.items()},
            "machine_load_before": os.getloadavg()[0],
            # Cores' worth of the whole machine busy, and stolen by the hypervisor.
            **{name: round((after - before) / os.sysconf("SC_CLK_TCK") / wall, 2)
               for name, before, after in zip(("machine_busy", "machine_stolen"),
                                              ticks_before, machine_ticks(), strict=True)},
        }  # fmt: skip
        if args.switch:
            activate(env, "1")
            time.sleep(2)
            switched = asyncio.run(
                run_students(f"ws://127.0.0.1:{port}/ws/recognize/", cookies, inks,
                             args.seconds, switch=lambda: activate(env, new_version))
            )  # fmt: skip
            results["switch_under_load"] = {
                **switch_report(switched, new_version), **summary(switched["latencies"]),
                "sent": switched["sent"], "lost": switched["lost"],
                "errors": len(switched["errors"]),
                "error_codes": sorted(set(switched["errors"])),
            }  # fmt: skip
            activate(env, "1")
        results["inkwell_ws"] = {
            **summary(live["latencies"]), "sent": live["sent"], "lost": live["lost"],
            "skipped_as_stale": live["skipped"], "errors": len(live["errors"]),
            "error_codes": sorted(set(live["errors"])),
            "load_generator_late": late_summary(live["late_ms"]),
        }  # fmt: skip
        body = json.dumps({"strokes": inks[0]})
        if not args.skip_api:
            server_cpu = cpu_seconds(server.pid)
            api = wrk(f"http://127.0.0.1:{port}/api/v1/recognize", body,
                      f'wrk.headers["Authorization"] = "Token {token}"', args.api_seconds,
                      args.api_connections)  # fmt: skip
            # CPU per request is steadier than requests/s on a VM whose speed varies.
            served = api.get("requests_per_s", 0) * args.api_seconds
            if served:
                api["server_cpu_ms_per_request"] = round(
                    (cpu_seconds(server.pid) - server_cpu) * 1000 / served, 2
                )
            results["inkwell_api"] = api
        else:
            results["inkwell_api"] = {}

    if not args.skip_flask:
        flask_port = free_port()
        flask_cmd = [PY, str(REPO / "bench" / "flask_baseline.py"), "--port", str(flask_port)]
        with process(flask_cmd, env, logs / "flask.log") as flask:
            wait_port(flask_port, flask, timeout=120)
            url = f"http://127.0.0.1:{flask_port}/recognize"
            asyncio.run(http_students(url, 2, inks, 3))  # warm-up
            base = asyncio.run(http_students(url, args.students, inks, args.seconds))
            results["flask_http"] = {**summary(base["latencies"]), "sent": base["sent"],
                                     "errors": len(base["errors"])}  # fmt: skip
            results["flask_api"] = wrk(url, json.dumps({"strokes": inks[0]}), "", args.api_seconds)
        ours, theirs = results["inkwell_ws"], results["flask_http"]
        if ours.get("p50_ms") and theirs.get("p50_ms"):
            results["ratio_p50_flask_over_inkwell"] = round(theirs["p50_ms"] / ours["p50_ms"], 1)
            results["ratio_p99_flask_over_inkwell"] = round(theirs["p99_ms"] / ours["p99_ms"], 1)
        rps_ours = results["inkwell_api"].get("requests_per_s") or 0
        rps_theirs = results["flask_api"].get("requests_per_s") or 0
        if rps_theirs:
            results["ratio_rps_inkwell_over_flask"] = round(rps_ours / rps_theirs, 1)
    results["logs"] = str(logs)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    import uvloop  # the load generator's own overhead counts in every latency it measures

    uvloop.install()
    main()
