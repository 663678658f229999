"""The oldest attempt still waiting for a recognition, read from the database at scrape."""

from datetime import timedelta

from django.utils import timezone
from prometheus_client import REGISTRY

from classroom.models import Attempt
from classroom.tests.factories import AttemptFactory

OLDEST = "inkwell_attempts_unrecognized_oldest_seconds"


def test_it_reads_0_when_every_attempt_is_recognised(student):
    AttemptFactory.create(student=student)
    assert REGISTRY.get_sample_value(OLDEST) == 0


def test_it_reads_the_age_of_the_oldest_pending_attempt(student):
    for age in (timedelta(minutes=20), timedelta(minutes=3)):
        attempt = AttemptFactory.create(student=student, status=Attempt.Status.PENDING)
        Attempt.objects.filter(pk=attempt.pk).update(created_at=timezone.now() - age)
    assert 20 * 60 <= (REGISTRY.get_sample_value(OLDEST) or 0) < 21 * 60
