import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from classroom import services
from classroom.models import Classroom, Membership, TeacherInvitation, User
from classroom.tests.factories import PASSWORD, StudentFactory, TeacherFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "blue-kite-over-hill"


def _sign_up(client: Client, **fields: str):
    data = {
        "username": "newbie",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "role": "student",
        **fields,
    }
    return client.post(reverse("signup"), data)


def test_it_signs_up_a_student_without_an_email(client: Client) -> None:
    response = _sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get(username="newbie")
    assert user.role == User.Role.STUDENT
    assert user.email == ""
    assert int(client.session[SESSION_KEY]) == user.pk


def test_a_teacher_sign_up_is_a_students_account_until_an_admin_approves(
    client: Client, admin_client: Client
) -> None:
    response = _sign_up(client, username="msquill", role="teacher", email="q@example.org")
    assert response.status_code == 302
    waiting = User.objects.get(username="msquill")
    assert waiting.is_student and waiting.awaits_teacher_approval
    assert "an admin checks" in client.get(reverse("home")).content.decode()
    assert client.post(reverse("class_create"), {"name": "Sneaky"}).status_code == 403

    pending = admin_client.get("/admin/classroom/user/?pending_teacher=yes")
    assert [u.username for u in pending.context["cl"].result_list] == ["msquill"]
    admin_client.post(
        "/admin/classroom/user/", {"action": "approve_teachers", "_selected_action": [waiting.pk]}
    )
    waiting.refresh_from_db()
    assert waiting.is_teacher and not waiting.awaits_teacher_approval
    assert AuditEntry.objects.filter(action="teacher.approve", target_id=str(waiting.pk)).exists()
    assert client.post(reverse("class_create"), {"name": "Class 1"}).status_code == 302


def test_it_joins_a_student_to_a_class_at_sign_up(client: Client, classroom: Classroom) -> None:
    code = f" {classroom.join_code[:4].lower()}-{classroom.join_code[4:]} "
    _sign_up(client, join_code=code)
    user = User.objects.get(username="newbie")
    assert Membership.objects.filter(classroom=classroom, student=user).exists()


def test_it_rejects_a_wrong_code_at_sign_up_and_keeps_no_account(client: Client) -> None:
    response = _sign_up(client, join_code="ZZZZZZZZ")
    assert response.status_code == 200
    assert response.context["form"].errors["join_code"] == [
        "No class has this code. Check it with your teacher."
    ]
    assert not User.objects.filter(username="newbie").exists()


def test_it_rejects_an_archived_class_at_sign_up(client: Client, classroom: Classroom) -> None:
    classroom.archived_at = "2026-01-01T00:00Z"
    classroom.save()
    response = _sign_up(client, join_code=classroom.join_code)
    assert response.context["form"].errors["join_code"] == ["This class is archived."]
    assert not User.objects.filter(username="newbie").exists()


def test_it_rejects_a_join_code_for_a_teacher(client: Client, classroom: Classroom) -> None:
    response = _sign_up(client, role="teacher", join_code=classroom.join_code)
    assert response.context["form"].errors["join_code"] == [
        "Only students join classes with a code."
    ]


def test_it_shows_password_errors_on_the_password_field(client: Client) -> None:
    response = _sign_up(client, password1="abc", password2="abc")
    assert "password2" in response.context["form"].errors
    assert not User.objects.exists()


def test_it_rejects_a_taken_username(client: Client) -> None:
    StudentFactory.create(username="newbie")
    response = _sign_up(client)
    assert "username" in response.context["form"].errors


@pytest.mark.parametrize("factory", [StudentFactory, TeacherFactory], ids=["student", "teacher"])
def test_it_logs_in_with_the_standard_form(client: Client, factory) -> None:
    user = factory(username="someone")
    page = client.get(reverse("login"))
    assert 'name="username"' in page.content.decode()
    response = client.post(reverse("login"), {"username": "someone", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert int(client.session[SESSION_KEY]) == user.pk


def test_it_refuses_a_wrong_password(client: Client, student: User) -> None:
    response = client.post(reverse("login"), {"username": "ada", "password": "wrong"})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert response.context["form"].non_field_errors()


def test_it_logs_out_with_post(client: Client, student: User) -> None:
    client.force_login(student)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_it_changes_a_password(client: Client, student: User) -> None:
    client.force_login(student)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)


def test_it_emails_a_password_reset_link(client: Client) -> None:
    TeacherFactory.create(username="msquill", email="q@example.org")
    response = client.post(reverse("password_reset"), {"email": "q@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_it_creates_a_superuser_without_prompts(monkeypatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "root-password-123")
    call_command("createsuperuser", "--noinput", verbosity=0)
    root = User.objects.get(username="root")
    assert root.is_superuser and root.is_staff
    assert root.check_password("root-password-123")


def test_it_resets_a_password_through_the_emailed_link(client: Client) -> None:
    user = TeacherFactory.create(username="msquill", email="q@example.org")
    client.post(reverse("password_reset"), {"email": "q@example.org"})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get(f"/{path}", follow=True)
    assert form_page.context["validlink"]
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_an_invited_teacher_runs_classes_at_once_and_the_invitation_is_used_up(
    client: Client,
) -> None:
    invitation = services.teacher_invite(actor=TeacherFactory.create())
    _sign_up(client, username="msquill", role="teacher", invitation=invitation.code)
    teacher = User.objects.get(username="msquill")
    assert teacher.is_teacher and not teacher.awaits_teacher_approval
    again = _sign_up(Client(), username="mrsly", role="teacher", invitation=invitation.code)
    assert again.context["form"].errors["invitation"] == [
        "This invitation is unknown, used, revoked or expired."
    ]
    assert not User.objects.filter(username="mrsly").exists()


def test_an_expired_invitation_is_refused(client: Client) -> None:
    invitation = services.teacher_invite(actor=TeacherFactory.create())
    TeacherInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    response = _sign_up(client, role="teacher", invitation=invitation.code)
    assert "invitation" in response.context["form"].errors


def test_students_cannot_invite_teachers() -> None:
    with pytest.raises(services.ClassroomError):
        services.teacher_invite(actor=StudentFactory.create())


def test_an_admin_makes_an_invitation_in_the_admin(admin_client: Client) -> None:
    response = admin_client.post("/admin/classroom/teacherinvitation/add/", {})
    assert response.status_code == 302
    invitation = TeacherInvitation.objects.get()
    assert invitation.used_by is None and invitation.expires_at > timezone.now()
