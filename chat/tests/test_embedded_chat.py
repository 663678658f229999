"""Chat in embedded mode, as `make run` starts it on a bare machine (no Redis: SQLite, the
in-memory channel layer, tasks in-process): the room works, and a delivery that meets a
500 is retried by an in-process timer, with the same rules, and delivered once."""

import asyncio
import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest
import requests
import websockets

from chat.tests.conftest import APPLICATION_ID, WEBHOOK_PATH, webhook_url
from conftest import REPO_ROOT, uvicorn_server
from hwr_site.tests.test_embedded_mode import log_in, socket_headers

pytestmark = pytest.mark.timeout(240)


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def log_in_as(url: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{url}/accounts/login/", timeout=10).raise_for_status()
    session.post(
        f"{url}/accounts/login/",
        data={"username": username, "password": password,
              "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=10,
    ).raise_for_status()  # fmt: skip
    assert "sessionid" in session.cookies
    return session


async def next_of(ws: Any, kind: str, timeout: float = 10) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame["type"] == kind:
            return frame


def test_the_room_and_the_relay_work_without_redis(tmp_path, fake_discord):
    fake_discord.clear()
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="hwr_site.settings", VAR_DIR=str(var), DEBUG="true",
        DEV_SERVER="true", MEDIA_ROOT=str(var / "media"), SECRET_KEY="embedded-chat-test-key",
        DISCORD_API_BASE=fake_discord.url_for("/api/v10"), DISCORD_APPLICATION_ID=APPLICATION_ID,
        DISCORD_RETRY_BASE_S="0.2",
    )  # fmt: skip
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    find = "from classroom.models import Classroom as C; print(C.objects.get(name='Demo class').pk)"
    class_id = int(manage(env, "shell", "-c", find).split()[-1])
    manage(env, "class_discord", str(class_id), "--webhook", webhook_url(fake_discord))
    for status in (500, 204):
        fake_discord.expect_ordered_request(WEBHOOK_PATH, method="POST").respond_with_data(
            "", status=status
        )

    with uvicorn_server(env, var / "server.log") as url:
        student = log_in(url, "ada")
        teacher = log_in_as(url, "teacher", "inkwell-teacher")
        attempt_id = student.get(f"{url}/api/v1/attempts", timeout=10).json()["results"][0]["id"]

        async def scenario() -> dict[str, Any]:
            room = f"{url.replace('http', 'ws')}/ws/classes/{class_id}/chat/"
            async with websockets.connect(
                room, additional_headers=socket_headers(url, student)
            ) as ws:
                await next_of(ws, "room")
                await ws.send(json.dumps({"type": "message", "body": "Hi!", "client_id": "e1"}))
                assert (await next_of(ws, "message"))["body"] == "Hi!"
                response = await asyncio.to_thread(
                    teacher.post,
                    f"{url}/api/v1/attempts/{attempt_id}/comments",
                    json={"body": "Well written"},
                    headers={"X-CSRFToken": teacher.cookies["csrftoken"]},
                    timeout=10,
                )
                assert response.status_code == 201, response.text
                return await next_of(ws, "message")

        feedback = asyncio.run(scenario())
        assert feedback["kind"] == "feedback" and feedback["attempt"]["id"] == attempt_id
        for _ in range(100):
            if len(fake_discord.log) >= 2:
                break
            time.sleep(0.1)
        assert [response.status_code for _, response in fake_discord.log] == [500, 204]
