"""Login-flood benchmark: wrong passwords from many clients while a student practises.

Starts one ASGI server (uvicorn) and one inference worker on PostgreSQL and Redis. For
`--idle-s` seconds, then for `--seconds` more while `--clients` threads post wrong
passwords for one account to `/accounts/login/` as fast as they are answered, it measures:
`GET /healthz` every 50 ms, a logged-in student's practice (a stroke over
`/ws/practice/<id>/` every 0.25 s, stroke to prediction) and that student's `GET
/progress/` page every 0.5 s. Runs three set-ups: the stock request path
(`HEALTHZ_ON_LOOP=false PASSWORD_SLOTS=0`, no lockout), the bulkhead but no lockout, and the
defaults (the lockout too). The flooding clients run in a process of their own, so that
their threads do not slow the measuring client down; `--repeats` alternates idle and flood
phases that many times on the same server and reports each figure's median over them.

    .venv/bin/python bench/bench_login_flood.py [--clients 32] [--seconds 20] [--idle-s 8]
        [--repeats 1] [--only stock|bulkhead|defaults]

Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/inkwell_bench)
and Redis (REDIS_URL, default redis://127.0.0.1:6379/14).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench_live import PY, REPO, ensure_database, free_port, process, summary, test_inks, wait_port

SETUP = """
import django, json
django.setup()
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from classroom.models import Classroom, Exercise, Membership, User
from axes.models import AccessAttempt, AccessFailureLog
AccessAttempt.objects.all().delete()  # each set-up starts with nobody locked out
AccessFailureLog.objects.all().delete()
Classroom.objects.filter(teacher__username="flood-teacher").delete()
User.objects.filter(username__startswith="flood-").delete()
teacher = User.objects.create(username="flood-teacher", role="teacher",
                              password=make_password("the-right-password-1"))
room = Classroom.objects.create(name="Flood", teacher=teacher)
exercise = Exercise.objects.create(classroom=room, title="Letters", characters="abc")
student = User.objects.create(username="flood-student", role="student")
Membership.objects.create(classroom=room, student=student)
s = SessionStore()
s["_auth_user_id"] = str(student.pk)
s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
s["_auth_user_hash"] = student.get_session_auth_hash()
s.create()
print(json.dumps({"cookie": "sessionid=" + s.session_key, "exercise": exercise.pk}))
"""


def flood(url: str, stop: Any, codes: Any) -> None:
    import requests

    with requests.Session() as session:
        # An address already locked out is refused the login page too: the token then
        # comes from another form's page, as an attacker would get one.
        for page_path in ("/accounts/login/", "/accounts/password_reset/"):
            page = session.get(f"{url}{page_path}", timeout=60)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            if token:
                break
        assert token, "no CSRF token on the login or password reset page"
        form = {"username": "flood-teacher", "password": "wrong-password",
                "csrfmiddlewaretoken": token.group(1)}  # fmt: skip
        while not stop.is_set():
            try:
                answer = session.post(f"{url}/accounts/login/", data=form, timeout=60,
                                      headers={"Referer": f"{url}/accounts/login/"})  # fmt: skip
                with codes.get_lock():
                    codes[CODES.index(answer.status_code)] += 1
            except (requests.RequestException, ValueError):  # ValueError: not in CODES
                with codes.get_lock():
                    codes[0] += 1


CODES = [0, 200, 302, 403, 429, 503]  # 0: no answer, or another status


def flood_process(url: str, clients: int, stop: Any, codes: Any) -> None:
    """`clients` threads flooding, in a process apart from the measuring client."""
    threads = [threading.Thread(target=flood, args=(url, stop, codes)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def timed_gets(url: str, stop: threading.Event, every_s: float, out: list[float],
               cookie: str = "") -> None:  # fmt: skip
    import requests

    with requests.Session() as session:
        while not stop.is_set():
            started = time.perf_counter()
            with contextlib.suppress(requests.RequestException):  # counted as it gave up
                session.get(url, timeout=60, headers={"Cookie": cookie} if cookie else {})
            out.append((time.perf_counter() - started) * 1000)
            time.sleep(every_s)


async def practise(url: str, cookie: str, inks: list[Any], seconds: float,
                   frames: Counter[str] | None = None) -> list[float]:  # fmt: skip
    import websockets

    frames = Counter() if frames is None else frames
    latencies: list[float] = []
    sent: dict[int, float] = {}
    headers = {"Cookie": cookie, "Origin": "http://127.0.0.1"}
    async with websockets.connect(url, additional_headers=headers) as ws:

        async def reader() -> None:
            async for raw in ws:
                frame = json.loads(raw)
                frames[frame.get("code") or frame["type"]] += 1
                if frame["type"] == "prediction" and frame["seq"] in sent:
                    latencies.append((time.perf_counter() - sent.pop(frame["seq"])) * 1000)

        task = asyncio.create_task(reader())
        seq, end, index = 0, time.monotonic() + seconds, 0
        while time.monotonic() < end:
            ink = inks[index % len(inks)]
            index += 1
            for number, stroke in enumerate(ink):
                await asyncio.sleep(0.25)  # the last stroke's answer is in before a clear
                if number == 0:
                    seq += 1
                    await ws.send(json.dumps({"type": "clear", "seq": seq}))
                seq += 1
                sent[seq] = time.perf_counter()
                await ws.send(json.dumps({"type": "stroke", "seq": seq, "points": stroke}))
        await asyncio.sleep(1)
        task.cancel()
    return latencies


def phase(base: str, setup: dict[str, Any], inks: list[Any], seconds: float,
          clients: int) -> dict[str, Any]:  # fmt: skip
    import multiprocessing

    stop = threading.Event()
    health: list[float] = []
    pages: list[float] = []
    threads = [
        threading.Thread(target=timed_gets, args=(f"{base}/healthz", stop, 0.05, health)),
        threading.Thread(target=timed_gets, args=(f"{base}/progress/", stop, 0.5, pages,
                                                  setup["cookie"])),
    ]  # fmt: skip
    spawn = multiprocessing.get_context("spawn")
    flood_stop = spawn.Event()
    codes = spawn.Array("i", len(CODES))
    flooder = spawn.Process(target=flood_process, args=(base, clients, flood_stop, codes))
    if clients:
        flooder.start()
    for thread in threads:
        thread.start()
    ws_url = base.replace("http://", "ws://") + f"/ws/practice/{setup['exercise']}/"
    frames: Counter[str] = Counter()
    strokes = asyncio.run(practise(ws_url, setup["cookie"], inks, seconds, frames))
    stop.set()
    flood_stop.set()
    for thread in threads:
        thread.join()
    if clients:
        flooder.join()
    answered = {str(code): n for code, n in zip(CODES, codes[:], strict=True) if n}
    return {"healthz": summary(health), "practice_stroke": summary(strokes),
            "progress_page": summary(pages), "practice_frames": dict(frames),
            "login_posts": {"per_s": round(sum(answered.values()) / seconds, 1),
                            "status_codes": answered}}  # fmt: skip


def run(env: dict[str, str], setup: dict[str, Any], args: Any, logs: Path,
        name: str) -> dict[str, Any]:  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    inks = test_inks(100)
    server_cmd = [PY, "-m", "uvicorn", "hwr_site.asgi:application", "--host", "127.0.0.1",
                  "--port", str(port), "--no-access-log", "--log-level", "warning",
                  "--lifespan", "off"]  # fmt: skip
    worker_cmd = [PY, "-m", "celery", "-A", "hwr_site", "worker", "-Q", "inference,default",
                  "--pool", "solo", "--without-gossip", "--without-mingle",
                  "--loglevel", "WARNING"]  # fmt: skip
    with process(worker_cmd, env, logs / f"worker-{name}.log"), \
         process(server_cmd, env, logs / f"server-{name}.log") as server:  # fmt: skip
        wait_port(port, server)
        time.sleep(4)
        asyncio.run(practise(base.replace("http://", "ws://") + f"/ws/practice/"
                             f"{setup['exercise']}/", setup["cookie"], inks, 2))  # fmt: skip
        phases: dict[str, list[dict[str, Any]]] = {"idle": [], "flood": []}
        for _ in range(args.repeats):
            phases["idle"].append(phase(base, setup, inks, args.idle_s, 0))
            phases["flood"].append(phase(base, setup, inks, args.seconds, args.clients))
        return {name: median_of(runs) for name, runs in phases.items()}


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each latency figure's median over the runs (the runs themselves under "runs")."""
    if len(runs) == 1:
        return runs[0]
    out: dict[str, Any] = {}
    for what in ("healthz", "practice_stroke", "progress_page"):
        keys = [k for k in runs[0][what] if k != "n"]
        out[what] = {k: statistics.median(r[what].get(k, 0) for r in runs) for k in keys}
        out[what]["n"] = sum(r[what].get("n", 0) for r in runs)
    out["login_posts"] = {"per_s": statistics.median(r["login_posts"]["per_s"] for r in runs)}
    out["runs"] = runs
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--idle-s", type=float, default=8)
    parser.add_argument("--only", choices=["stock", "bulkhead", "defaults"])
    parser.add_argument("--repeats", type=int, default=1, help="idle and flood phases, each")
    args = parser.parse_args()
    database_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inkwell_bench"
    )
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    ensure_database(database_url)
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "DJANGO_SETTINGS_MODULE": "hwr_site.settings", "SECRET_KEY": "bench-only-secret",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_COOKIES": "false",
           "LOG_LEVEL": "ERROR",
           "MEDIA_ROOT": str(Path(tempfile.gettempdir()) / "inkwell-bench-media")}  # fmt: skip
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
    made = subprocess.run([PY, "-c", SETUP], cwd=REPO, env=env, capture_output=True, text=True,
                          check=True)  # fmt: skip
    setup = json.loads(made.stdout.strip().splitlines()[-1])
    logs = Path(tempfile.mkdtemp(prefix="inkwell-bench-flood-"))
    results: dict[str, Any] = {"clients": args.clients, "seconds": args.seconds, "logs": str(logs)}
    # stock: every request through Django's threads, no lockout; bulkhead: /healthz on the
    # loop and one password slot, still no lockout (every wrong password is hashed);
    # defaults: and the lockout (the flooding address is refused after 10 failures).
    off = {"LOGIN_LOCKOUT": "false"}
    variants = {"stock": {"HEALTHZ_ON_LOOP": "false", "PASSWORD_SLOTS": "0", **off},
                "bulkhead": off, "defaults": {}}  # fmt: skip
    for name, extra in variants.items():
        if args.only and args.only != name:
            continue
        results[name] = run({**env, **extra}, setup, args, logs, name)
        print(json.dumps({name: results[name]}), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
