"""Embedded mode, as `make run` starts it on a bare machine: no REDIS_URL and no DATABASE_URL,
so an SQLite file, the in-memory channel layer and recognition tasks run in-process.

The server is real (uvicorn in its own process, the demo data from `seed_demo`); the
websockets and HTTP calls are what the practice page and the API client send.
"""

import asyncio
import json
import os
import subprocess
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import websockets

from conftest import REPO_ROOT, uvicorn_server
from recognition.tests.samples import unipen_test_samples

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]  # servers, migrations, seed data


@dataclass
class Embedded:
    env: dict[str, str]
    logs: Path

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=self.env,
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def server(self, name: str, **env: str) -> AbstractContextManager[str]:
        """The embedded platform served as `make run` serves it (with `env` on top of its
        environment); its log in `logs`."""
        return uvicorn_server({**self.env, **env}, self.logs / f"{name}.log")


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Embedded:
    var = tmp_path_factory.mktemp("embedded-var")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="hwr_site.settings", VAR_DIR=str(var), DEBUG="true",
        DEV_SERVER="true", MEDIA_ROOT=str(var / "media"), SECRET_KEY="embedded-mode-test-key",
    )  # fmt: skip
    embedded = Embedded(env=env, logs=var)
    embedded.manage("migrate", "--noinput")
    embedded.manage("seed_demo")
    assert (var / "db.sqlite3").exists()
    return embedded


def log_in(url: str, username: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{url}/accounts/login/", timeout=10).raise_for_status()
    response = session.post(
        f"{url}/accounts/login/",
        data={"username": username, "password": "inkwell-student",
              "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=10,
    )  # fmt: skip
    assert response.ok and "sessionid" in session.cookies, response.text[:500]
    return session


def socket_headers(url: str, session: requests.Session) -> dict[str, str]:
    return {"Origin": url, "Cookie": f"sessionid={session.cookies['sessionid']}"}


async def frame_of_type(ws: Any, kind: str, timeout: float = 10) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame["type"] == kind:
            return frame


async def draw(ws: Any, strokes: list[list[list[float]]]) -> int:
    for seq, stroke in enumerate(strokes, start=1):
        await ws.send(json.dumps({"type": "stroke", "seq": seq, "points": stroke}))
    return len(strokes)


def digits_exercise(url: str, session: requests.Session) -> dict[str, Any]:
    exercises = session.get(f"{url}/api/v1/exercises", timeout=10).json()
    return next(e for e in exercises if e["title"] == "Digits")


def pending_attempts(url: str, session: requests.Session) -> list[dict[str, Any]]:
    response = session.get(f"{url}/api/v1/attempts?status=pending", timeout=10)
    return response.json()["results"]


def test_live_recognition_and_practice_work_without_redis(embedded):
    seven = unipen_test_samples(labels="7", per_label=1)[0]["strokes"]

    async def scenario(url: str, session: requests.Session, exercise: dict[str, Any]) -> None:
        headers = socket_headers(url, session)
        async with websockets.connect(f"{url.replace('http', 'ws')}/ws/recognize/",
                                      additional_headers=headers) as ws:  # fmt: skip
            last = await draw(ws, seven)
            frame = await frame_of_type(ws, "prediction")
            while frame["seq"] < last:  # the answer to the whole drawing
                frame = await frame_of_type(ws, "prediction")
            assert frame["candidates"][0]["label"] == "7", frame

        target = exercise["characters"][0]
        sample = unipen_test_samples(labels=target, per_label=1)[0]["strokes"]
        practice = f"{url.replace('http', 'ws')}/ws/practice/{exercise['id']}/"
        async with websockets.connect(practice, additional_headers=headers) as ws:
            last = await draw(ws, sample)
            await ws.send(json.dumps({"type": "submit", "seq": last + 1, "target": target}))
            result = await frame_of_type(ws, "result")
        assert result["target"] == target and result["label"] == target, result
        assert result["correct"] is True and 0 <= result["score"] <= 100

    with embedded.server("live") as url:
        session = log_in(url, "ada")
        exercise = digits_exercise(url, session)
        asyncio.run(scenario(url, session, exercise))
        attempts = session.get(f"{url}/api/v1/attempts?exercise={exercise['id']}", timeout=10)
        stored = attempts.json()["results"]
        assert [(a["target"], a["status"]) for a in stored[:1]] == [
            (exercise["characters"][0], "recognized")
        ]


def test_a_failed_recognition_is_saved_pending_and_recognised_when_the_student_returns(
    embedded,
):
    active = (
        "from django.conf import settings; from recognition.models import ModelVersion as M; "
        "print(M.objects.filter(status='active').update(artifact_dir={}))"
    )
    broken = active.format("'/nonexistent/model'")
    assert embedded.manage("shell", "-c", broken).split()[-1] == "1"

    async def submit(url: str, session: requests.Session, exercise: dict[str, Any]) -> None:
        target = exercise["characters"][0]
        sample = unipen_test_samples(labels=target, per_label=1)[0]["strokes"]
        practice = f"{url.replace('http', 'ws')}/ws/practice/{exercise['id']}/"
        async with websockets.connect(
            practice, additional_headers=socket_headers(url, session)
        ) as ws:
            last = await draw(ws, sample)
            await ws.send(json.dumps({"type": "submit", "seq": last + 1}))  # the server decides
            saved = await frame_of_type(ws, "result")
            assert (saved["status"], saved["seq"]) == ("saved", last + 1) and saved["attempt_id"]
            await ws.send("not json")  # the socket is still open and answering
            assert (await frame_of_type(ws, "error"))["code"] == "bad_json"

    # A recogniser timeout far past frame_of_type's: the answer can only be the one said at
    # once (in-process, nothing else will answer).
    with embedded.server("broken-model", RECOGNIZER_TIMEOUT_S="60") as url:
        sessions = {name: log_in(url, name) for name in ("ben", "cleo")}
        exercise = digits_exercise(url, sessions["ben"])
        for session in sessions.values():
            asyncio.run(submit(url, session, exercise))
        pending = pending_attempts(url, sessions["ben"])
        assert len(pending) == 1 and pending[0]["exercise"] == exercise["id"]
        assert len(pending_attempts(url, sessions["cleo"])) == 1
    log = (embedded.logs / "broken-model.log").read_text()
    assert "stays pending" in log and "RecursionError" not in log

    restored = active.format("str(settings.SHIPPED_MODEL_DIR)")
    assert embedded.manage("shell", "-c", restored).split()[-1] == "1"

    async def come_back(url: str, session: requests.Session, exercise: dict[str, Any]) -> None:
        practice = f"{url.replace('http', 'ws')}/ws/practice/{exercise['id']}/"
        async with websockets.connect(
            practice, additional_headers=socket_headers(url, session)
        ) as ws:
            await ws.send(json.dumps({"type": "clear", "seq": 1}))
            await frame_of_type(ws, "prediction")

    with embedded.server("restored") as url:
        session = log_in(url, "ben")
        asyncio.run(come_back(url, session, exercise))
        assert pending_attempts(url, session) == []
        recognised = session.get(f"{url}/api/v1/attempts/{pending[0]['id']}", timeout=10).json()
        assert recognised["status"] == "recognized" and recognised["predicted_label"]
        # Only the student who came back: cleo's attempt waits for cleo.
        assert len(pending_attempts(url, log_in(url, "cleo"))) == 1
