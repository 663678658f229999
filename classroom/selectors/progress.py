"""Progress: how far students are through exercises, a class's roster, a student's own
figures."""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count
from django.db.models.functions import Length
from django.utils import timezone

from classroom.models import Attempt, Classroom, Exercise, User
from classroom.selectors.attempts import _character_order, _light, _ratio
from classroom.selectors.classes import classroom_exercises, classroom_students
from classroom.words import NameWord, name_word


@dataclass(frozen=True)
class Progress:
    """How far a student is through an exercise: correct writes counted up to the goal."""

    done: int
    total: int
    words: bool = False  # counted in words written in full, not characters

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
    name: NameWord | None = None  # own-name exercises: the word the name gives


def completed_words(
    *, exercise_ids: list[int], student_ids: list[int]
) -> dict[tuple[int, int], Counter[str]]:
    """Words written in full, counted per word and keyed by (exercise id, student id): a
    write of a word is complete when each of its letters has a correct attempt. One query."""
    done: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    if not exercise_ids or not student_ids:
        return done
    rows = (
        Attempt.objects.filter(
            exercise__in=exercise_ids,
            student__in=student_ids,
            correct=True,
            word_write__isnull=False,
        )
        .values_list("exercise_id", "student_id", "word", "word_write")
        .annotate(letters=Count("letter_index", distinct=True))
        .filter(letters=Length("word"))
        .order_by()
    )
    for exercise_id, student_id, word, _write, _letters in rows:
        done[(exercise_id, student_id)][word] += 1
    return done


def progress_for(
    *,
    exercises: Iterable[Exercise],
    students: Iterable[User],
    correct_writes: dict[tuple[int, int], dict[str, int]] | None = None,
) -> dict[tuple[int, int], Progress]:
    """Progress of each student in each exercise, keyed by (exercise id, student id).

    One query whatever the numbers (two with words exercises): correct attempts are counted
    per exercise, student and character in the database, then each character is capped at
    `repetitions`; a words exercise counts the words written in full, each capped likewise.
    `correct_writes` (those counts, keyed the same way) spares the query when a caller has
    them from its own scan of every attempt of these exercises.
    """
    exercise_list = list(exercises)
    student_list = list(students)
    student_ids = [s.pk for s in student_list]
    by_characters = [e.pk for e in exercise_list if not e.is_words]
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    if correct_writes is not None:
        counts.update(correct_writes)
    elif by_characters and student_ids:
        rows = (
            Attempt.objects.filter(
                exercise__in=by_characters,
                student__in=student_ids,
                correct=True,
            )
            .values_list("exercise_id", "student_id", "target")
            .annotate(n=Count("id"))
            .order_by()
        )
        for exercise_id, student_id, target, n in rows:
            counts[(exercise_id, student_id)][target] = n
    words_done = completed_words(
        exercise_ids=[e.pk for e in exercise_list if e.is_words], student_ids=student_ids
    )
    result = {}
    for exercise in exercise_list:
        for student in student_list:
            key = (exercise.pk, student.pk)
            if exercise.is_words:
                words = exercise.words_for(student)
                done = sum(min(words_done[key][w], exercise.repetitions) for w in words)
                result[key] = Progress(done, len(words) * exercise.repetitions, words=True)
                continue
            per_char = counts.get(key, {})
            done = sum(min(per_char.get(ch, 0), exercise.repetitions) for ch in exercise.characters)
            result[key] = Progress(done=done, total=exercise.total_writes)
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
    own_name = exercise.kind == Exercise.Kind.OWN_NAME
    return [
        RosterRow(s, progress[(exercise.pk, s.pk)], name_word(s) if own_name else None)
        for s in students
    ]


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
