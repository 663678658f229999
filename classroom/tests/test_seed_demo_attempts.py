"""seed_demo gives the demo class a practice history, with or without the shared data."""

from io import StringIO

import pytest
from django.core.management import call_command

from classroom import selectors
from classroom.models import Attempt, Classroom

pytestmark = pytest.mark.django_db


def _demo_figures():
    classroom = Classroom.objects.get(name="Demo class")
    return selectors.class_dashboard_figures(classroom=classroom)


def test_the_demo_class_has_weeks_of_recognised_attempts_with_images() -> None:
    call_command("seed_demo", stdout=StringIO())
    attempts = Attempt.objects.filter(exercise__classroom__name="Demo class")
    assert attempts.count() > 100
    assert not attempts.exclude(status=Attempt.Status.RECOGNIZED).exists()
    first = attempts.first()
    assert first is not None and bytes(first.image)[:4] == b"\x89PNG"
    dashboard = _demo_figures()
    assert len(dashboard.timeline) >= 14
    assert all(row.attempts > 0 for row in dashboard.students)
    assert dashboard.confusion.mistakes()  # some b/d-style mix-ups to look at


def test_without_the_shared_data_it_draws_synthetic_ink(settings, tmp_path) -> None:
    settings.TRAINING_DATA_DIR = tmp_path  # nothing there
    call_command("seed_demo", stdout=StringIO())
    attempt = Attempt.objects.filter(exercise__classroom__name="Demo class").first()
    assert attempt is not None and attempt.ink["strokes"]
    assert all(len(point) == 3 for stroke in attempt.ink["strokes"] for point in stroke)
