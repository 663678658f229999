"""Teacher and admin actions leave an audit entry: who did what to which object, when;
admins read the trail in the admin, filtered; nobody edits it."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from classroom import services
from classroom.models import Attempt
from classroom.tests.factories import (
    AttemptFactory,
    ClassroomFactory,
    MembershipFactory,
    StaffFactory,
    StudentFactory,
    TeacherFactory,
)
from recognition import services as recognition_services
from recognition.models import ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher():
    return TeacherFactory.create(username="ms_quill")


@pytest.fixture
def classroom(teacher):
    return ClassroomFactory.create(teacher=teacher, name="Class 3B")


@pytest.fixture
def student(classroom):
    member = StudentFactory.create(username="ada")
    MembershipFactory.create(classroom=classroom, student=member)
    return member


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action))


def test_a_verdict_records_the_teacher_the_attempt_and_what_they_said(teacher, classroom, student):
    attempt = AttemptFactory.create(student=student, exercise__classroom=classroom, target="a")
    client = Client()
    client.force_login(teacher)
    client.post(
        reverse("attempt_verdict", kwargs={"pk": attempt.pk}), {"verdict": "wrong", "label": "d"}
    )
    (entry,) = entries("verdict.set")
    assert (entry.actor, entry.actor_name) == (teacher, "ms_quill")
    assert (entry.target_type, entry.target_id) == ("classroom.attempt", str(attempt.pk))
    assert entry.details == {"correct": False, "label": "d"}


def test_roster_changes_and_lockout_clears_are_recorded(teacher, classroom, student):
    services.student_lockout_clear(actor=teacher, classroom=classroom, student=student)
    services.class_remove_student(classroom=classroom, student=student)
    assert [e.target_id for e in entries("lockout.clear")] == [str(student.pk)]
    assert [e.actor for e in entries("roster.remove")] == [teacher]


def test_model_activation_and_rollback_are_recorded():
    admin = StaffFactory.create(is_superuser=True)
    shipped = ModelVersion.objects.get(status=ModelVersion.Status.ACTIVE)
    copy = ModelVersion.objects.create(
        name="copy", status="ready", artifact_dir=shipped.artifact_dir
    )
    recognition_services.model_activate(version=copy, user=admin, confirm_worse=True)
    recognition_services.model_rollback(user=admin)
    assert [e.target_name for e in entries("model.activate")][::-1][0].startswith(str(copy)[:4])
    assert len(entries("model.rollback")) == 1 and entries("model.rollback")[0].actor == admin


def test_an_entry_outlives_the_actor_it_names(teacher, classroom):
    services.class_set_training_use(classroom=classroom, allowed=True)
    classroom.delete()
    teacher.delete()
    (entry,) = entries("class.training_use")
    assert entry.actor is None and entry.actor_name == "ms_quill"
    assert entry.target_name == "Class 3B"


def test_admins_read_the_trail_filtered_and_cannot_edit_it(teacher, classroom, student):
    services.student_lockout_clear(actor=teacher, classroom=classroom, student=student)
    services.class_set_training_use(classroom=classroom, allowed=False)
    admin = Client()
    admin.force_login(StaffFactory.create(is_superuser=True))
    listed = admin.get("/admin/audit/auditentry/?action=lockout.clear")
    shown = [entry.action for entry in listed.context["cl"].result_list]
    assert shown == ["lockout.clear"]
    entry = AuditEntry.objects.get(action="lockout.clear")
    assert admin.get(f"/admin/audit/auditentry/{entry.pk}/delete/").status_code == 403
    assert admin.get("/admin/audit/auditentry/add/").status_code == 403


@pytest.mark.parametrize("who", ["teacher", "student", None])
def test_nobody_but_staff_reads_the_trail(teacher, student, who):
    client = Client()
    if who:
        client.force_login(teacher if who == "teacher" else student)
    assert client.get("/admin/audit/auditentry/").status_code == 302  # to the admin's login


def test_a_csv_download_is_recorded_with_its_filters_by_teacher_and_admin(teacher, classroom):
    staff = StaffFactory.create()
    for user in (teacher, staff):
        client = Client()
        client.force_login(user)
        url = reverse("class_attempts_csv", kwargs={"pk": classroom.pk}) + "?from=2026-01-01"
        response = client.get(url)
        assert response.status_code == 200
        assert response.getvalue().startswith(b"attempt_id,")
    recorded = entries("class.export_csv")
    assert [e.actor for e in recorded] == [staff, teacher]  # newest first
    assert recorded[0].target_id == str(classroom.pk)
    assert recorded[0].details == {"filters": {"from": "2026-01-01"}}


def test_an_admin_deleting_a_student_in_the_admin_is_recorded_and_takes_their_data(student):
    AttemptFactory.create(student=student)
    admin = StaffFactory.create(is_superuser=True)
    client = Client()
    client.force_login(admin)
    response = client.post(f"/admin/classroom/user/{student.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    (entry,) = entries("student.delete")
    assert entry.actor == admin and entry.details == {"attempts": 1}
    assert not Attempt.objects.filter(student_id=student.pk).exists()


def test_an_admin_deleting_accounts_in_bulk_records_each(student):
    other = TeacherFactory.create(username="mr_gone")
    client = Client()
    client.force_login(StaffFactory.create(is_superuser=True))
    client.post(
        "/admin/classroom/user/",
        {"action": "delete_selected", "_selected_action": [student.pk, other.pk], "post": "yes"},
    )
    assert [e.target_name for e in entries("student.delete")] == ["ada"]
    assert [e.target_name for e in entries("user.delete")] == ["mr_gone"]
    assert entries("user.delete")[0].details == {"role": "teacher"}


def test_an_admin_deleting_attempts_in_the_admin_records_each(student):
    attempts = [AttemptFactory.create(student=student) for _ in range(2)]
    admin = StaffFactory.create(is_superuser=True)
    client = Client()
    client.force_login(admin)
    client.post(
        "/admin/classroom/attempt/",
        {"action": "delete_selected", "_selected_action": [a.pk for a in attempts], "post": "yes"},
    )
    assert not Attempt.objects.filter(pk__in=[a.pk for a in attempts]).exists()
    recorded = entries("attempt.delete")
    assert sorted(e.target_id for e in recorded) == sorted(str(a.pk) for a in attempts)
    assert {e.actor for e in recorded} == {admin}


def test_an_admin_downloads_a_students_data_from_the_admin_and_it_is_recorded(student):
    admin = StaffFactory.create(is_superuser=True)
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/admin/classroom/user/",
        {"action": "export_student_data", "_selected_action": [student.pk]},
    )
    assert response.status_code == 200
    assert response.json()["account"]["username"] == "ada"
    (entry,) = entries("student.export")
    assert entry.actor == admin and entry.details == {"form": "json"}
