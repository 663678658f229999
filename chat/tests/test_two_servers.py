"""The room across two ASGI server processes (uvicorn) on one Redis and one PostgreSQL, as a
deployment runs it: messages cross processes, a client that was away for 30 messages gets
all 30 once and in order, and presence forgets someone whose server process died."""

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import websockets

from bench.harness import free_port, process, wait_port
from classroom.tests.factories import MembershipFactory, StudentFactory
from conftest import ARTIFACTS_DIR, WS_MAX_SIZE, _service_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


@contextmanager
def server(env: dict[str, str], name: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """uvicorn as `make run` starts it; yields its URL and process (a test may kill it)."""
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", "hwr_site.asgi:application", "--host",
            "127.0.0.1", "--port", str(port), "--lifespan", "off",
            "--ws-max-size", str(WS_MAX_SIZE)]  # fmt: skip
    with process(args, env, ARTIFACTS_DIR / f"chat-{name}.log", stop_timeout=20) as proc:
        wait_port(port, proc)
        yield f"http://127.0.0.1:{port}", proc


@pytest.fixture
def two_servers(redis_url) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    env = _service_env(
        redis_url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DEBUG="false",
        CHAT_PRESENCE_HEARTBEAT_S="0.5",
        CHAT_PRESENCE_TTL_S="2",
    )
    with server(env, "a") as a, server(env, "b") as b:
        yield [a, b]


def cookie_of(_: Any, user: Any) -> str:
    """A session of `user` (a client of its own: logging another user in ends the last)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def connect(url: str, cookie: str, class_id: int, after: int | None = None):
    ws_url = f"{url.replace('http', 'ws')}/ws/classes/{class_id}/chat/"
    if after is not None:
        ws_url += f"?after={after}"
    return websockets.connect(ws_url, additional_headers={"Origin": url, "Cookie": cookie})


async def next_of(ws: Any, kind: str, timeout: float = 10) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame["type"] == kind:
            return frame


async def messages(ws: Any, n: int) -> list[dict[str, Any]]:
    return [await next_of(ws, "message") for _ in range(n)]


def test_a_message_through_one_server_reaches_a_client_of_the_other(
    client, two_servers, classroom, teacher, student
):
    (a, _), (b, _) = two_servers
    teacher_cookie, student_cookie = cookie_of(client, teacher), cookie_of(client, student)

    async def scenario() -> None:
        async with (
            connect(a, teacher_cookie, classroom.pk) as on_a,
            connect(b, student_cookie, classroom.pk) as on_b,
        ):
            await next_of(on_a, "room")
            await next_of(on_b, "room")
            await on_a.send(
                json.dumps({"type": "message", "body": "Hello from A", "client_id": "a1"})
            )
            frame = await next_of(on_b, "message")
            assert (frame["body"], frame["role"], frame["author"]) == (
                "Hello from A",
                "teacher",
                "Ms Quill",
            )

    asyncio.run(scenario())


def test_a_client_away_for_30_messages_gets_all_30_once_in_order_on_reconnect(
    client, two_servers, classroom, teacher, student
):
    (a, _), (b, _) = two_servers
    teacher_cookie, student_cookie = cookie_of(client, teacher), cookie_of(client, student)

    async def scenario() -> None:
        async with connect(a, teacher_cookie, classroom.pk) as teacher_ws:
            await next_of(teacher_ws, "room")
            async with connect(b, student_cookie, classroom.pk) as student_ws:
                await next_of(student_ws, "room")
                await teacher_ws.send(
                    json.dumps({"type": "message", "body": "before", "client_id": "0"})
                )
                last_seen = (await next_of(student_ws, "message"))["id"]
            for i in range(30):  # the student is away
                await teacher_ws.send(
                    json.dumps({"type": "message", "body": f"missed {i}", "client_id": str(i)})
                )
            sent = await messages(teacher_ws, 31)
            async with connect(b, student_cookie, classroom.pk, after=last_seen) as student_ws:
                await next_of(student_ws, "room")
                got = await messages(student_ws, 30)
                assert [m["body"] for m in got] == [f"missed {i}" for i in range(30)]
                assert [m["id"] for m in got] == [m["id"] for m in sent[1:]]
                await teacher_ws.send(
                    json.dumps({"type": "message", "body": "live", "client_id": "z"})
                )
                live = await next_of(student_ws, "message")
                assert live["body"] == "live"  # nothing repeated before it

    asyncio.run(scenario())


def test_presence_forgets_someone_whose_server_process_died(
    client, two_servers, classroom, teacher, student
):
    (a, server_a), (b, _) = two_servers
    teacher_cookie, student_cookie = cookie_of(client, teacher), cookie_of(client, student)

    async def scenario() -> None:
        async with connect(b, teacher_cookie, classroom.pk) as teacher_ws:
            student_ws = await connect(a, student_cookie, classroom.pk)
            here: list[dict[str, Any]] = []
            while [p["name"] for p in here] != ["Ms Quill", "Ada"]:
                here = (await next_of(teacher_ws, "presence"))["here"]
            os.kill(server_a.pid, signal.SIGKILL)  # no disconnect, no goodbye
            server_a.wait(10)
            while [p["name"] for p in here] != ["Ms Quill"]:
                here = (await next_of(teacher_ws, "presence", timeout=15))["here"]
            del student_ws

    asyncio.run(scenario())


def test_thirty_students_on_two_servers_each_get_every_message_once(
    client, two_servers, classroom, teacher
):
    (a, _), (b, _) = two_servers
    students = []
    for i in range(29):
        member = StudentFactory.create(username=f"kid{i}")
        MembershipFactory.create(classroom=classroom, student=member)
        students.append(member)
    cookies = [cookie_of(client, s) for s in students]

    async def scenario() -> None:
        sockets = [await connect(a if i % 2 else b, c, classroom.pk) for i, c in enumerate(cookies)]
        try:
            for ws in sockets:
                await next_of(ws, "room")
            for i, ws in enumerate(sockets[:10]):
                await ws.send(
                    json.dumps({"type": "message", "body": f"hi {i}", "client_id": str(i)})
                )
            for ws in sockets:
                got = await messages(ws, 10)
                ids = [m["id"] for m in got]
                assert ids == sorted(set(ids))  # in order, none twice
                assert sorted(m["body"] for m in got) == sorted(f"hi {i}" for i in range(10))
        finally:
            for ws in sockets:
                await ws.close()

    asyncio.run(scenario())
