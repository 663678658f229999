"""Attempts whose recognition task was lost are found and recognised by the sweep."""

import time

import pytest

from classroom.models import Attempt
from classroom.tasks import queue_pending_attempts
from classroom.tests.factories import AttemptFactory
from recognition.tests.samples import unipen_test_samples

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture
def lost_attempt():
    """A stored attempt with no task anywhere: the broker was down, or a killed worker held it."""
    three = unipen_test_samples(labels="3", per_label=1)[0]["strokes"]
    return AttemptFactory.create(
        target="3",
        exercise__characters="38",
        ink={"strokes": three},
        status=Attempt.Status.PENDING,
        predicted_label="",
        correct=None,
        score=None,
    )


def test_the_periodic_sweep_leaves_attempts_that_may_still_be_queued(lost_attempt):
    assert queue_pending_attempts() == 0
    lost_attempt.refresh_from_db()
    assert lost_attempt.status == Attempt.Status.PENDING


def test_the_sweep_a_starting_worker_runs_recognises_even_a_fresh_lost_attempt(
    lost_attempt, celery_worker
):
    assert queue_pending_attempts(min_age_s=0) == 1
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        lost_attempt.refresh_from_db()
        if lost_attempt.status == Attempt.Status.RECOGNIZED:
            break
        time.sleep(0.2)
    assert lost_attempt.status == Attempt.Status.RECOGNIZED
    assert lost_attempt.predicted_label == "3" and lost_attempt.correct is True
