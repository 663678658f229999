"""Chat benchmark: a class of 30 in one room across two ASGI processes, with the live
practice load of `bench_live.py` at the same time and feedback relayed to a fake Discord.

Starts two uvicorn servers, an inference worker (as bench_live), a worker on the `discord`
queue and a fake Discord (`bench/fake_discord.py`, which answers 429 to one request in
ten), all on PostgreSQL and Redis. The class joins the room first (each student with a
reading and a sending socket; the time it takes is `room.join_s`). Then, for `--seconds`:

- the 30 students sit in the room (half on each server); one of them posts a message every
  0.2 s (5 a second in the room): fan-out latency is from the send to each of the 30
  sockets receiving it; lost and duplicated messages are counted per socket;
- the live practice load of bench_live at the same time: `--live-students` (100, as
  bench_live; the class's 30 among them) draw on `/ws/recognize/`, 2 strokes a second each,
  half on each server;
- the teacher comments on an attempt 5 times a second (`POST /api/v1/attempts/<id>/comments`,
  relayed to Discord as an embed with the ink): delivery latency is from the delivery record
  to Discord accepting it, read from the database.

    .venv/bin/python bench/bench_chat.py [--students 30] [--live-students 100] [--seconds 30]
        [--rate 5] [--no-live | --no-room | --no-comments]

The `--no-*` switches leave one load out, to see which one costs the others.

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/inkwell_bench_chat) and REDIS_URL
(default redis://127.0.0.1:6379/13; flushed) say where.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_live import late_summary, run_students  # the live load, as bench_live's
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

SETUP = """
import django, json
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
from chat import services
from chat.models import Delivery, Message
from classroom.models import Attempt, Classroom, Exercise, Membership
User = get_user_model()
Delivery.objects.all().delete()
Message.objects.all().delete()
teacher, _ = User.objects.get_or_create(username="bench-teacher", defaults={{"role": "teacher"}})
classroom, _ = Classroom.objects.get_or_create(name="Bench room", teacher=teacher)
exercise, _ = Exercise.objects.get_or_create(classroom=classroom, title="Bench", characters="abc")
ink = json.loads({ink!r})
def session_cookie(user):
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    return "sessionid=" + s.session_key
cookies, attempts = [], []
for i in range(max({n}, {live})):
    user, _ = User.objects.get_or_create(username=f"bench{{i}}", defaults={{"role": "student"}})
    if i >= {n}:  # draws only, outside the class
        cookies.append(session_cookie(user))
        continue
    Membership.objects.get_or_create(classroom=classroom, student=user)
    cookies.append(session_cookie(user))
    attempt, _ = Attempt.objects.get_or_create(
        student=user, exercise=exercise, client_submission_id="bench",
        defaults={{"target": "a", "ink": ink, "status": "recognized", "score": 80}})
    attempts.append(attempt.pk)
services.relay_configure(classroom=classroom, webhook_url={webhook!r}, relay_feedback=True)
token, _ = Token.objects.get_or_create(user=teacher)
print(json.dumps({{"class_id": classroom.pk, "cookies": cookies, "attempts": attempts,
                  "token": token.key}}))
"""


async def room_client(url: str, cookie: str, class_id: int, out: dict[str, Any],
                      ready: asyncio.Event, stop: asyncio.Event) -> Any:  # fmt: skip
    import websockets

    headers = {"Cookie": cookie, "Origin": "http://127.0.0.1"}
    ws = await websockets.connect(
        f"{url}/ws/classes/{class_id}/chat/", additional_headers=headers, max_size=2**20
    )
    seen: set[int] = set()

    async def reader() -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame["type"] == "room":
                ready.set()
            elif frame["type"] == "error":
                out["errors"].append(frame["code"])
            elif frame["type"] == "message":
                if frame["id"] in seen:
                    out["duplicates"] += 1
                seen.add(frame["id"])
                body = frame["body"]
                if body.startswith("bench-m"):
                    sent = out["sent_at"].get(body)
                    if sent is not None:
                        out["fanout_ms"].append((time.perf_counter() - sent) * 1000)
                        out["received"] += 1
                elif frame["kind"] == "feedback":
                    out["feedback_seen"] += 1

    task = asyncio.create_task(reader())
    await stop.wait()
    await asyncio.sleep(2)  # the last messages arrive
    task.cancel()
    await ws.close()
    return ws


class Room:
    """The class in the room: a reading socket and a sending one per student."""

    def __init__(self, urls: list[str], cookies: list[str], class_id: int,
                 out: dict[str, Any]) -> None:  # fmt: skip
        self.urls, self.cookies, self.class_id, self.out = urls, cookies, class_id, out
        self.stop = asyncio.Event()
        self.clients: list[asyncio.Task[Any]] = []
        self.senders: list[Any] = []

    async def join(self) -> float:
        """Everyone in (each reader has its `room` frame); the seconds it took."""
        import websockets

        started = time.monotonic()
        readies = [asyncio.Event() for _ in self.cookies]
        self.clients = [
            asyncio.create_task(room_client(self.urls[i % len(self.urls)], c, self.class_id,
                                            self.out, readies[i], self.stop))
            for i, c in enumerate(self.cookies)
        ]  # fmt: skip
        await asyncio.gather(*(r.wait() for r in readies))
        # Senders: a second socket per student, as a second tab would be (the room's
        # sockets are all readers, and each message reaches all of them).
        self.senders = [
            await websockets.connect(
                f"{self.urls[i % len(self.urls)]}/ws/classes/{self.class_id}/chat/",
                additional_headers={"Cookie": c, "Origin": "http://127.0.0.1"},
            )
            for i, c in enumerate(self.cookies)
        ]
        return time.monotonic() - started

    async def talk(self, seconds: float, rate: float) -> None:
        """One message every 1/rate s, from each student in turn; then everyone leaves."""
        out = self.out
        end = time.monotonic() + seconds
        n = 0
        next_at = time.monotonic()
        while time.monotonic() < end:
            sender = self.senders[n % len(self.senders)]
            body = f"bench-m{n}"
            out["sent_at"][body] = time.perf_counter()
            await sender.send(json.dumps({"type": "message", "body": body, "client_id": str(n)}))
            out["posted"] += 1
            n += 1
            next_at += 1 / rate
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        self.stop.set()
        await asyncio.gather(*self.clients)
        for sender in self.senders:
            await sender.close()


async def comment_load(url: str, token: str, attempts: list[int], seconds: float, rate: float,
                       out: dict[str, Any]) -> None:  # fmt: skip
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"

    async def one(n: int) -> None:
        try:
            response = await asyncio.to_thread(
                session.post,
                f"{url}/api/v1/attempts/{attempts[n % len(attempts)]}/comments",
                json={"body": f"bench-c{n} lovely loops"},
                timeout=30,
            )
        except requests.RequestException as exc:
            out["comment_errors"].append(type(exc).__name__)
            return
        if response.status_code != 201:
            out["comment_errors"].append(response.status_code)

    # Each comment at its time, whether or not the last one was answered yet.
    end = time.monotonic() + seconds
    n = 0
    next_at = time.monotonic()
    pending = []
    while time.monotonic() < end:
        pending.append(asyncio.create_task(one(n)))
        out["comments"] += 1
        n += 1
        next_at += 1 / rate
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    await asyncio.gather(*pending)


def live_load(ws: list[str], drawing: list[str], inks: list[Any], seconds: float,
              ready: Any, results: Any) -> None:  # fmt: skip
    """The drawing students, half on each server, in a process of their own (as bench_live's
    are): the room's and the comments' clients share no event loop with them, so their
    latencies are the servers', not the load generator's."""
    import uvloop

    uvloop.install()
    half = len(drawing) // 2

    async def both() -> list[dict[str, Any]]:
        return list(await asyncio.gather(
            run_students(f"{ws[0]}/ws/recognize/", drawing[:half], inks, seconds),
            run_students(f"{ws[1]}/ws/recognize/", drawing[half:], inks, seconds),
        ))  # fmt: skip

    ready.set()
    results.put(asyncio.run(both()))


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its live children (a prefork worker's pool)."""
    total = cpu_seconds(pid)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else []:
        with contextlib.suppress(FileNotFoundError):  # exited (and counted in the parent's)
            total += tree_cpu_seconds(int(child))
    return total


def deliveries(database_url: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(database_url) as conn:
        statuses: dict[str, int] = dict(
            conn.execute("SELECT status, count(*) FROM chat_delivery GROUP BY status").fetchall()
        )
        latencies = [
            row[0] * 1000
            for row in conn.execute(
                "SELECT extract(epoch FROM delivered_at - created_at)::float FROM chat_delivery"
                " WHERE status = 'delivered'"
            ).fetchall()
        ]
        tries = conn.execute("SELECT coalesce(sum(attempts), 0) FROM chat_delivery").fetchone()
    return {"statuses": statuses, "latencies": latencies, "tries": int(tries[0] if tries else 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30, help="the class in the room")
    parser.add_argument(
        "--live-students",
        type=int,
        default=100,
        help="drawing at the same time (bench_live's load; the class among them)",
    )
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=5.0, help="room messages and comments/s")
    parser.add_argument("--no-live", action="store_true", help="without the drawing load")
    parser.add_argument("--no-room", action="store_true", help="without the room's messages")
    parser.add_argument("--no-comments", action="store_true", help="without comments (relay)")
    args = parser.parse_args()

    database_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inkwell_bench_chat"
    )
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
    ensure_database(database_url)
    fake_port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "DJANGO_SETTINGS_MODULE": "hwr_site.settings", "SECRET_KEY": "bench-only-secret",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_COOKIES": "false",
           "LOG_LEVEL": "WARNING", "DISCORD_API_BASE": f"http://127.0.0.1:{fake_port}/api/v10",
           "CHAT_RATE_MESSAGES": "1000",  # the bench's senders post faster than children may
           "MEDIA_ROOT": str(Path(tempfile.gettempdir()) / "inkwell-bench-media")}  # fmt: skip
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    inks = test_inks(400)
    webhook = f"http://127.0.0.1:{fake_port}/api/webhooks/1/bench-token"
    setup = subprocess.run(
        [PY, "-c", SETUP.format(n=args.students, live=args.live_students,
                                ink=json.dumps({"strokes": inks[0]}),
                                webhook=webhook)],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    world = json.loads(setup.stdout.strip().splitlines()[-1])
    logs = Path(tempfile.mkdtemp(prefix="inkwell-bench-chat-"))
    accepted = logs / "discord-accepted.txt"
    ports = [free_port(), free_port()]
    results: dict[str, Any] = {
        "students": args.students, "live_students": args.live_students,
        "seconds": args.seconds, "rate_per_s": args.rate,
        "cpu": cpu_description(), "machine_speed_loop_ms": machine_speed_loop_ms(),
        "load_average_before": os.getloadavg(),
    }  # fmt: skip
    inference = [PY, "-m", "celery", "-A", "hwr_site", "worker", "-Q", "inference,default",
                 "--pool", "solo", "--without-gossip", "--without-mingle", "-n", "inf@%h",
                 "--loglevel", "WARNING"]  # fmt: skip
    relay = [PY, "-m", "celery", "-A", "hwr_site", "worker", "-Q", "discord", "--concurrency",
             "2", "--without-gossip", "--without-mingle", "-n", "discord@%h",
             "--loglevel", "WARNING"]  # fmt: skip
    fake = [PY, str(REPO / "bench" / "fake_discord.py"), "--port", str(fake_port),
            "--log", str(accepted)]  # fmt: skip

    def server(port: int) -> list[str]:
        return [PY, "-m", "uvicorn", "hwr_site.asgi:application", "--host", "127.0.0.1",
                "--port", str(port), "--no-access-log", "--log-level", "warning",
                "--lifespan", "off"]  # fmt: skip

    with process(fake, env, logs / "fake.log") as fake_proc, \
         process(inference, env, logs / "inference.log") as inference_proc, \
         process(relay, env, logs / "discord.log") as relay_proc, \
         process(server(ports[0]), env, logs / "server-a.log") as a, \
         process(server(ports[1]), env, logs / "server-b.log") as b:  # fmt: skip
        wait_port(ports[0], a)
        wait_port(ports[1], b)
        wait_port(fake_port, fake_proc)
        time.sleep(3)  # workers start
        http = [f"http://127.0.0.1:{p}" for p in ports]
        ws = [u.replace("http", "ws") for u in http]
        cookies = world["cookies"]
        members = cookies[: args.students]  # the class, in the room
        drawing = cookies[: args.live_students]
        asyncio.run(run_students(f"{ws[0]}/ws/recognize/", cookies[:2], inks, 3))
        asyncio.run(run_students(f"{ws[1]}/ws/recognize/", cookies[:2], inks, 3))
        room: dict[str, Any] = {"sent_at": {}, "fanout_ms": [], "received": 0, "posted": 0,
                                "duplicates": 0, "errors": [], "feedback_seen": 0,
                                "comments": 0, "comment_errors": []}  # fmt: skip
        pids = {"server_a": a.pid, "server_b": b.pid, "inference_worker": inference_proc.pid,
                "discord_worker": relay_proc.pid, "load_generator": os.getpid()}  # fmt: skip
        # The load generator's children are the processes above: its own time only.
        cpu_of = {name: cpu_seconds if name == "load_generator" else tree_cpu_seconds
                  for name in pids}  # fmt: skip
        spawn = multiprocessing.get_context("spawn")
        live_ready, live_results = spawn.Event(), spawn.Queue()
        live_proc = spawn.Process(target=live_load, args=(ws, drawing, inks, args.seconds,
                                                          live_ready, live_results))  # fmt: skip
        measured: dict[str, Any] = {}

        async def everything() -> None:
            # The class is in the room first (a class arriving at once is its own moment,
            # reported as `room.join_s`); the drawing, the messages and the comments then
            # run together for `--seconds`.
            room_of = Room(ws, members, world["class_id"], room)
            if not args.no_room:
                room["join_s"] = round(await room_of.join(), 2)
            if not args.no_live:
                live_proc.start()
                await asyncio.to_thread(live_ready.wait, 60)  # it draws from now on
            measured["cpu_before"] = {name: cpu_of[name](pid) for name, pid in pids.items()}
            measured["ticks_before"] = machine_ticks()
            measured["started"] = time.monotonic()
            await asyncio.gather(
                asyncio.sleep(0) if args.no_room else room_of.talk(args.seconds, args.rate),
                asyncio.sleep(0) if args.no_comments else
                comment_load(http[0], world["token"], world["attempts"], args.seconds,
                             args.rate, room),
            )  # fmt: skip

        asyncio.run(everything())
        cpu_before, ticks_before = measured["cpu_before"], measured["ticks_before"]
        started = measured["started"]
        live_out: list[dict[str, Any]] = [] if args.no_live else live_results.get(timeout=120)
        if not args.no_live:
            live_cpu = cpu_seconds(live_proc.pid or 0)  # before it is reaped
            live_proc.join()
        wall = time.monotonic() - started
        cpu_share = {
            name: round((cpu_of[name](pid) - cpu_before[name]) / wall, 2)
            for name, pid in pids.items()
        }
        if not args.no_live:
            cpu_share["live_load_generator"] = round(live_cpu / wall, 2)
        busy, stolen = (
            round((after - before) / os.sysconf("SC_CLK_TCK") / wall, 2)
            for before, after in zip(ticks_before, machine_ticks(), strict=True)
        )
        # Deliveries still pending when the load stops, then the time to drain them.
        at_end = deliveries(database_url)
        drain_started = time.monotonic()
        while time.monotonic() - drain_started < 60:
            state = deliveries(database_url)
            if not set(state["statuses"]) - {"delivered", "dead"}:
                break
            time.sleep(0.25)
        drained_s = round(time.monotonic() - drain_started, 2)

    latencies = [x for o in live_out for x in o["latencies"]]
    # When the slow strokes were: p99 and count over 50 ms in each 5 s of the run.
    timeline = []
    answered = sorted((t - started, x) for o in live_out
                      for t, x in zip(o["answered_at"], o["latencies"], strict=True))  # fmt: skip
    for start in range(0, int(args.seconds) + 2, 5):
        window = [x for t, x in answered if start <= t < start + 5]
        if window:
            timeline.append({"from_s": start, "n": len(window),
                             "p99_ms": summary(window)["p99_ms"],
                             "over_50_ms": sum(1 for x in window if x > 50)})  # fmt: skip
    final = deliveries(database_url)
    lines = accepted.read_text().splitlines() if accepted.exists() else []
    tokens = [line.split()[2] for line in lines if line.startswith("204")]
    expected = room["posted"] * len(members)
    results.update({
        "room": {**summary(room["fanout_ms"]), "posted": room["posted"],
                 "expected_receipts": expected, "lost": expected - room["received"],
                 "duplicates": room["duplicates"], "error_codes": sorted(set(room["errors"])),
                 "join_s": room.get("join_s"),
                 "feedback_frames_seen": room["feedback_seen"]},
        "live_strokes": {**summary(latencies), "sent": sum(o["sent"] for o in live_out),
                         "lost": sum(o["lost"] for o in live_out),
                         "errors": sum(len(o["errors"]) for o in live_out),
                         "load_generator_late": late_summary(
                             [x for o in live_out for x in o["late_ms"]]),
                         "students": 0 if args.no_live else len(drawing),
                         # Server A also answers the teacher's comments (HTTP).
                         "by_server": {name: summary(o["latencies"])
                                       for name, o in zip("ab", live_out, strict=False)},
                         "timeline": timeline},
        "relay": {"comments": room["comments"], "comment_errors": room["comment_errors"],
                  "deliveries_by_status": final["statuses"], "tries": final["tries"],
                  "pending_when_load_stopped": sum(
                      n for s, n in at_end["statuses"].items() if s in ("pending", "sending")),
                  "drained_after_s": drained_s,
                  "delivered_per_s_during_load": round(
                      at_end["statuses"].get("delivered", 0) / args.seconds, 2),
                  "latency": summary(final["latencies"]),
                  "fake_discord_429s": sum(1 for line in lines if line.startswith("429")),
                  "fake_discord_accepted": len(tokens),
                  "fake_discord_duplicates": len(tokens) - len(set(tokens))},
        "machine": {"busy_cores": busy, "stolen_cores": stolen, "cpu_share": cpu_share,
                    "load_average_after": os.getloadavg()},
        "logs": str(logs),
    })  # fmt: skip
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    import uvloop

    uvloop.install()
    main()
