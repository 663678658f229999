"""Topology check: nginx in front of two ASGI servers and two inference workers, with one
server and then one worker killed mid-run (deploy/README.md, "Failure drill").

Debian's nginx runs the real deploy/nginx/inkwell.conf, rewritten only to listen on a
loopback high port without TLS, with the upstream `inkwell_web` naming two uvicorn processes
on loopback. Two inference workers (solo pool, as deployed) and one default worker (the
sweep) serve the broker: Redis (default) or RabbitMQ (`--broker rabbitmq`). Students
practise over `/ws/practice/` through nginx: strokes (live predictions) and a submit per
drawing, with a `submission_id`; a student whose socket drops reconnects through nginx and
re-sends the drawing and its submit, as the practice page does.

At `--kill-server-at` one uvicorn is SIGKILLed; at `--kill-worker-at` one inference worker
is SIGKILLed and started again `--restart-after` seconds later (0: never), as systemd
(`Restart=on-failure`, `RestartSec=5`) or Kubernetes would. With Redis its start sweeps the
attempts whose task it took down with it (Redis keeps no copy of a delivered task,
docs/decisions/008; the beat's sweep does the same without a restart); RabbitMQ puts the
unacknowledged task back itself (late acks), which the report shows. Then it
checks: every submit the server acknowledged is stored exactly once, and each is
recognised; predictions kept coming after each kill.

    .venv/bin/python bench/bench_topology.py [--broker redis|rabbitmq] [--students 12]

Needs nginx, PostgreSQL (DATABASE_URL, default .../inkwell_bench_topology), Redis
(REDIS_URL, default redis://127.0.0.1:6379/14) and, for `--broker rabbitmq`, RabbitMQ
(RABBITMQ_URL, default amqp://guest:guest@127.0.0.1:5672//).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from bench.harness import PY, REPO, ensure_database, free_port, process, test_inks, wait_port

CHARACTERS = "0123456789"


def nginx_config(prefix: Path, port: int, upstreams: list[int]) -> Path:
    """deploy/nginx/inkwell.conf on 127.0.0.1:`port` without TLS, in a private prefix."""
    conf = (REPO / "deploy" / "nginx" / "inkwell.conf").read_text()
    conf = conf.replace("listen 80 default_server;", f"listen 127.0.0.1:{free_port()};")
    conf = conf.replace("listen 443 ssl http2 default_server;", f"listen 127.0.0.1:{port};")
    conf = re.sub(r"^\s*listen \[::\].*$", "", conf, flags=re.M)
    conf = re.sub(r"^\s*ssl_.*$", "", conf, flags=re.M)
    upstream = (REPO / "deploy" / "nginx" / "upstream-compose.conf").read_text()
    servers = "".join(
        f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;\n" for p in upstreams
    )
    upstream = re.sub(r"^\s*server web:8000.*\n", servers, upstream, flags=re.M)
    for sub in ("temp", "logs", "conf"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    (prefix / "conf" / "inkwell.conf").write_text(conf)
    (prefix / "conf" / "upstream.conf").write_text(upstream)
    main = prefix / "conf" / "nginx.conf"
    main.write_text(f"""
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
daemon off;
worker_processes 1;
events {{}}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {prefix}/temp/body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
    access_log off;
    include {prefix}/conf/upstream.conf;
    include {prefix}/conf/inkwell.conf;
}}
""")
    return main


def setup(env: dict[str, str], n: int) -> dict[str, Any]:
    """A class with one exercise and `n` students with sessions."""
    code = f"""
import django, json
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from classroom.models import Attempt, Classroom, Exercise, Membership
User = get_user_model()
Attempt.objects.all().delete()
teacher, _ = User.objects.get_or_create(username="topo-teacher", defaults={{"role": "teacher"}})
room, _ = Classroom.objects.get_or_create(name="Topology", teacher=teacher)
exercise, _ = Exercise.objects.get_or_create(classroom=room, title="Digits",
    defaults={{"characters": "{CHARACTERS}", "repetitions": 9}})
cookies = []
for i in range({n}):
    user, _ = User.objects.get_or_create(username=f"topo{{i}}", defaults={{"role": "student"}})
    Membership.objects.get_or_create(classroom=room, student=user)
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    cookies.append("sessionid=" + s.session_key)
print(json.dumps({{"cookies": cookies, "exercise": exercise.pk}}))
"""
    return _run_django(env, code)


def _run_django(env: dict[str, str], code: str) -> Any:
    out = subprocess.run([PY, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def stored(env: dict[str, str]) -> dict[str, Any]:
    """Attempts by submission id: how many rows each, and how many still pending."""
    code = """
import django, json
django.setup()
from django.db.models import Count
from classroom.models import Attempt
rows = Attempt.objects.values("client_submission_id").annotate(n=Count("id"))
pending = Attempt.objects.filter(status="pending").values_list("client_submission_id", flat=True)
print(json.dumps({"counts": {r["client_submission_id"]: r["n"] for r in rows},
                  "pending": list(pending)}))
"""
    return _run_django(env, code)


class Log:
    """What the students saw, with times relative to the start of the run."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.predictions: list[float] = []
        self.acked: dict[str, str] = {}  # submission id -> status in the result frame
        self.sent: set[str] = set()
        self.saved_at: list[float] = []  # when a submit was answered 'saved' (no answer in time)
        self.reconnects = 0
        self.errors: dict[str, int] = {}

    def now(self) -> float:
        return time.monotonic() - self.started


async def student(i: int, url: str, cookie: str, inks: list[Any], until: float,
                  log: Log) -> None:  # fmt: skip
    import websockets

    headers = {"Origin": url.replace("ws://", "http://").split("/ws/")[0], "Cookie": cookie}
    drawing = 0
    await asyncio.sleep(i * 0.37 % 2)  # students start at different moments
    while log.now() < until:
        ink = inks[(i * 31 + drawing) % len(inks)]
        submission_id = f"topo-{i}-{drawing:05d}"
        try:
            async with websockets.connect(url, additional_headers=headers, open_timeout=5) as ws:
                seq = 0
                for stroke in ink:
                    seq += 1
                    await ws.send(json.dumps({"type": "stroke", "seq": seq, "points": stroke}))
                    await asyncio.sleep(0.3)
                seq += 1
                log.sent.add(submission_id)
                await ws.send(json.dumps({"type": "submit", "seq": seq,
                                          "submission_id": submission_id}))  # fmt: skip
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 15))
                    if frame["type"] == "prediction" and frame.get("candidates"):
                        log.predictions.append(log.now())
                    elif frame["type"] == "error":
                        log.errors[frame["code"]] = log.errors.get(frame["code"], 0) + 1
                    elif frame["type"] == "result" and frame["seq"] == seq:
                        log.acked[submission_id] = frame.get("status") or "?"
                        if frame.get("status") == "saved":
                            log.saved_at.append(round(log.now(), 1))
                        break
            drawing += 1  # acknowledged: the next drawing
        except (TimeoutError, OSError, websockets.ConnectionClosed, websockets.InvalidHandshake):
            # The same drawing again, on a new socket: nginx picks a live server.
            log.reconnects += 1
            await asyncio.sleep(0.5)


TASK_LINE = re.compile(r"Task (\S+)\[([0-9a-f-]{36})\] (received|succeeded|failed|retry)")


def held_by_killed_worker(logs: Path) -> dict[str, Any]:
    """The tasks the killed worker had received and not finished, and whether the broker
    gave each to another worker (the same task id in another worker's log)."""

    def tasks(path: Path) -> dict[str, tuple[str, set[str]]]:
        seen: dict[str, tuple[str, set[str]]] = {}
        for name, task_id, what in TASK_LINE.findall(path.read_text(errors="replace")):
            seen.setdefault(task_id, (name, set()))[1].add(what)
        return seen

    killed = tasks(logs / "worker-1.log")
    held = {i: name for i, (name, what) in killed.items() if what == {"received"}}
    others: dict[str, tuple[str, set[str]]] = {}
    for path in logs.glob("worker-*.log"):
        if path.name != "worker-1.log":
            others.update(tasks(path))
    return {
        "held": sorted(held.values()),
        "redelivered_by_broker": sorted(name for i, name in held.items() if i in others),
    }


def gaps(times: list[float], after: float, window: float = 20) -> float:
    """The longest stretch without a prediction in `window` seconds after `after`."""
    inside = sorted(t for t in times if after <= t <= after + window)
    points = [after, *inside, after + window]
    return round(max(b - a for a, b in itertools.pairwise(points)), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--broker", choices=["redis", "rabbitmq"], default="redis")
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=50)
    parser.add_argument("--kill-server-at", type=float, default=12)
    parser.add_argument("--kill-worker-at", type=float, default=28)
    parser.add_argument("--restart-after", type=float, default=5)
    parser.add_argument("--settle-timeout", type=float, default=90)
    args = parser.parse_args()

    database_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inkwell_bench_topology"
    )
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    ensure_database(database_url)
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "DJANGO_SETTINGS_MODULE": "hwr_site.settings", "SECRET_KEY": "bench-only-secret",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_COOKIES": "false",
           "LOG_LEVEL": "WARNING",
           "MEDIA_ROOT": str(Path(tempfile.gettempdir()) / "inkwell-bench-media")}  # fmt: skip
    if args.broker == "rabbitmq":
        env["CELERY_BROKER_URL"] = os.environ.get(
            "RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//"
        )
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    if args.broker == "rabbitmq":
        from kombu import Connection

        with Connection(env["CELERY_BROKER_URL"]) as conn:
            for name in ("inference", "default"):
                channel: Any = conn.channel()
                try:
                    channel.queue_purge(name)
                except Exception as exc:  # noqa: BLE001 - not declared yet: nothing to purge
                    print(f"queue {name}: {exc}", file=sys.stderr)
    data = setup(env, args.students)
    inks = test_inks(200)
    logs = Path(tempfile.mkdtemp(prefix="inkwell-topology-"))
    web_ports = [free_port(), free_port()]
    nginx_port = free_port()
    main_conf = nginx_config(logs / "nginx", nginx_port, web_ports)

    def server_cmd(port: int) -> list[str]:
        return [PY, "-m", "uvicorn", "hwr_site.asgi:application", "--host", "127.0.0.1",
                "--port", str(port), "--no-access-log", "--log-level", "warning",
                "--lifespan", "off", "--ws-max-size", "524288"]  # fmt: skip

    def worker_cmd(name: str, queues: str) -> list[str]:
        return [PY, "-m", "celery", "-A", "hwr_site", "worker", "-Q", queues, "-n", name,
                "--pool", "solo", "--without-gossip", "--without-mingle",
                "--loglevel", "INFO"]  # fmt: skip

    log = Log()
    events: dict[str, float] = {}
    with ExitStack() as stack:
        servers = [stack.enter_context(process(server_cmd(p), env, logs / f"web-{i}.log"))
                   for i, p in enumerate(web_ports)]  # fmt: skip
        workers = [stack.enter_context(process(worker_cmd(f"inference-{i}@topology",
                                                          "inference"),
                                               env, logs / f"worker-{i}.log"))
                   for i in range(2)]  # fmt: skip
        stack.enter_context(process(worker_cmd("default@topology", "default"), env,
                                    logs / "worker-default.log"))  # fmt: skip
        nginx = stack.enter_context(
            process(
                ["nginx", "-p", str(logs / "nginx"), "-c", str(main_conf)], env, logs / "nginx.log"
            )
        )
        for port, proc in zip(web_ports, servers, strict=True):
            wait_port(port, proc)
        wait_port(nginx_port, nginx)
        time.sleep(5)  # workers load the model
        url = f"ws://127.0.0.1:{nginx_port}/ws/practice/{data['exercise']}/"

        async def drill() -> None:
            log.started = time.monotonic()
            tasks = [asyncio.create_task(student(i, url, c, inks, args.seconds, log))
                     for i, c in enumerate(data["cookies"])]  # fmt: skip
            await asyncio.sleep(args.kill_server_at)
            servers[0].send_signal(signal.SIGKILL)
            events["server_killed"] = log.now()
            await asyncio.sleep(args.kill_worker_at - log.now())
            # Mid-task: as soon as its log's last line is a submit's task received.
            worker_log = logs / "worker-1.log"
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                lines = worker_log.read_text(errors="replace").rstrip().rsplit("\n", 1)
                if "classroom.recognize_attempt[" in lines[-1] and "received" in lines[-1]:
                    break
                await asyncio.sleep(0.002)
            workers[1].send_signal(signal.SIGKILL)
            events["worker_killed"] = log.now()
            if args.restart_after > 0:
                await asyncio.sleep(args.restart_after)
                restarted = stack.enter_context(process(
                    worker_cmd("inference-1b@topology", "inference"), env,
                    logs / "worker-1-restarted.log"))  # fmt: skip
                events["worker_restarted"] = log.now()
                del restarted
            await asyncio.gather(*tasks)

        asyncio.run(drill())
        # Every acknowledged submit recognised: how long after the end of the run.
        deadline = time.monotonic() + args.settle_timeout
        while True:
            rows = stored(env)
            if not rows["pending"] or time.monotonic() > deadline:
                break
            time.sleep(2)
        events["settled_after_end_s"] = round(log.now() - args.seconds, 1)
    counts = rows["counts"]
    acked = set(log.acked)
    result = {
        "broker": args.broker,
        "students": args.students,
        "seconds": args.seconds,
        "events_s": {k: round(v, 1) for k, v in events.items()},
        "submits_sent": len(log.sent),
        "submits_acknowledged": len(acked),
        "acknowledged_as": {s: list(log.acked.values()).count(s) for s in set(log.acked.values())},
        "acknowledged_missing": sorted(acked - set(counts)),
        "stored_more_than_once": sorted(s for s, n in counts.items() if n > 1),
        "still_pending": len(rows["pending"]),
        "saved_at_s": log.saved_at,
        "reconnects": log.reconnects,
        "error_frames": log.errors,
        "predictions": len(log.predictions),
        "killed_worker_tasks": held_by_killed_worker(logs),
        "longest_gap_after_server_kill_s": gaps(log.predictions, events["server_killed"]),
        "longest_gap_after_worker_kill_s": gaps(log.predictions, events["worker_killed"]),
        "logs": str(logs),
    }
    result["ok"] = (not result["acknowledged_missing"] and not result["stored_more_than_once"]
                    and not result["still_pending"] and len(acked) > 0)  # fmt: skip
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
