"""Who may see and do what on a class: the one home of decision 005's rules.

Pages, the API and every websocket consumer ask these functions. A class is visible to its
teacher, its students and staff; only its teacher changes it (staff change things in the
admin site); its teacher and staff watch its figures (dashboard, CSV, a student's work, the
live panel). What a user may not see does not exist for them (`NotVisible`: 404, 4403 on a
socket); a visible thing they may not use is `NotAllowed` (403, 4403 on a socket).
Anonymous users never get this far: pages send them to log in, the API answers 401/403 and
sockets close with 4401.
"""

from typing import Any

from classroom.models import Attempt, Classroom, Exercise, User
from hwr_site.errors import DomainError


class AccessError(DomainError):
    """Refused by the access rules."""


class NotVisible(AccessError):
    status = 404

    def __init__(self, message: str) -> None:
        super().__init__("not_found", message)


class NotAllowed(AccessError):
    status = 403

    def __init__(self, message: str) -> None:
        super().__init__("permission_denied", message)


# Predicates on an object already in hand


def can_view_classroom(*, user: Any, classroom: Classroom) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff or classroom.teacher_id == user.pk:
        return True
    return classroom.memberships.filter(student=user).exists()


def can_manage_classroom(*, user: Any, classroom: Classroom) -> bool:
    return user.is_authenticated and user.is_teacher and classroom.teacher_id == user.pk


def can_watch_classroom(*, user: Any, classroom: Classroom) -> bool:
    """Its teacher, or staff (read only): the dashboard, its CSV, the live panel."""
    return user.is_authenticated and (classroom.teacher_id == user.pk or user.is_staff)


def is_teacher_view(*, user: Any, classroom: Classroom) -> bool:
    """Whether pages of the class show the teacher's side (its teacher and staff)."""
    return can_watch_classroom(user=user, classroom=classroom)


# Lookups: the object if the user may see it, else None


def visible_classroom(*, user: Any, pk: int) -> Classroom | None:
    """The class if `user` may see it, else None."""
    classroom = Classroom.objects.select_related("teacher").filter(pk=pk).first()
    if classroom is None or not can_view_classroom(user=user, classroom=classroom):
        return None
    return classroom


def visible_exercise(*, user: Any, pk: int) -> Exercise | None:
    """The exercise if `user` may see its class, else None.

    Students do not see archived exercises, nor any exercise of an archived class.
    """
    exercise = Exercise.objects.select_related("classroom__teacher").filter(pk=pk).first()
    if exercise is None or not can_view_classroom(user=user, classroom=exercise.classroom):
        return None
    hidden = exercise.archived or exercise.classroom.is_archived
    if hidden and exercise.classroom.teacher_id != user.pk and not user.is_staff:
        return None
    return exercise


def practicable_exercise(*, student: Any, exercise_id: int) -> Exercise | None:
    """The exercise if `student` may practise it now: a member of its active class."""
    return (
        Exercise.objects.select_related("classroom")
        .filter(
            pk=exercise_id,
            archived=False,
            classroom__archived_at__isnull=True,
            classroom__memberships__student=student,
        )
        .first()
    )


def visible_attempt(*, user: Any, pk: int) -> Attempt | None:
    """The attempt if `user` wrote it, teaches its class, or is staff; else None."""
    attempt = (
        Attempt.objects.select_related("student", "exercise__classroom__teacher", "verified_by")
        .filter(pk=pk)
        .first()
    )
    if attempt is None or not user.is_authenticated:
        return None
    if user.is_staff or attempt.student_id == user.pk:
        return attempt
    if attempt.exercise.classroom.teacher_id == user.pk:
        return attempt
    return None


# Decisions: the object, or NotVisible / NotAllowed


def classroom_to_view(*, user: Any, pk: int) -> Classroom:
    classroom = visible_classroom(user=user, pk=pk)
    if classroom is None:
        raise NotVisible("No such class.")
    return classroom


def classroom_to_manage(*, user: Any, pk: int) -> Classroom:
    classroom = classroom_to_view(user=user, pk=pk)
    if not can_manage_classroom(user=user, classroom=classroom):
        raise NotAllowed("Only the class's teacher can change it.")
    return classroom


def classroom_to_watch(*, user: Any, pk: int) -> Classroom:
    """The class whose figures and live panel `user` may see: its teacher, or staff."""
    classroom = classroom_to_view(user=user, pk=pk)
    if not can_watch_classroom(user=user, classroom=classroom):
        raise NotAllowed("Only the class's teacher sees its dashboard.")
    return classroom


def exercise_to_view(*, user: Any, pk: int) -> Exercise:
    exercise = visible_exercise(user=user, pk=pk)
    if exercise is None:
        raise NotVisible("No such exercise.")
    return exercise


def exercise_to_manage(*, user: Any, pk: int) -> Exercise:
    exercise = exercise_to_view(user=user, pk=pk)
    if not can_manage_classroom(user=user, classroom=exercise.classroom):
        raise NotAllowed("Only the class's teacher can change its exercises.")
    return exercise


def exercise_to_practise(*, user: Any, pk: int) -> Exercise:
    """The exercise a student practises: a member of its active class, on the page and its
    socket alike."""
    visible = exercise_to_view(user=user, pk=pk)
    exercise = (
        practicable_exercise(student=user, exercise_id=visible.pk) if user.is_student else None
    )
    if exercise is None:
        raise NotAllowed("Only the class's students practise its exercises.")
    return exercise


def attempt_to_view(*, user: Any, pk: int) -> Attempt:
    attempt = visible_attempt(user=user, pk=pk)
    if attempt is None:
        raise NotVisible("No such attempt.")
    return attempt


def attempt_to_judge(*, user: Any, pk: int) -> Attempt:
    attempt = attempt_to_view(user=user, pk=pk)
    if not can_manage_classroom(user=user, classroom=attempt.exercise.classroom):
        raise NotAllowed("Only the class's teacher can judge its attempts.")
    return attempt


def require_teacher(user: Any) -> User:
    if not user.is_teacher:
        raise NotAllowed("Only teachers can do this.")
    return user


def require_student(user: Any) -> User:
    # Staff accounts are admins even when their role says student: they use the admin site.
    if not user.is_student or user.is_staff:
        raise NotAllowed("Only students can do this.")
    return user
