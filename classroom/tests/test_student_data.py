"""A student's data: their class's teacher downloads it (JSON) and deletes it, after a
confirmation; both are audited; nobody else can."""

import json

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from classroom.models import Attempt, User
from classroom.tests.factories import (
    AttemptFactory,
    ClassroomFactory,
    ExerciseFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(student, classroom):
    return AttemptFactory.create(
        student=student, exercise=ExerciseFactory.create(classroom=classroom), target="a",
        ink={"strokes": [[[0, 0, 0], [3, 9, 16]]]}, verified=True, verified_label="d",
        correct=False,
    )  # fmt: skip


def url(name, classroom, student):
    return reverse(name, kwargs={"pk": classroom.pk, "student_id": student.pk})


def test_the_teacher_downloads_every_attempt_with_its_ink_and_verdict(
    client_as, teacher, classroom, student, attempt
):
    response = client_as(teacher).get(url("class_student_export", classroom, student))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["username"] == student.username
    (exported,) = data["attempts"]
    assert exported["ink"] == attempt.ink and exported["verdict"]["label"] == "d"
    assert AuditEntry.objects.filter(action="student.export", actor=teacher).count() == 1


def test_deleting_asks_first_then_removes_the_student_and_their_attempts(
    client_as, teacher, classroom, student, attempt
):
    client = client_as(teacher)
    page = client.get(url("class_student_delete", classroom, student))
    assert page.status_code == 200 and "cannot be undone" in page.content.decode()
    assert User.objects.filter(pk=student.pk).exists()
    response = client.post(url("class_student_delete", classroom, student))
    assert response.status_code == 302
    assert not User.objects.filter(pk=student.pk).exists()
    assert not Attempt.objects.filter(pk=attempt.pk).exists()
    (entry,) = AuditEntry.objects.filter(action="student.delete")
    assert entry.actor == teacher and entry.details == {"attempts": 1}


def test_a_student_of_another_teacher_too_is_left_to_an_admin(
    client_as, teacher, classroom, student
):
    MembershipFactory.create(classroom=ClassroomFactory.create(), student=student)
    response = client_as(teacher).post(url("class_student_delete", classroom, student))
    assert response.status_code == 200 and "Ask an admin" in response.content.decode()
    assert User.objects.filter(pk=student.pk).exists()


@pytest.mark.parametrize("name", ["class_student_export", "class_student_delete"])
@pytest.mark.parametrize(
    ("who", "status"), [("other_teacher", 404), ("other_student", 404), ("anonymous", 302)]
)
def test_nobody_else_reaches_a_students_data(
    request, client_as, classroom, student, name, who, status
):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_as(user)
    assert client.get(url(name, classroom, student)).status_code == status
    assert client.post(url(name, classroom, student)).status_code == status
    assert User.objects.filter(pk=student.pk).exists()


def test_the_student_themself_cannot_export_or_delete_through_the_class(
    client_as, classroom, student
):
    client = client_as(student)
    assert client.get(url("class_student_export", classroom, student)).status_code == 403
    assert client.post(url("class_student_delete", classroom, student)).status_code == 403
    assert User.objects.filter(pk=student.pk).exists()
