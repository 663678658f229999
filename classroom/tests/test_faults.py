"""Nothing a student submitted is lost when a worker dies or the broker forgets its queue:
the sweep queues it again within a minute, and leaves alone what may still be waiting."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import psycopg
import pytest
import redis
from django.conf import settings
from django.utils import timezone

from classroom.models import Attempt
from classroom.tasks import PENDING_SWEEP_AGE, queue_pending_attempts
from classroom.tests.factories import AttemptFactory
from conftest import ARTIFACTS_DIR, REPO_ROOT, _service_env
from hwr_site import queues
from hwr_site.broker import oldest_waiting_since
from hwr_site.fastpath.task_messages import task_message
from recognition.tests.samples import unipen_test_samples

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def pending_attempt(*, age: timedelta) -> Attempt:
    three = unipen_test_samples(labels="3", per_label=1)[0]["strokes"]
    attempt = AttemptFactory.create(
        target="3",
        exercise__characters="38",
        ink={"strokes": three},
        status=Attempt.Status.PENDING,
        predicted_label="",
        correct=None,
        score=None,
    )
    Attempt.objects.filter(pk=attempt.pk).update(created_at=timezone.now() - age)
    return attempt


@pytest.fixture
def broker(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.delete(queues.INFERENCE)
    yield client
    client.delete(queues.INFERENCE)


def wait_recognized(attempt: Attempt, seconds: float = 30) -> Attempt:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        attempt.refresh_from_db()
        if attempt.status == Attempt.Status.RECOGNIZED:
            break
        time.sleep(0.2)
    return attempt


def wait_for_line(log_path, text: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while text not in log_path.read_text():
        assert time.monotonic() < deadline, f"no {text!r} in {log_path}"
        time.sleep(0.2)


def test_the_sweep_runs_as_often_as_its_age_limit_so_a_lost_submit_waits_under_a_minute():
    schedule = settings.CELERY_BEAT_SCHEDULE["queue-pending-attempts"]["schedule"]
    assert isinstance(schedule, float)
    assert schedule + PENDING_SWEEP_AGE.total_seconds() <= 60


# `inference_paused`: no worker takes the messages these tests put on the queue.
def test_the_oldest_waiting_task_is_read_off_the_broker(inference_paused, broker):
    assert oldest_waiting_since(queues.INFERENCE) is None
    for queued_at in (100.0, 200.0):
        message = task_message(
            name="classroom.recognize_attempt",
            queue_name=queues.INFERENCE,
            kwargs={"attempt_id": 1, "queued_at": queued_at},
            kwargsrepr="{}",
            origin="test",
        )
        broker.lpush(queues.INFERENCE, message)
    assert oldest_waiting_since(queues.INFERENCE) == 100.0


def test_the_sweep_leaves_attempts_whose_task_may_wait_behind_a_backlog(inference_paused, broker):
    lost = pending_attempt(age=timedelta(minutes=5))
    # Older than the sweep's age limit, but stored after the backlog's oldest task.
    maybe_waiting = pending_attempt(age=timedelta(seconds=40))
    backlog_since = time.time() - 45
    broker.lpush(
        queues.INFERENCE,
        task_message(
            name="recognition.recognize_ink",
            queue_name=queues.INFERENCE,
            kwargs={"queued_at": backlog_since},
            kwargsrepr="{}",
            origin="test",
        ),
    )
    assert queue_pending_attempts() == 1
    queued = [json.loads(m) for m in broker.lrange(queues.INFERENCE, 0, -1)]
    swept = [m for m in queued if m["headers"]["task"] == "classroom.recognize_attempt"]
    assert len(swept) == 1 and f"'attempt_id': {lost.pk}" in swept[0]["headers"]["kwargsrepr"]
    maybe_waiting.refresh_from_db()
    assert maybe_waiting.status == Attempt.Status.PENDING


def test_a_submit_a_killed_worker_held_is_recognised_by_the_next_sweep(
    broker, celery_worker, inference_paused
):
    """The worker takes the task and dies (SIGKILL) mid-way: the broker keeps no copy; the
    sweep that beat runs every 30 s queues it again and a live worker recognises it."""
    from classroom.tasks import recognize_attempt
    from hwr_site.celery import app

    db = settings.DATABASES["default"]
    dsn = (
        f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} "
        f"user={db['USER'] or 'postgres'} dbname={db['NAME']}"
    )
    log_path = ARTIFACTS_DIR / "celery-worker-killed.log"
    with psycopg.connect(dsn) as lock, log_path.open("w") as log:
        doomed = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hwr_site", "worker", "-Q", queues.INFERENCE,
             "--pool", "solo", "--hostname", f"doomed-{os.getpid()}@%h", "--without-gossip",
             "--without-mingle", "--loglevel", "INFO"],
            cwd=REPO_ROOT, env=_service_env(settings.REDIS_URL), stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for_line(log_path, " ready.")
            # Stored after the worker's start-up sweep, so only this worker has its task.
            attempt = pending_attempt(age=timedelta(seconds=0))
            # The task will wait on this row lock: the worker is killed while it holds it.
            lock.execute("SELECT 1 FROM classroom_attempt WHERE id = %s FOR UPDATE", (attempt.pk,))
            recognize_attempt.apply_async(kwargs={"attempt_id": attempt.pk})
            wait_for_line(log_path, "recognize_attempt[")
            time.sleep(0.5)  # into the task, waiting on the lock
        finally:
            os.kill(doomed.pid, signal.SIGKILL)
            doomed.wait(10)
        lock.rollback()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.PENDING
    assert broker.llen(queues.INFERENCE) == 0  # lost with the worker
    app.control.add_consumer(queues.INFERENCE, reply=True)  # a live worker is there again
    Attempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - PENDING_SWEEP_AGE - timedelta(seconds=1)
    )
    assert queue_pending_attempts() == 1
    assert wait_recognized(attempt).status == Attempt.Status.RECOGNIZED
