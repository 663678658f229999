"""Reads for accounts, classes, exercises and progress.

Access rule shared by every entry point: an object a user may not see does not exist for
them (None here, 404 on a page); a visible object they may not change is a 403. A class
is visible to its teacher, its students and staff; only its teacher changes it (staff
change things through the admin site).
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from classroom.models import Attempt, Classroom, Exercise, User, normalize_join_code


@dataclass(frozen=True)
class Progress:
    """How far a student is through an exercise: correct writes counted up to the goal."""

    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total


@dataclass(frozen=True)
class ExerciseWithProgress:
    exercise: Exercise
    progress: Progress


@dataclass(frozen=True)
class RosterRow:
    student: User
    progress: Progress


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
    return _with_counts(Classroom.objects.filter(memberships__student=student)).order_by(
        "-archived_at", "name", "id"
    )


def classroom_by_join_code(*, code: str) -> Classroom | None:
    return Classroom.objects.filter(join_code=normalize_join_code(code)).first()


def can_view_classroom(*, user: User, classroom: Classroom) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff or classroom.teacher_id == user.pk:
        return True
    return classroom.memberships.filter(student=user).exists()


def can_manage_classroom(*, user: User, classroom: Classroom) -> bool:
    return user.is_authenticated and user.is_teacher and classroom.teacher_id == user.pk


def visible_classroom(*, user: User, pk: int) -> Classroom | None:
    """The class if `user` may see it, else None."""
    classroom = Classroom.objects.select_related("teacher").filter(pk=pk).first()
    if classroom is None or not can_view_classroom(user=user, classroom=classroom):
        return None
    return classroom


def visible_exercise(*, user: User, pk: int) -> Exercise | None:
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


def practicable_exercise(*, student: User, exercise_id: int) -> Exercise | None:
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


def classroom_exercises(
    *, classroom: Classroom, include_archived: bool = False
) -> QuerySet[Exercise]:
    exercises = Exercise.objects.filter(classroom=classroom)
    if not include_archived:
        exercises = exercises.filter(archived=False)
    return exercises


def progress_for(
    *, exercises: Iterable[Exercise], students: Iterable[User]
) -> dict[tuple[int, int], Progress]:
    """Progress of each student in each exercise, keyed by (exercise id, student id).

    One query whatever the numbers: correct attempts are counted per exercise, student
    and character in the database, then each character is capped at `repetitions`.
    """
    exercise_list = list(exercises)
    student_ids = [s.pk for s in students]
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    if exercise_list and student_ids:
        rows = (
            Attempt.objects.filter(
                exercise__in=[e.pk for e in exercise_list],
                student__in=student_ids,
                correct=True,
            )
            .values_list("exercise_id", "student_id", "target")
            .annotate(n=Count("id"))
            .order_by()
        )
        for exercise_id, student_id, target, n in rows:
            counts[(exercise_id, student_id)][target] = n
    result = {}
    for exercise in exercise_list:
        for student_id in student_ids:
            per_char = counts.get((exercise.pk, student_id), {})
            done = sum(min(per_char.get(ch, 0), exercise.repetitions) for ch in exercise.characters)
            result[(exercise.pk, student_id)] = Progress(done=done, total=exercise.total_writes)
    return result


def student_exercises(*, student: User) -> list[ExerciseWithProgress]:
    """The student's current exercises (active classes, not archived), soonest due first."""
    exercises = list(
        Exercise.objects.filter(
            archived=False,
            classroom__archived_at__isnull=True,
            classroom__memberships__student=student,
        ).select_related("classroom")
    )
    progress = progress_for(exercises=exercises, students=[student])
    return [ExerciseWithProgress(e, progress[(e.pk, student.pk)]) for e in exercises]


def classroom_students(*, classroom: Classroom) -> QuerySet[User]:
    return User.objects.filter(memberships__classroom=classroom).order_by("first_name", "username")


def exercise_roster(*, exercise: Exercise) -> list[RosterRow]:
    """Each student of the exercise's class with their progress in it."""
    students = list(classroom_students(classroom=exercise.classroom))
    progress = progress_for(exercises=[exercise], students=students)
    return [RosterRow(s, progress[(exercise.pk, s.pk)]) for s in students]


def class_dashboard(*, classroom: Classroom) -> list[tuple[User, list[Progress]]]:
    """Roster rows: each student with progress per current exercise, in exercise order."""
    students = list(classroom_students(classroom=classroom))
    exercises = list(classroom_exercises(classroom=classroom))
    progress = progress_for(exercises=exercises, students=students)
    return [(s, [progress[(e.pk, s.pk)] for e in exercises]) for s in students]


def student_in_classroom(*, classroom: Classroom, student_id: int) -> User | None:
    return classroom_students(classroom=classroom).filter(pk=student_id).first()


def practice_plan(*, student: User, exercise: Exercise) -> list[str]:
    """The characters the student still has to write correctly, in exercise order.

    Walks the exercise's sequence, crossing off one slot per correct attempt.
    """
    correct = Counter(
        Attempt.objects.filter(student=student, exercise=exercise, correct=True).values_list(
            "target", flat=True
        )
    )
    pending: list[str] = []
    for ch in exercise.targets(seed=student.pk):
        if correct[ch] > 0:
            correct[ch] -= 1
        else:
            pending.append(ch)
    return pending


def practice_next_target(
    *, student: User, exercise: Exercise, avoid: str | None = None
) -> str | None:
    """The next character to write, or None when the exercise is done.

    After a wrong attempt the caller passes `avoid`, so the student moves on instead of
    getting stuck; the missed character comes back later.
    """
    pending = practice_plan(student=student, exercise=exercise)
    if not pending:
        return None
    return next((ch for ch in pending if ch != avoid), pending[0])
