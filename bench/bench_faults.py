"""Fault benchmark: students practise and submit while a part of the platform dies.

Starts its own PostgreSQL and Redis (on free ports, in a temporary folder: the shared ones
are never touched), one ASGI server (uvicorn), one inference worker and Celery beat, and
has N students practise over `/ws/practice/<id>/` with real UNIPEN ink: a stroke every
`--stroke-s` seconds, then a submit with a `submission_id`. A submit is acknowledged by a
`result` frame, or by the "saved, checked later" error frame that carries the attempt's
id; any other answer (or none, or a dropped socket) and the student submits the same
drawing again, as the practice page does. Three faults, one after the other:

- `worker`: the inference worker is killed with SIGKILL and started again;
- `redis`: the broker and channel-layer Redis is stopped and started again, empty;
- `postgres`: PostgreSQL is stopped (fast mode) and started again.

Per fault it reports acknowledged submits, attempts stored, recognised once everything is
back (must be all), duplicates (must be 0), the error frames the students saw, and the
time from the part's restart until every acknowledged attempt was recognised.

    .venv/bin/python bench/bench_faults.py [--students 10] [--seconds 40] [--down-s 3]

Needs initdb/pg_ctl (run as the `postgres` user when this runs as root) and redis-server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench_live import PY, REPO, free_port, test_inks, wait_port

from bench.harness import Postgres


class Redis:
    """A throw-away redis-server that keeps nothing across a restart (the worst case)."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.log = root / "redis.log"
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--logfile", str(self.log)],
        )  # fmt: skip
        wait_port(self.port, self.proc)

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(10)


class Process:
    """A server, worker or beat process that can be killed and started again."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        out = self.log.open("a")
        self.proc = subprocess.Popen(self.args, cwd=REPO, env=self.env, stdout=out,
                                     stderr=subprocess.STDOUT)  # fmt: skip

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


SETUP = """
import django, json
django.setup()
from django.contrib.sessions.backends.db import SessionStore
from classroom.models import Classroom, Exercise, Membership, User
teacher = User.objects.create(username="faults-teacher", role="teacher")
room = Classroom.objects.create(name="Faults", teacher=teacher)
exercise = Exercise.objects.create(classroom=room, title="Letters", characters="abcde",
                                   repetitions=20)
cookies = []
for i in range({n}):
    user = User.objects.create(username=f"faults{{i}}", role="student")
    Membership.objects.create(classroom=room, student=user)
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    cookies.append("sessionid=" + s.session_key)
print(json.dumps({{"cookies": cookies, "exercise": exercise.pk}}))
"""

COUNT = """
import django, json, sys
django.setup()
from django.db.models import Count
from classroom.models import Attempt
ids = json.loads(sys.stdin.read())
rows = Attempt.objects.filter(client_submission_id__in=ids)
print(json.dumps({
    "stored": rows.values("client_submission_id").distinct().count(),
    "rows": rows.count(),
    "recognized": rows.filter(status="recognized").count(),
    "duplicates": sum(r["n"] - 1 for r in rows.values("student", "client_submission_id")
                      .annotate(n=Count("id")).filter(n__gt=1)),
}))
"""


async def practise(url: str, cookie: str, inks: list[Any], stop_at: float, stroke_s: float,
                   out: dict[str, Any]) -> None:  # fmt: skip
    """One student: draw, submit, and submit again until acknowledged; reconnect on a drop."""
    import websockets

    headers = {"Cookie": cookie, "Origin": "http://127.0.0.1"}
    ink_index = 0
    unacknowledged: tuple[str, Any] | None = None  # (submission_id, ink) to submit again
    while time.monotonic() < stop_at or unacknowledged is not None:
        if time.monotonic() > stop_at + 60:
            out["given_up"] += 1  # never acknowledged within a minute after the run
            return
        try:
            async with websockets.connect(url, additional_headers=headers, open_timeout=5,
                                          max_size=2**20) as ws:  # fmt: skip
                seq = 0
                while time.monotonic() < stop_at or unacknowledged is not None:
                    if unacknowledged is None:
                        ink = inks[ink_index % len(inks)]
                        ink_index += 1
                        unacknowledged = (uuid.uuid4().hex, ink)
                    submission_id, ink = unacknowledged
                    seq += 1
                    await ws.send(json.dumps({"type": "clear", "seq": seq}))
                    for stroke in ink:
                        await asyncio.sleep(stroke_s)
                        seq += 1
                        await ws.send(json.dumps({"type": "stroke", "seq": seq,
                                                  "points": stroke}))  # fmt: skip
                    seq += 1
                    submit_seq = seq
                    await ws.send(json.dumps({"type": "submit", "seq": seq,
                                              "submission_id": submission_id}))  # fmt: skip
                    out["submits_sent"] += 1
                    deadline = time.monotonic() + 10
                    while time.monotonic() < deadline:
                        try:
                            raw = await asyncio.wait_for(ws.recv(), deadline - time.monotonic())
                        except TimeoutError:
                            break
                        frame = json.loads(raw)
                        if frame["type"] == "error":
                            out["errors"][frame["code"]] += 1
                        if frame.get("seq") != submit_seq or frame["type"] == "prediction":
                            continue
                        if frame["type"] == "result" or frame.get("attempt_id"):
                            out["acknowledged"][submission_id] = time.monotonic()
                            unacknowledged = None
                        break  # not_saved or any other error: submit it again
                    if unacknowledged is not None:
                        await asyncio.sleep(0.5)
        except (OSError, TimeoutError, websockets.WebSocketException) as exc:
            out["drops"][type(exc).__name__] += 1
            await asyncio.sleep(0.5)


def recognized(database_url: str, submission_ids: list[str]) -> int:
    import psycopg

    try:
        with psycopg.connect(database_url, connect_timeout=2) as conn:
            row = conn.execute(
                "SELECT count(*) FROM classroom_attempt WHERE status = 'recognized'"
                " AND client_submission_id = ANY(%s)",
                (submission_ids,),
            ).fetchone()
    except psycopg.OperationalError as exc:
        raise OSError(str(exc)) from exc
    return int(row[0]) if row else 0


async def run_load(url: str, cookies: list[str], inks: list[Any], seconds: float,
                   stroke_s: float, fault: Any, database_url: str) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {"acknowledged": {}, "errors": Counter(),
                           "drops": Counter(), "submits_sent": 0, "given_up": 0}  # fmt: skip
    stop_at = time.monotonic() + seconds
    n = len(cookies)

    async def inject() -> None:
        await asyncio.sleep(seconds / 3)
        out["fault_times"] = times = await asyncio.to_thread(fault)
        # Recovered: every submit acknowledged up to the restart is recognised.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            before = [sid for sid, at in out["acknowledged"].items() if at <= times["up_at"]]
            try:
                done = await asyncio.to_thread(recognized, database_url, before)
            except OSError:
                done = -1
            if done == len(before):
                out["recovered_at"] = time.monotonic()
                return
            await asyncio.sleep(0.5)

    await asyncio.gather(*[
        practise(url, cookie, inks[i::n], stop_at, stroke_s, out)
        for i, cookie in enumerate(cookies)
    ], inject())  # fmt: skip
    return out


def count(env: dict[str, str], submission_ids: list[str]) -> dict[str, int]:
    done = subprocess.run([PY, "-c", COUNT], cwd=REPO, env=env, input=json.dumps(submission_ids),
                          capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=40, help="load per fault")
    parser.add_argument("--down-s", type=float, default=3, help="how long a part stays down")
    parser.add_argument("--stroke-s", type=float, default=0.25)
    parser.add_argument("--faults", default="worker,redis,postgres")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="inkwell-faults-"))
    logs = root / "logs"
    logs.mkdir()
    postgres, redis_server = Postgres(root), Redis(root)
    env = {**os.environ, "DATABASE_URL": postgres.url, "REDIS_URL": redis_server.url,
           "DJANGO_SETTINGS_MODULE": "hwr_site.settings", "SECRET_KEY": "bench-only-secret",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_COOKIES": "false",
           "LOG_LEVEL": "WARNING", "SUBMITS_PER_MINUTE": "100000",
           "MEDIA_ROOT": str(root / "media")}  # fmt: skip
    port = free_port()
    server = Process([PY, "-m", "uvicorn", "hwr_site.asgi:application", "--host", "127.0.0.1",
                      "--port", str(port), "--no-access-log", "--lifespan", "off"],
                     env, logs / "server.log")  # fmt: skip
    worker = Process([PY, "-m", "celery", "-A", "hwr_site", "worker", "-Q", "inference,default",
                      "--pool", "solo", "--without-gossip", "--without-mingle",
                      "--loglevel", "INFO"], env, logs / "worker.log")  # fmt: skip
    beat = Process([PY, "-m", "celery", "-A", "hwr_site", "beat", "--loglevel", "INFO",
                    "--schedule", str(root / "beat-schedule")], env, logs / "beat.log")  # fmt: skip
    results: dict[str, Any] = {"students": args.students, "seconds_per_fault": args.seconds,
                               "down_s": args.down_s, "logs": str(logs), "faults": {}}  # fmt: skip
    with ExitStack() as stack:
        postgres.start()
        stack.callback(postgres.stop)
        redis_server.start()
        stack.callback(redis_server.stop)
        postgres.create_database()
        subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env,
                       check=True)  # fmt: skip
        made = subprocess.run([PY, "-c", SETUP.format(n=args.students)], cwd=REPO, env=env,
                              capture_output=True, text=True)  # fmt: skip
        if made.returncode:
            raise SystemExit(made.stderr)
        setup = json.loads(made.stdout.strip().splitlines()[-1])
        for part in (server, worker, beat):
            part.start()
            stack.callback(part.stop)
        assert server.proc is not None
        wait_port(port, server.proc)
        time.sleep(5)  # the worker loads its model
        url = f"ws://127.0.0.1:{port}/ws/practice/{setup['exercise']}/"
        inks = test_inks(200)

        def restart(stop: Any, start: Any) -> dict[str, float]:
            down = time.monotonic()
            stop()
            time.sleep(args.down_s)
            start()
            return {"down_at": down, "up_at": time.monotonic()}

        faults = {
            "worker": lambda: restart(worker.kill, worker.start),
            "redis": lambda: restart(redis_server.stop, redis_server.start),
            "postgres": lambda: restart(postgres.stop, postgres.start),
        }
        for name in args.faults.split(","):
            out = asyncio.run(run_load(url, setup["cookies"], inks, args.seconds, args.stroke_s,
                                       faults[name], postgres.url))  # fmt: skip
            ids = list(out["acknowledged"])
            up_at = out["fault_times"]["up_at"]
            deadline = time.monotonic() + 180
            while True:  # until every acknowledged attempt is recognised (or 3 minutes)
                counts = count(env, ids)
                if counts["recognized"] >= len(ids) or time.monotonic() > deadline:
                    break
                time.sleep(1)
            after = [t for t in out["acknowledged"].values() if t > up_at]
            recovered_at = out.get("recovered_at")
            results["faults"][name] = {
                "acknowledged": len(ids),
                **counts,
                "lost": len(ids) - counts["recognized"],
                "submits_sent": out["submits_sent"],
                "never_acknowledged": out["given_up"],
                "error_frames": dict(out["errors"]),
                "socket_drops": dict(out["drops"]),
                "down_s": round(up_at - out["fault_times"]["down_at"], 1),
                "first_ack_after_restart_s": round(min(after) - up_at, 1) if after else None,
                # Until everything acknowledged by the restart was recognised.
                "recovered_after_restart_s": (
                    round(recovered_at - up_at, 1) if recovered_at else None
                ),
            }
            print(json.dumps({name: results["faults"][name]}), file=sys.stderr)
            time.sleep(3)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
