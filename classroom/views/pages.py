"""How pages answer `classroom.access`: what a user may not see is a 404, a forbidden
action on a visible object (or a page for the other role) a 403. Anonymous users are sent to
log in by `login_required` before any of this."""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from classroom import access
from classroom.models import Classroom, Exercise, User

T = TypeVar("T")


def user_of(request: HttpRequest) -> User:
    return cast(User, request.user)


def decided(decide: Callable[..., T], request: HttpRequest, **kwargs: Any) -> T:
    """What `classroom.access` decides, as a page answers it: 404 or 403."""
    try:
        return decide(user=user_of(request), **kwargs)
    except access.NotVisible as error:
        raise Http404(error.message) from error
    except access.NotAllowed as error:
        raise PermissionDenied(error.message) from error


def viewed_classroom(request: HttpRequest, pk: int) -> Classroom:
    return decided(access.classroom_to_view, request, pk=pk)


def managed_classroom(request: HttpRequest, pk: int) -> Classroom:
    return decided(access.classroom_to_manage, request, pk=pk)


def viewed_exercise(request: HttpRequest, pk: int) -> Exercise:
    return decided(access.exercise_to_view, request, pk=pk)


def managed_exercise(request: HttpRequest, pk: int) -> Exercise:
    return decided(access.exercise_to_manage, request, pk=pk)


def teacher_of(request: HttpRequest) -> User:
    return decided(lambda user: access.require_teacher(user), request)


def student_of(request: HttpRequest) -> User:
    return decided(lambda user: access.require_student(user), request)


def watched_classroom(request: HttpRequest, pk: int) -> Classroom:
    """A class whose figures the user may see: its teacher, or staff (read only)."""
    return decided(access.classroom_to_watch, request, pk=pk)
