"""Classes, their exercises and their students."""

from django.db.models import Count, Q, QuerySet

from classroom.models import Classroom, Exercise, User


def _with_counts(classes: QuerySet[Classroom]) -> QuerySet[Classroom]:
    return classes.select_related("teacher").annotate(
        student_count=Count("memberships", distinct=True),
        exercise_count=Count("exercises", filter=Q(exercises__archived=False), distinct=True),
    )


def teacher_classes(*, teacher: User, include_archived: bool = True) -> QuerySet[Classroom]:
    """The teacher's classes with `student_count` and `exercise_count`, active ones first."""
    classes = Classroom.objects.filter(teacher=teacher)
    if not include_archived:
        classes = classes.filter(archived_at__isnull=True)
    return _with_counts(classes).order_by("-archived_at", "name", "id")


def all_classes() -> QuerySet[Classroom]:
    """Every class with counts, for staff."""
    return _with_counts(Classroom.objects.all()).order_by("-archived_at", "name", "id")


def student_classes(*, student: User) -> QuerySet[Classroom]:
    """The classes the student is in, active ones first."""
    # A subquery, not a join on memberships: the join would also filter what the count counts.
    mine = Classroom.objects.filter(pk__in=student.memberships.values("classroom_id"))
    return _with_counts(mine).order_by("-archived_at", "name", "id")


def classroom_exercises(
    *, classroom: Classroom, include_archived: bool = False
) -> QuerySet[Exercise]:
    exercises = Exercise.objects.filter(classroom=classroom)
    if not include_archived:
        exercises = exercises.filter(archived=False)
    return exercises


def classroom_students(*, classroom: Classroom) -> QuerySet[User]:
    return User.objects.filter(memberships__classroom=classroom).order_by("first_name", "username")


def student_in_classroom(*, classroom: Classroom, student_id: int) -> User | None:
    return classroom_students(classroom=classroom).filter(pk=student_id).first()
