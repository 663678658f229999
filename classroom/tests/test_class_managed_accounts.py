"""The teacher adds students by name and prints their login cards; the teacher gives a
student a new password. Children need no email and pick no password."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from classroom.models import Membership, User

pytestmark = pytest.mark.django_db


def add(client, classroom, names: str = "", roster: bytes | None = None):
    data: dict = {"names": names}
    if roster is not None:
        data["roster"] = SimpleUploadedFile("class.csv", roster, content_type="text/csv")
    return client.post(reverse("class_students_add", kwargs={"pk": classroom.pk}), data)


def cards(response) -> list[tuple[str, str]]:
    page = response.content.decode()
    users = re.findall(r"<dt>Username</dt><dd><code>([^<]+)</code>", page)
    passwords = re.findall(r"<dt>Password</dt><dd><code>([^<]+)</code>", page)
    return list(zip(users, passwords, strict=True))


def test_the_teacher_adds_students_by_name_and_each_card_signs_in(client_as, teacher, classroom):
    response = add(client_as(teacher), classroom, "Ada Lovelace\nAlan, Turing\nGrace\n")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    made = cards(response)
    assert len(made) == 3
    for username, password in made:
        user = User.objects.get(username=username)
        assert user.is_student and user.email == ""
        assert Membership.objects.filter(classroom=classroom, student=user).exists()
        assert re.fullmatch(r"[a-z]+-[a-z]+-\d\d", password)
        signed_in = Client().post("/accounts/login/", {"username": username, "password": password})
        assert signed_in.status_code == 302
    assert User.objects.get(username=made[0][0]).first_name == "Ada Lovelace"
    assert made[0][0].startswith("ada.lovelace.")
    alan = User.objects.get(username=made[1][0])
    assert (alan.first_name, alan.last_name) == ("Alan", "Turing")
    assert made[1][0].startswith("alan.turing.")
    assert AuditEntry.objects.filter(action="roster.add").count() == 1


def test_usernames_stay_unique_for_children_of_the_same_name(client_as, teacher, classroom):
    made = cards(add(client_as(teacher), classroom, "\n".join(["Sam"] * 8)))
    assert len({u for u, _ in made}) == 8


def test_no_names_is_an_error_on_the_page(client_as, teacher, classroom):
    response = add(client_as(teacher), classroom, "  \n ")
    assert response.status_code == 200 and "Type at least one name." in response.content.decode()


def names_added(response) -> list[tuple[str, str]]:
    return [
        (u.first_name, u.last_name)
        for u in (User.objects.get(username=username) for username, _ in cards(response))
    ]


def test_names_pasted_from_a_spreadsheet_are_first_and_last_names(client_as, teacher, classroom):
    response = add(client_as(teacher), classroom, "First name\tLast name\nAda\tLovelace\nGrace\t\n")
    assert names_added(response) == [("Ada", "Lovelace"), ("Grace", "")]


def test_the_teacher_adds_a_class_from_a_csv_file(client_as, teacher, classroom):
    roster = '\ufeffFirst name,Last name\r\nAda,Lovelace\r\n"Jo, Jr",Ito\r\nZoë\r\n,\r\n'
    response = add(client_as(teacher), classroom, roster=roster.encode())
    assert names_added(response) == [("Ada", "Lovelace"), ("Jo, Jr", "Ito"), ("Zoë", "")]
    assert Membership.objects.filter(classroom=classroom).count() == 3


def test_a_csv_file_without_a_header_adds_every_line(client_as, teacher, classroom):
    response = add(client_as(teacher), classroom, roster=b"Ada\nAlan,Turing\n")
    assert names_added(response) == [("Ada", ""), ("Alan", "Turing")]


@pytest.mark.parametrize(
    ("roster", "message"),
    [
        ("Zoë,Müller\n".encode("utf-16"), "not UTF-8"),
        (b"Ada\n" * 20_000, "too big"),
        ("\n".join(f"Child {n}" for n in range(61)).encode(), "That file has 61 names"),
    ],
    ids=["not-utf8", "too-big", "too-many-rows"],
)
def test_a_bad_csv_file_is_an_error_on_the_form_and_adds_no_one(
    client_as, teacher, classroom, roster, message
):
    before = User.objects.count()
    response = add(client_as(teacher), classroom, roster=roster)
    page = response.content.decode()
    assert response.status_code == 200 and message in page
    assert 'id="roster-error"' in page
    assert User.objects.count() == before


def test_the_teacher_gives_a_student_a_new_password(client_as, teacher, classroom, student):
    url = reverse("class_student_password", kwargs={"pk": classroom.pk, "student_id": student.pk})
    ((username, password),) = cards(client_as(teacher).post(url))
    assert username == student.username
    assert (
        Client().post("/accounts/login/", {"username": username, "password": password}).status_code
        == 302
    )
    assert AuditEntry.objects.filter(action="password.reset", actor=teacher).count() == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("other_teacher", 404), ("student", 403), ("other_student", 404), ("anonymous", 302)],
)
def test_only_the_classs_teacher_adds_students_or_resets_passwords(
    request, client_as, classroom, student, who, status
):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_as(user)
    before = User.objects.count()
    assert add(client, classroom, "Mallory").status_code == status
    reset = reverse("class_student_password", kwargs={"pk": classroom.pk, "student_id": student.pk})
    assert client.post(reset).status_code == status
    assert User.objects.count() == before
