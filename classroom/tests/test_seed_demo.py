from io import StringIO

import pytest
from django.core.management import call_command

from classroom.management.commands.seed_demo import DEMO_JOIN_CODE
from classroom.models import Attempt, Classroom, Exercise, Membership, User

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, list]:
    return {
        "users": list(User.objects.order_by("pk").values()),
        "classes": list(Classroom.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "exercises": list(Exercise.objects.order_by("pk").values()),
        "attempts": list(Attempt.objects.order_by("pk").values("pk")),
    }


def test_it_creates_the_demo_logins_and_class() -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert User.objects.get(username="teacher").check_password("inkwell-teacher")
    for name in ("ada", "ben", "cleo"):
        assert User.objects.get(username=name).check_password("inkwell-student")
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.check_password("inkwell-admin")
    demo = Classroom.objects.get(name="Demo class")
    assert demo.join_code == DEMO_JOIN_CODE
    assert demo.students.count() == 3
    assert set(demo.exercises.values_list("title", flat=True)) == {"Digits", "Lower-case vowels"}
    text = out.getvalue()
    assert "teacher / inkwell-teacher" in text and "http://127.0.0.1:8000/" in text


def test_running_it_twice_changes_nothing() -> None:
    call_command("seed_demo", stdout=StringIO())
    before = _snapshot()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert _snapshot() == before
    assert "unchanged" in out.getvalue()
