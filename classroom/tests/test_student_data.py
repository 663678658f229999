"""A student's data: their class's teacher downloads it (JSON) and deletes it, after a
confirmation; both are audited; nobody else can."""

import json

import pytest
from django.test import Client
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


# What the export holds: every attempt with its ink, checks, verdict and comments, and the
# chat messages the student wrote; the readable page shows the same, each drawing as an SVG.


@pytest.fixture
def rich_attempt(student, classroom, teacher):
    from chat import services as chat

    attempt = AttemptFactory.create(
        student=student, exercise=ExerciseFactory.create(classroom=classroom, title="Loops"),
        target="b", ink={"strokes": [[[0, 0, 0], [0, 40, 20], [20, 40, 30]], [[30, 5, 50]]]},
        status="recognized", predicted_label="h", correct=False, score=42, confidence=0.61,
        checks=[{"name": "legible", "ok": False, "message": "It looks like an h."},
                {"name": "start", "ok": True, "message": ""}],
        verified=True, verified_label="h", verified_by=teacher,
    )  # fmt: skip
    chat.comment_add(teacher=teacher, attempt=attempt, body="Close the bowl of the b")
    chat.message_post(user=student, classroom=classroom, body="I <b>love</b> writing")
    return attempt


def test_the_json_holds_checks_verdicts_comments_and_chat_messages(
    client_as, teacher, classroom, student, rich_attempt
):
    data = client_as(teacher).get(url("class_student_export", classroom, student)).json()
    (exported,) = data["attempts"]
    assert exported["ink"] == rich_attempt.ink and exported["recognised_as"] == "h"
    assert exported["checks"][0] == {"name": "legible", "ok": False,
                                     "message": "It looks like an h."}  # fmt: skip
    assert exported["verdict"]["label"] == "h" and exported["verdict"]["by"] == "ms_quill"
    (comment,) = exported["comments"]
    assert comment["body"] == "Close the bowl of the b" and comment["by"] == "Ms Quill"
    (message,) = data["chat_messages"]
    assert message["body"] == "I <b>love</b> writing" and message["class"] == "Class 3B"
    assert data["discord_links"] == [] and data["classes"][0]["teacher"] == "Ms Quill"


def test_the_readable_page_draws_every_attempt_and_shows_what_was_said(
    client_as, teacher, classroom, student, rich_attempt
):
    AttemptFactory.create(student=student, exercise=rich_attempt.exercise, target="c")
    response = client_as(teacher).get(url("class_student_data", classroom, student))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert page.count('<svg class="ink-picture"') == 2
    # The b's first stroke, fitted into the square: 40 high becomes 80 (a margin of 10), and
    # the drawing's 30 wide (60) is centred, 20 from the left.
    assert '<path d="M20.0 10.0 L20.0 90.0 L60.0 90.0"' in page
    assert '<circle cx="80.0" cy="20.0" r="2.4"' in page  # the dot: a one-point stroke
    assert "It looks like an h." in page and "Close the bowl of the b" in page
    assert 'the child wrote <strong class="glyph">h</strong>' in page
    assert "I &lt;b&gt;love&lt;/b&gt; writing" in page  # escaped, never markup
    (entry,) = AuditEntry.objects.filter(action="student.export")
    assert entry.actor == teacher and entry.details == {"form": "page"}


def test_the_readable_page_has_no_inline_script_or_style(
    client_as, teacher, classroom, student, rich_attempt
):
    page = client_as(teacher).get(url("class_student_data", classroom, student)).content.decode()
    assert "style=" not in page
    scripts = page.count("<script")
    assert scripts == page.count("<script src=")


def test_an_admin_reads_and_downloads_a_students_data_and_both_are_recorded(
    client_as, staff, classroom, student, attempt
):
    client = client_as(staff)
    assert client.get(url("class_student_data", classroom, student)).status_code == 200
    assert client.get(url("class_student_export", classroom, student)).status_code == 200
    forms = [e.details["form"] for e in AuditEntry.objects.filter(actor=staff)]
    assert sorted(forms) == ["json", "page"]


def test_a_student_reads_and_downloads_their_own_data(client_as, student, rich_attempt):
    client = client_as(student)
    page = client.get(reverse("my_data")).content.decode()
    assert "Everything Inkwell holds about me" in page and "Close the bowl of the b" in page
    data = client.get(reverse("my_data_export")).json()
    assert [a["id"] for a in data["attempts"]] == [rich_attempt.pk]


def test_another_students_data_is_never_in_the_export(client_as, student, other_student):
    AttemptFactory.create(student=other_student, target="z")
    data = client_as(student).get(reverse("my_data_export")).json()
    assert data["attempts"] == [] and data["account"]["username"] == "ada"


def test_deleting_a_student_blanks_their_chat_messages_and_takes_them_out_of_training(
    client_as, teacher, classroom, student, rich_attempt
):
    from chat.models import Message
    from classroom import selectors

    classroom.allow_training_use = True
    classroom.save()
    assert [row[2] for row in selectors.verified_training_attempts()] == [student.pk]
    written = Message.objects.get(body="I <b>love</b> writing")
    client_as(teacher).post(url("class_student_delete", classroom, student))
    written.refresh_from_db()
    assert written.body == "" and written.removed_at is not None and written.author is None
    assert list(selectors.verified_training_attempts()) == []
    assert not Message.objects.filter(body__contains="bowl").exists()  # the comment's message


def test_deleting_a_student_forgets_their_sign_in_records(client_as, teacher, classroom, student):
    from axes.models import AccessAttempt, AccessFailureLog

    Client().post(reverse("login"), {"username": "ada", "password": "wrong"})
    assert AccessAttempt.objects.filter(username="ada").exists()
    client_as(teacher).post(url("class_student_delete", classroom, student))
    assert not AccessAttempt.objects.filter(username="ada").exists()
    assert not AccessFailureLog.objects.filter(username="ada").exists()


def test_odd_stored_ink_still_draws_and_a_label_is_escaped():
    from classroom import charts

    picture = charts.ink_picture(
        {"strokes": [[["x", 1], [float("nan"), 2], [True, 3]], "junk"]}, label='<b>"a"</b>'
    )
    assert "no ink stored" in picture and "<path" not in picture
    assert "&lt;b&gt;&quot;a&quot;&lt;/b&gt;" in picture
