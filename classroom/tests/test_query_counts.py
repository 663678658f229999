"""Pages cost a fixed number of queries, however big the class."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from classroom.models import Classroom, User
from classroom.tests.factories import (
    AttemptFactory,
    ExerciseFactory,
    MembershipFactory,
    StudentFactory,
)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow(classroom: Classroom, students: int, exercises: int) -> None:
    made = [ExerciseFactory.create(classroom=classroom) for _ in range(exercises)]
    for _ in range(students):
        student = StudentFactory.create()
        MembershipFactory.create(classroom=classroom, student=student)
        for exercise in made:
            AttemptFactory.create(student=student, exercise=exercise)


def test_the_class_page_does_not_query_per_student(client_as, classroom: Classroom) -> None:
    client = client_as(classroom.teacher)
    url = reverse("class_detail", kwargs={"pk": classroom.pk})
    _grow(classroom, students=1, exercises=1)
    small = _queries(client, url)
    _grow(classroom, students=8, exercises=3)
    assert _queries(client, url) == small


def test_the_student_home_does_not_query_per_exercise(
    client_as, student: User, classroom: Classroom
) -> None:
    client = client_as(student)
    ExerciseFactory.create(classroom=classroom)
    small = _queries(client, reverse("home"))
    for _ in range(6):
        ExerciseFactory.create(classroom=classroom)
    assert _queries(client, reverse("home")) == small
