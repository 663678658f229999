"""RabbitMQ as the Celery broker while Redis keeps the channel layer: live predictions and
submitted attempts through a real worker consuming from RabbitMQ, with the broker switched
in this process as CELERY_BROKER_URL switches it in a deployment.

RabbitMQ at TEST_RABBITMQ_URL (default amqp://guest:guest@127.0.0.1:5672//); skipped when it
is not reachable, a failure under CI (.ci/run starts it)."""

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from channels.db import database_sync_to_async
from django.test import Client
from kombu import Connection

from bench.harness import process, wait_until
from classroom.models import Attempt
from classroom.tests.factories import ExerciseFactory
from conftest import ARTIFACTS_DIR, REPO_ROOT, _service_env, require_service
from hwr_site import queues
from recognition.tests.samples import unipen_test_samples
from recognition.tests.sockets import next_of_type, open_socket, session_headers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
QUEUES = queues.ALL


def _purge(url: str) -> None:
    """Tasks an earlier run left in this vhost would reach this run's worker."""
    with Connection(url, connect_timeout=5) as conn:
        for name in QUEUES:
            channel: Any = conn.channel()
            # A queue not declared yet has nothing to purge (and the broker closes the channel).
            with contextlib.suppress(Exception):
                channel.queue_purge(name)
            with contextlib.suppress(Exception):
                channel.close()


@pytest.fixture(scope="module")
def rabbitmq_worker(django_db_setup: None, redis_url: str) -> Iterator[str]:
    """A real Celery worker consuming every queue from RabbitMQ; yields the broker URL."""
    require_service("RabbitMQ", RABBITMQ_URL, 5672)
    _purge(RABBITMQ_URL)
    name = f"rabbit-{os.getpid()}@test"
    log_path = ARTIFACTS_DIR / "celery-worker-rabbitmq.log"
    cmd = [sys.executable, "-m", "celery", "-A", "hwr_site", "worker", "-Q", ",".join(QUEUES),
           "--concurrency", "2", "--hostname", name, "--without-gossip", "--without-mingle",
           "--loglevel", "INFO"]  # fmt: skip
    env = _service_env(redis_url, CELERY_BROKER_URL=RABBITMQ_URL)
    probe = Celery("probe", broker=RABBITMQ_URL, set_as_current=False)  # tasks keep our app
    with process(cmd, env, log_path, stop_timeout=20) as worker:
        try:
            wait_until(lambda: bool(probe.control.ping([name], timeout=0.5)), worker, 60,
                       "Celery worker on RabbitMQ")  # fmt: skip
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}; see {log_path}") from exc
        yield RABBITMQ_URL


@pytest.fixture(autouse=True)
def on_rabbitmq(rabbitmq_worker, monkeypatch, settings) -> Iterator[None]:
    """This process publishes to RabbitMQ, with the settings such a broker gets."""
    from hwr_site.celery import app
    from recognition.consumers import live_tasks

    monkeypatch.setattr(app.conf, "broker_url", rabbitmq_worker)
    monkeypatch.setattr(app.conf, "broker_transport_options", {})
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    settings.FASTPATH_TASK_MESSAGES = False
    live_tasks.cache_clear()
    yield
    live_tasks.cache_clear()


def test_a_rabbitmq_broker_gets_celerys_own_publishing_whatever_the_switch_says():
    code = "from django.conf import settings; print(settings.FASTPATH_TASK_MESSAGES)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hwr_site.settings", "SECRET_KEY": "x",
           "REDIS_URL": "redis://127.0.0.1:6379/0", "FASTPATH_TASK_MESSAGES": "true"}  # fmt: skip
    chosen = {}
    for broker in ("amqp://guest:guest@rabbitmq:5672//", ""):
        out = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"],
                             env={**env, "CELERY_BROKER_URL": broker}, cwd=REPO_ROOT,
                             capture_output=True, text=True, check=True)  # fmt: skip
        chosen[broker or "redis"] = out.stdout.strip()
    assert chosen == {"amqp://guest:guest@rabbitmq:5672//": "False", "redis": "True"}


def test_readiness_reaches_the_rabbitmq_broker():
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert "broker" in json.loads(response.content)["checks"]


async def test_live_predictions_come_back_through_rabbitmq(client, student):
    three = unipen_test_samples(labels="3", per_label=1)[0]["strokes"]
    communicator, connected = await open_socket(
        await database_sync_to_async(session_headers)(client, student)
    )
    assert connected
    for seq, stroke in enumerate(three, start=1):
        await communicator.send_json_to({"type": "stroke", "seq": seq, "points": stroke})
    while (frame := await next_of_type(communicator, "prediction", timeout=10))["seq"] < seq:
        pass
    await communicator.disconnect()
    assert frame["model_version"] and frame["candidates"][0]["label"] == "3"


async def test_a_submit_through_rabbitmq_is_stored_once_and_recognised(client, student, classroom):
    exercise = await database_sync_to_async(ExerciseFactory.create)(
        classroom=classroom, characters="38", repetitions=1, order="as_written"
    )
    three = unipen_test_samples(labels="3", per_label=1)[0]["strokes"]
    headers = await database_sync_to_async(session_headers)(client, student)
    communicator, connected = await open_socket(headers, f"/ws/practice/{exercise.pk}/")
    assert connected
    for seq, stroke in enumerate(three, start=1):
        await communicator.send_json_to({"type": "stroke", "seq": seq, "points": stroke})
    await communicator.send_json_to({"type": "submit", "seq": seq + 1})
    result = await next_of_type(communicator, "result", timeout=10)
    await communicator.disconnect()
    stored = await database_sync_to_async(lambda: list(Attempt.objects.all()))()
    assert [a.status for a in stored] == [Attempt.Status.RECOGNIZED], result
    assert result["label"] == "3" and result["attempt_id"] == stored[0].pk
