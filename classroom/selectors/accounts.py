"""Reads about accounts: the teacher invitations a person has made, one by its code."""

from django.db.models import QuerySet

from classroom.models import TeacherInvitation, User

CODE_MAX = 32  # TeacherInvitation.code's max_length: a longer query string is no code


def invitations_sent(*, user: User) -> QuerySet[TeacherInvitation]:
    """The invitations `user` made, newest first, with who used them."""
    return (
        TeacherInvitation.objects.filter(created_by=user)
        .select_related("used_by")
        .order_by("-created_at", "-id")
    )


def invitation_by_code(*, code: str) -> TeacherInvitation | None:
    """The invitation with this code (any state), for the sign-up page to say who invited."""
    code = code.strip()
    if not code or len(code) > CODE_MAX:
        return None
    return TeacherInvitation.objects.select_related("created_by").filter(code=code).first()
