"""The retention setting deletes attempts older than N days, daily, and says so in the
audit trail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from classroom.models import Attempt
from classroom.tasks import purge_old_attempts
from classroom.tests.factories import AttemptFactory

pytestmark = pytest.mark.django_db


def aged(days: int) -> Attempt:
    attempt = AttemptFactory.create()
    Attempt.objects.filter(pk=attempt.pk).update(created_at=timezone.now() - timedelta(days=days))
    return attempt


def test_attempts_past_the_retention_are_deleted_and_younger_ones_kept(settings):
    settings.ATTEMPT_RETENTION_DAYS = 30
    old, young = aged(31), aged(29)
    assert purge_old_attempts() == 1
    assert list(Attempt.objects.values_list("pk", flat=True)) == [young.pk]
    assert not Attempt.objects.filter(pk=old.pk).exists()
    (entry,) = AuditEntry.objects.filter(action="attempts.purge")
    assert entry.details == {"older_than_days": 30, "deleted": 1}


def test_without_a_retention_nothing_is_deleted(settings):
    settings.ATTEMPT_RETENTION_DAYS = 0
    aged(3650)
    assert purge_old_attempts() == 0 and Attempt.objects.count() == 1


def test_beat_runs_the_purge_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-old-attempts"]
    assert entry["task"] == "classroom.purge_old_attempts" and entry["schedule"] == 24 * 3600
