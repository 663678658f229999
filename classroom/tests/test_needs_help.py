"""The dashboard's "who needs help with what" on seeded attempts, and its query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from classroom import selectors
from classroom.tests.factories import (
    AttemptFactory,
    ExerciseFactory,
    MembershipFactory,
    StudentFactory,
)

pytestmark = pytest.mark.django_db


def failed(*names: str) -> dict:
    """An attempt's fields for checks with `names` failed (the rest passed)."""
    messages = {"placement": "Sit it on the bottom line.", "start": "Start at the top."}
    checks = [
        {"name": n, "ok": n not in names, "message": messages.get(n, "")}
        for n in ("legible", "orientation", "start", "placement")
    ]
    return {"checks": checks, "failed_checks": ",".join(names)}


@pytest.fixture
def digits(classroom):
    return ExerciseFactory.create(classroom=classroom, characters="0123456789abo")


def test_each_student_gets_the_problems_that_matter_most(classroom, student, digits):
    for target, n in (("5", 4), ("2", 2)):  # reverses 5 and 2, 5 more often
        for _ in range(n):
            AttemptFactory.create(
                student=student, exercise=digits, target=target, predicted_label="",
                correct=False, **failed("legible", "orientation"),
            )  # fmt: skip
    for target in "ab":
        for _ in range(3):
            AttemptFactory.create(
                student=student, exercise=digits, target=target, **failed("placement")
            )
    AttemptFactory.create(student=student, exercise=digits, target="o", **failed("start"))  # once
    AttemptFactory.create(student=student, exercise=digits, target="o", **failed())

    needs = selectors.class_needs_help(classroom=classroom, students=[student])

    (row,) = needs.students
    assert [p.text for p in row.problems] == [
        "reverses 5 and 2",
        "a and b float above the baseline",
    ]
    example = row.problems[0].example_id
    assert example is not None and digits.attempts.get(pk=example).target == "5"
    assert needs.checks[0][:2] == ("orientation", "Faces the right way")
    assert [c for c, _, _ in needs.characters][:2] == ["2", "5"]  # every one of them failed


def test_a_student_with_nothing_twice_is_not_listed(classroom, student, digits):
    AttemptFactory.create(student=student, exercise=digits, target="o", **failed("start"))
    AttemptFactory.create(student=student, exercise=digits, target="3", **failed())
    assert selectors.class_needs_help(classroom=classroom, students=[student]).students == []


def test_the_dashboard_names_who_needs_help_with_a_replay_link(client_as, classroom, digits):
    pupil = StudentFactory.create(first_name="Zoe")
    MembershipFactory.create(classroom=classroom, student=pupil)
    attempts = [
        AttemptFactory.create(student=pupil, exercise=digits, target="o", **failed("start"))
        for _ in range(2)
    ]
    page = client_as(classroom.teacher).get(reverse("class_dashboard", args=[classroom.pk]))
    html = page.content.decode()
    assert "Who needs help with what" in html
    assert "starts o in the wrong place" in html
    assert reverse("attempt_detail", args=[attempts[-1].pk]) in html
    assert '<details id="dash-charts"' in html  # the charts stay, folded below


def _grow(classroom, exercise, students: int) -> None:
    for i in range(students):
        pupil = StudentFactory.create()
        MembershipFactory.create(classroom=classroom, student=pupil)
        for target in "52o":
            for _ in range(2):
                AttemptFactory.create(
                    student=pupil, exercise=exercise, target=target,
                    **failed("orientation" if i % 2 else "start"),
                )  # fmt: skip


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_dashboard_query_count_is_the_same_for_5_and_40_students(client_as, classroom, digits):
    client = client_as(classroom.teacher)
    url = reverse("class_dashboard", args=[classroom.pk])
    _grow(classroom, digits, students=5)
    five = _queries(client, url)
    _grow(classroom, digits, students=35)
    assert len(selectors.class_needs_help(
        classroom=classroom, students=list(classroom.students.all())
    ).students) == 40  # fmt: skip
    assert _queries(client, url) == five


def test_an_attempt_links_to_the_next_one_to_check_and_says_what_each_button_does(
    client_as, classroom, student, digits
):
    wrong = AttemptFactory.create(student=student, exercise=digits, target="5", correct=False)
    AttemptFactory.create(student=student, exercise=digits, target="3", **failed())  # fine
    shown = AttemptFactory.create(student=student, exercise=digits, target="o", **failed("start"))
    html = (
        client_as(classroom.teacher)
        .get(reverse("attempt_detail", args=[shown.pk]))
        .content.decode()
    )
    assert f'id="next-to-check" href="{reverse("attempt_detail", args=[wrong.pk])}"' in html
    assert "Mark correct</strong>: it counts as right" in html
    assert 'data-check="start" data-ok="false"' in html
