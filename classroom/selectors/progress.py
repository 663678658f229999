"""Progress: how far students are through exercises, a class's roster, a student's own
figures."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count
from django.utils import timezone

from classroom.models import Attempt, Classroom, Exercise, User
from classroom.selectors.attempts import _character_order, _light, _ratio
from classroom.selectors.classes import classroom_exercises, classroom_students


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


def exercise_roster(*, exercise: Exercise) -> list[RosterRow]:
    """Each student of the exercise's class with their progress in it."""
    students = list(classroom_students(classroom=exercise.classroom))
    progress = progress_for(exercises=[exercise], students=students)
    return [RosterRow(s, progress[(exercise.pk, s.pk)]) for s in students]


def class_roster(*, classroom: Classroom) -> list[tuple[User, list[Progress]]]:
    """Roster rows: each student with progress per current exercise, in exercise order."""
    students = list(classroom_students(classroom=classroom))
    exercises = list(classroom_exercises(classroom=classroom))
    progress = progress_for(exercises=exercises, students=students)
    return [(s, [progress[(e.pk, s.pk)] for e in exercises]) for s in students]


@dataclass(frozen=True)
class CharacterProgress:
    character: str
    judged: int
    correct: int
    streak: int  # correct in a row, up to the latest attempt
    best_streak: int

    @property
    def accuracy(self) -> float | None:
        return _ratio(self.correct, self.judged)


@dataclass(frozen=True)
class StudentProgress:
    characters: list[CharacterProgress]
    days_in_a_row: int
    judged: int
    correct: int
    recent: list[Attempt]

    @property
    def accuracy(self) -> float | None:
        return _ratio(self.correct, self.judged)


def student_progress(*, student: User, recent: int = 24) -> StudentProgress:
    """A student's own figures: accuracy and streaks per character, days practised in a row."""
    results = Attempt.objects.filter(student=student, correct__isnull=False).order_by(
        "created_at", "id"
    )
    per_char: dict[str, list[int]] = {}  # judged, correct, streak, best
    days: set[date] = set()
    for target, correct, created_at in results.values_list("target", "correct", "created_at"):
        entry = per_char.setdefault(target, [0, 0, 0, 0])
        entry[0] += 1
        if correct:
            entry[1] += 1
            entry[2] += 1
            entry[3] = max(entry[3], entry[2])
        else:
            entry[2] = 0
        days.add(timezone.localdate(created_at))
    in_a_row = 0
    day = timezone.localdate()
    if day not in days:
        day -= timedelta(days=1)  # a streak is not broken before today's practice
    while day in days:
        in_a_row += 1
        day -= timedelta(days=1)
    characters = [
        CharacterProgress(ch, *per_char[ch]) for ch in sorted(per_char, key=_character_order)
    ]
    return StudentProgress(
        characters=characters,
        days_in_a_row=in_a_row,
        judged=sum(c.judged for c in characters),
        correct=sum(c.correct for c in characters),
        recent=list(_light(Attempt.objects.filter(student=student))[:recent]),
    )


def next_exercise_of(*, student: User, exercise: Exercise) -> Exercise | None:
    """The student's next unfinished exercise after `exercise` (soonest due first), for
    "Keep practising" on a finished one; None when every other one is done."""
    rows = student_exercises(student=student)
    others = [r for r in rows if r.exercise.pk != exercise.pk and not r.progress.complete]
    return others[0].exercise if others else None
