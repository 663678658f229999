"""Students' sessions end with the browser, and on the server after a school day: the
tablets of a classroom are shared, and nobody logs out of them."""

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from hwr_site.sessions import SHORT_SESSION_KEY


@receiver(user_logged_in, dispatch_uid="classroom.student_sessions_are_short")
def _student_sessions_are_short(
    sender: Any, request: HttpRequest | None, user: Any, **_: Any
) -> None:
    if request is None or not getattr(user, "is_student", False):
        return
    request.session[SHORT_SESSION_KEY] = True
    request.session.set_expiry(0)  # a browser-session cookie
