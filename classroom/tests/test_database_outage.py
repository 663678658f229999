"""PostgreSQL goes down under a practising student: the submit answers `not_saved` and the
socket stays open with the drawing; once the database is back, the same submit is stored.

Its own PostgreSQL cluster (initdb, pg_ctl on a free port: never the shared one), a real
uvicorn server pointed at it, and a websocket client."""

import asyncio
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import websockets

from bench.harness import Postgres
from conftest import ARTIFACTS_DIR, REPO_ROOT, _service_env, uvicorn_server
from recognition.tests.samples import unipen_test_samples

pytestmark = pytest.mark.slow  # a cluster, a migration and a server: about half a minute

SETUP = """
import json
from django.test import Client
from classroom.tests.factories import (ClassroomFactory, ExerciseFactory, MembershipFactory,
                                       StudentFactory)
classroom = ClassroomFactory.create()
student = StudentFactory.create(username="ada")
MembershipFactory.create(classroom=classroom, student=student)
exercise = ExerciseFactory.create(classroom=classroom, characters="38", repetitions=1)
client = Client()
client.force_login(student)
print(json.dumps({"exercise": exercise.pk, "session": client.cookies["sessionid"].value}))
"""


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[Postgres]:
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        pytest.skip("needs PostgreSQL's initdb and pg_ctl")
    root = Path(tempfile.mkdtemp(prefix="inkwell-outage-"))  # the postgres user enters it
    postgres = Postgres(root, database="inkwell_outage")
    postgres.start()
    try:
        postgres.create_database()
        yield postgres
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # stopped already
            postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


def run_manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def answer_to(ws, seq: int) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=20))
        if frame.get("seq") == seq and frame["type"] in ("result", "error"):
            return frame


def stored(postgres: Postgres, submission_id: str) -> int:
    with psycopg.connect(postgres.url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM classroom_attempt WHERE client_submission_id = %s",
            [submission_id],
        ).fetchone()
    return row[0] if row else 0


def test_a_submit_while_postgresql_is_down_is_not_saved_then_saved_once_it_is_back(
    own_postgres, redis_url
):
    # memory://: the recognition task goes nowhere (no worker here); the submit still
    # answers, "saved", at the recogniser's timeout.
    env = _service_env(
        redis_url, DATABASE_URL=own_postgres.url, CELERY_BROKER_URL="memory://",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver", DEBUG="false",
    )  # fmt: skip
    run_manage(env, "migrate", "--noinput", "-v0")
    made = json.loads(run_manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
    three = unipen_test_samples(labels="3", per_label=1)[0]["strokes"]

    async def practise(base: str) -> tuple[dict, dict]:
        url = base.replace("http", "ws") + f"/ws/practice/{made['exercise']}/"
        headers = {"Origin": base, "Cookie": f"sessionid={made['session']}"}
        async with websockets.connect(url, additional_headers=headers) as ws:
            for seq, stroke in enumerate(three, start=1):
                await ws.send(json.dumps({"type": "stroke", "seq": seq, "points": stroke}))
            submit = len(three) + 1
            await asyncio.to_thread(own_postgres.stop)
            await ws.send(
                json.dumps({"type": "submit", "seq": submit, "submission_id": "outage-0001"})
            )
            refused = await answer_to(ws, submit)
            await asyncio.to_thread(own_postgres.start)
            await ws.send(
                json.dumps({"type": "submit", "seq": submit + 1, "submission_id": "outage-0001"})
            )
            saved = await answer_to(ws, submit + 1)
        return refused, saved

    with uvicorn_server(env, ARTIFACTS_DIR / "asgi-outage.log") as base:
        refused, saved = asyncio.run(practise(base))
    assert (refused["type"], refused["code"]) == ("error", "not_saved"), refused
    assert saved["type"] == "result" and saved["attempt_id"], saved
    assert stored(own_postgres, "outage-0001") == 1
