"""A teacher lets a locked-out student of their class sign in again; nobody else can."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from classroom.tests.factories import PASSWORD, MembershipFactory, StudentFactory

pytestmark = pytest.mark.django_db


def lock_out(student, settings):
    """Wrong passwords from many addresses lock `student` out."""
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client(REMOTE_ADDR=f"10.9.0.{n + 1}").post(
            "/accounts/login/", {"username": student.username, "password": "wrong"}
        )
    assert AccessAttempt.objects.filter(username=student.username).exists()
    return student


@pytest.fixture
def locked_out(student, settings):
    return lock_out(student, settings)


def unlock_url(classroom, student):
    return reverse("class_student_unlock", kwargs={"pk": classroom.pk, "student_id": student.pk})


def test_the_teacher_sees_the_lockout_and_lets_the_student_back_in(
    client_as, teacher, classroom, locked_out
):
    client = client_as(teacher)
    page = client.get(
        reverse("class_student", kwargs={"pk": classroom.pk, "student_id": locked_out.pk})
    )
    assert "cannot sign in for a while" in page.content.decode()
    assert unlock_url(classroom, locked_out) in page.content.decode()
    response = client.post(unlock_url(classroom, locked_out))
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=locked_out.username).exists()
    signed_in = Client(REMOTE_ADDR="10.9.1.1").post(
        "/accounts/login/", {"username": locked_out.username, "password": PASSWORD}
    )
    assert signed_in.status_code == 302


@pytest.fixture
def classmate(classroom):
    member = StudentFactory.create(username="bo")
    MembershipFactory.create(classroom=classroom, student=member)
    return member


@pytest.mark.parametrize(
    ("who", "status"), [("other_teacher", 404), ("classmate", 403), ("anonymous", 302)]
)
def test_nobody_else_can_clear_a_lockout(
    request, client_as, classroom, student, settings, who, status
):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_as(user)  # logged in first: a successful login clears that account's lockout
    locked_out = lock_out(student, settings)
    response = client.post(unlock_url(classroom, locked_out))
    assert response.status_code == status
    assert AccessAttempt.objects.filter(username=locked_out.username).exists()


def test_unlocking_is_a_post(client_as, teacher, classroom, locked_out):
    assert client_as(teacher).get(unlock_url(classroom, locked_out)).status_code == 405
