"""Teachers invite colleagues: a page to make single-use, expiring links, see what became
of each and revoke unused ones; signing up with the link makes a teacher at once."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from classroom import services
from classroom.models import TeacherInvitation, User
from classroom.tests.factories import TeacherFactory

pytestmark = pytest.mark.django_db

PASSWORD = "blue-kite-over-hill"
PAGE = "/teachers/invitations/"


def _sign_up_with(client: Client, link: str, username: str = "mr_ink"):
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{path}")
    form = page.context["form"]
    return page, client.post(
        reverse("signup"),
        {"username": username, "password1": PASSWORD, "password2": PASSWORD,
         "role": form["role"].value(), "invitation": form["invitation"].value()},
    )  # fmt: skip


def test_a_teacher_makes_an_invitation_and_sees_its_link_and_expiry(client_as, teacher):
    client = client_as(teacher)
    response = client.post(PAGE, {"note": "Mr Ink (Year 2)"})
    assert response.status_code == 302
    invitation = TeacherInvitation.objects.get(created_by=teacher)
    assert invitation.note == "Mr Ink (Year 2)" and invitation.state == "open"
    page = client.get(PAGE).content.decode()
    assert f"http://testserver/accounts/signup/?invitation={invitation.code}" in page
    assert "For Mr Ink (Year 2)" in page and "Waiting to be used" in page
    assert invitation.expires_at.strftime("%-d %b %Y") in page
    (entry,) = AuditEntry.objects.filter(action="teacher.invite")
    assert entry.actor == teacher and entry.target_id == str(invitation.pk)


def test_the_link_fills_in_the_sign_up_and_makes_a_teacher_at_once(client_as, teacher):
    invitation = services.teacher_invite(actor=teacher)
    link = f"http://testserver/accounts/signup/?invitation={invitation.code}"
    page, response = _sign_up_with(Client(), link)
    assert "Ms Quill invited you to teach on Inkwell" in page.content.decode()
    assert page.context["form"]["role"].value() == "teacher"
    assert response.status_code == 302
    newcomer = User.objects.get(username="mr_ink")
    assert newcomer.is_teacher and not newcomer.awaits_teacher_approval
    listed = client_as(teacher).get(PAGE).content.decode()
    assert "used by <strong>mr_ink</strong>" in listed
    assert f"?invitation={invitation.code}" not in listed  # a used link is not offered again


def test_a_revoked_link_stops_working_and_the_sign_up_page_says_so(client_as, teacher):
    invitation = services.teacher_invite(actor=teacher)
    client = client_as(teacher)
    assert client.post(f"{PAGE}{invitation.pk}/revoke/").status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == "revoked" and invitation.revoked_at is not None
    assert "Revoked" in client.get(PAGE).content.decode()
    link = f"http://testserver/accounts/signup/?invitation={invitation.code}"
    page, response = _sign_up_with(Client(), link)
    assert "withdrawn by whoever sent it" in page.content.decode()
    assert response.context["form"].errors["invitation"] == [
        "This invitation is unknown, used, revoked or expired."
    ]
    assert not User.objects.filter(username="mr_ink").exists()
    (entry,) = AuditEntry.objects.filter(action="teacher.invite_revoke")
    assert entry.actor == teacher and entry.target_id == str(invitation.pk)


def test_an_expired_invitation_is_shown_expired_on_both_pages(client_as, teacher):
    invitation = services.teacher_invite(actor=teacher)
    TeacherInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    page = client_as(teacher).get(PAGE).content.decode()
    assert 'data-state="expired"' in page and "Copy link" not in page
    signup = Client().get(f"/accounts/signup/?invitation={invitation.code}").content.decode()
    assert "This invitation has expired" in signup


def test_an_unknown_code_in_the_link_is_said_plainly(client):
    page = client.get("/accounts/signup/?invitation=not-a-code").content.decode()
    assert "Inkwell does not know this invitation" in page


def test_a_used_invitation_cannot_be_revoked(client_as, teacher):
    invitation = services.teacher_invite(actor=teacher)
    services.user_sign_up(
        username="mr_ink", password=PASSWORD, role="teacher", invitation=invitation.code
    )
    response = client_as(teacher).post(f"{PAGE}{invitation.pk}/revoke/", follow=True)
    assert "has been used already" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None and invitation.state == "used"


def test_a_teacher_cannot_revoke_another_teachers_invitation(client_as, teacher, other_teacher):
    invitation = services.teacher_invite(actor=teacher)
    assert client_as(other_teacher).post(f"{PAGE}{invitation.pk}/revoke/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.state == "open"


def test_a_teacher_has_at_most_ten_open_invitations(client_as, teacher):
    for _ in range(services.MAX_OPEN_INVITATIONS):
        services.teacher_invite(actor=teacher)
    response = client_as(teacher).post(PAGE, {"note": "one too many"})
    assert response.status_code == 400
    assert "revoke one first" in response.content.decode()
    assert TeacherInvitation.objects.filter(created_by=teacher).count() == 10
    services.teacher_invitation_revoke(
        actor=teacher, invitation=TeacherInvitation.objects.filter(created_by=teacher)[0]
    )
    assert client_as(teacher).post(PAGE, {"note": "now it fits"}).status_code == 302


def test_the_teachers_home_links_to_the_invitations(client_as, teacher):
    assert PAGE in client_as(teacher).get("/").content.decode()


def test_an_admin_revokes_in_the_admin_and_the_admin_lists_pending_teachers(admin_client):
    invitation = services.teacher_invite(actor=TeacherFactory.create())
    admin_client.post(
        "/admin/classroom/teacherinvitation/",
        {"action": "revoke", "_selected_action": [invitation.pk]},
    )
    invitation.refresh_from_db()
    assert invitation.state == "revoked"
    services.user_sign_up(username="waiting", password=PASSWORD, role="teacher")
    pending = admin_client.get("/admin/classroom/user/?pending_teacher=yes")
    assert [u.username for u in pending.context["cl"].result_list] == ["waiting"]
