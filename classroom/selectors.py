"""Reads for accounts, classes, exercises and progress. Who may see what: `classroom.access`."""

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDay
from django.utils import timezone

from classroom.models import (
    CHARACTER_CLASSES,
    Attempt,
    Classroom,
    Exercise,
    User,
)


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


# Dashboards: figures of a class, a student's work, verdicts and retraining data.
# Every figure is aggregated in the database, so a dashboard costs the same few queries
# whether the class has 5 students or 40, 100 attempts or 100,000.

MASTERY_MIN_ATTEMPTS = 3
MASTERY_ACCURACY = 0.8
TREND_WINDOW = timedelta(days=7)
TREND_MIN_CHANGE = 0.05
LIVE_WINDOW = timedelta(minutes=5)
WEEKLY_AFTER_DAYS = 62
ATTEMPT_RESULTS = ("correct", "wrong", "pending", "verified")

_RECOGNIZED = Q(status=Attempt.Status.RECOGNIZED)
_JUDGED = Q(correct__isnull=False)
_CORRECT = Q(correct=True)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class AttemptFilters:
    """What a teacher narrowed the figures to; dates are inclusive, in the site's time zone."""

    exercise_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        start = end = None
        if self.date_from:
            start = timezone.make_aware(datetime.combine(self.date_from, dt_time.min))
        if self.date_to:
            end = timezone.make_aware(
                datetime.combine(self.date_to + timedelta(days=1), dt_time.min)
            )
        return start, end

    def as_query(self) -> dict[str, str]:
        query = {}
        if self.exercise_id:
            query["exercise"] = str(self.exercise_id)
        if self.date_from:
            query["from"] = self.date_from.isoformat()
        if self.date_to:
            query["to"] = self.date_to.isoformat()
        return query


def class_attempts(
    *, classroom: Classroom, filters: AttemptFilters | None = None
) -> QuerySet[Attempt]:
    """The class's attempts (every exercise of the class), narrowed by `filters`."""
    filters = filters or AttemptFilters()
    attempts = Attempt.objects.filter(exercise__classroom=classroom)
    if filters.exercise_id:
        attempts = attempts.filter(exercise_id=filters.exercise_id)
    start, end = filters.bounds()
    if start:
        attempts = attempts.filter(created_at__gte=start)
    if end:
        attempts = attempts.filter(created_at__lt=end)
    return attempts


@dataclass(frozen=True)
class StudentRow:
    student: User
    attempts: int
    judged: int
    correct: int
    average_score: float | None
    mastered: int
    last_active: datetime | None
    trend: str  # "up", "down", "flat", or "" when there is too little to compare

    @property
    def accuracy(self) -> float | None:
        return _ratio(self.correct, self.judged)


@dataclass(frozen=True)
class CharacterCell:
    character: str
    judged: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return _ratio(self.correct, self.judged)


@dataclass(frozen=True)
class Confusion:
    """Recognised attempts counted by (target, what the recogniser read); "" is a rejection."""

    targets: list[str]
    reads: list[str]
    counts: dict[tuple[str, str], int]

    def row_total(self, target: str) -> int:
        return sum(n for (t, _), n in self.counts.items() if t == target)

    def mistakes(self) -> list[tuple[str, str, int]]:
        """Off-diagonal cells, most frequent first: the reversals a teacher looks for."""
        cells = [(t, r, n) for (t, r), n in self.counts.items() if t != r]
        return sorted(cells, key=lambda c: (-c[2], c[0], c[1]))


@dataclass(frozen=True)
class TimelinePoint:
    period: date
    attempts: int
    judged: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return _ratio(self.correct, self.judged)


@dataclass(frozen=True)
class CompletionCell:
    exercise: Exercise
    progress: Progress

    @property
    def late(self) -> bool:
        return self.exercise.is_overdue and not self.progress.complete


@dataclass(frozen=True)
class Totals:
    attempts: int
    judged: int
    correct: int
    pending: int
    verified: int

    @property
    def accuracy(self) -> float | None:
        return _ratio(self.correct, self.judged)


@dataclass(frozen=True)
class ClassDashboard:
    classroom: Classroom
    filters: AttemptFilters
    totals: Totals
    students: list[StudentRow]
    characters: list[CharacterCell]
    confusion: Confusion
    timeline: list[TimelinePoint]
    granularity: str  # "day" or "week"
    exercises: list[Exercise]
    completion: list[tuple[User, list[CompletionCell]]]
    eligible_for_training: int


def _trend(recent: tuple[int, int], previous: tuple[int, int]) -> str:
    now, before = _ratio(*recent), _ratio(*previous)
    if now is None or before is None:
        return ""
    if now - before >= TREND_MIN_CHANGE:
        return "up"
    if before - now >= TREND_MIN_CHANGE:
        return "down"
    return "flat"


def _timeline(attempts: QuerySet[Attempt]) -> tuple[list[TimelinePoint], str]:
    rows = (
        attempts.annotate(day=TruncDay("created_at"))
        .values("day")
        .annotate(
            n=Count("id"), judged=Count("id", filter=_JUDGED), ok=Count("id", filter=_CORRECT)
        )
        .order_by("day")
    )
    days = {r["day"].date(): (r["n"], r["judged"], r["ok"]) for r in rows}
    if not days:
        return [], "day"
    first, last = min(days), max(days)
    weekly = (last - first).days > WEEKLY_AFTER_DAYS
    buckets: dict[date, list[int]] = {}
    day = first - timedelta(days=first.weekday()) if weekly else first
    while day <= last:  # empty periods are shown as zero, not skipped
        buckets[day] = [0, 0, 0]
        day += timedelta(days=7 if weekly else 1)
    for day, counts in days.items():
        key = day - timedelta(days=day.weekday()) if weekly else day
        for i, n in enumerate(counts):
            buckets[key][i] += n
    points = [TimelinePoint(period, *counts) for period, counts in buckets.items()]
    return points, "week" if weekly else "day"


def class_dashboard_figures(
    *, classroom: Classroom, filters: AttemptFilters | None = None
) -> ClassDashboard:
    """Everything the class dashboard shows, in a fixed number of queries."""
    filters = filters or AttemptFilters()
    students = list(classroom_students(classroom=classroom))
    all_exercises = list(classroom_exercises(classroom=classroom, include_archived=True))
    exercises = [e for e in all_exercises if not e.archived]
    # The class's exercise ids instead of a join: the covering index then serves the scans.
    attempts = Attempt.objects.filter(exercise_id__in=[e.pk for e in all_exercises])
    if filters.exercise_id:
        attempts = attempts.filter(exercise_id=filters.exercise_id)
    start, end = filters.bounds()
    if start:
        attempts = attempts.filter(created_at__gte=start)
    if end:
        attempts = attempts.filter(created_at__lt=end)

    # One scan, grouped finely enough that every figure but the timeline and completion is a
    # sum of its rows: totals, students, mastery, the character grid and the confusions.
    now = end or timezone.now()
    recent = Q(created_at__gte=now - TREND_WINDOW)
    previous = Q(created_at__gte=now - 2 * TREND_WINDOW, created_at__lt=now - TREND_WINDOW)
    groups = (
        attempts.values("student_id", "target", "predicted_label", "status")
        .annotate(
            n=Count("id"),
            judged=Count("id", filter=_JUDGED),
            ok=Count("id", filter=_CORRECT),
            verified_n=Count("id", filter=Q(verified=True)),
            score_sum=Sum("score"),
            score_n=Count("score"),
            last=Max("created_at"),
            recent_judged=Count("id", filter=_JUDGED & recent),
            recent_ok=Count("id", filter=_CORRECT & recent),
            previous_judged=Count("id", filter=_JUDGED & previous),
            previous_ok=Count("id", filter=_CORRECT & previous),
        )
        .order_by()
    )
    summed = "n judged ok score_sum score_n recent_judged recent_ok previous_judged previous_ok"
    totals = Counter[str]()
    per_student: dict[int, Counter[str]] = defaultdict(Counter)
    last_active: dict[int, datetime] = {}
    per_pair: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    counts: Counter[tuple[str, str]] = Counter()
    for g in groups:
        sid = g["student_id"]
        for key in summed.split():
            per_student[sid][key] += g[key] or 0
        for key in ("n", "judged", "ok"):
            totals[key] += g[key]
        totals["verified"] += g["verified_n"]
        if g["status"] == Attempt.Status.PENDING:
            totals["pending"] += g["n"]
        else:
            counts[(g["target"], g["predicted_label"])] += g["n"]
        if sid not in last_active or g["last"] > last_active[sid]:
            last_active[sid] = g["last"]
        pair = per_pair[(sid, g["target"])]
        pair[0] += g["judged"]
        pair[1] += g["ok"]

    mastered: Counter[int] = Counter()
    per_character: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (sid, target), (judged, ok) in per_pair.items():
        per_character[target][0] += judged
        per_character[target][1] += ok
        if judged >= MASTERY_MIN_ATTEMPTS and ok >= MASTERY_ACCURACY * judged:
            mastered[sid] += 1

    rows = []
    for student in students:
        r = per_student.get(student.pk)
        if not r:
            rows.append(StudentRow(student, 0, 0, 0, None, 0, None, ""))
            continue
        rows.append(
            StudentRow(
                student=student,
                attempts=r["n"],
                judged=r["judged"],
                correct=r["ok"],
                average_score=r["score_sum"] / r["score_n"] if r["score_n"] else None,
                mastered=mastered[student.pk],
                last_active=last_active[student.pk],
                trend=_trend(
                    (r["recent_ok"], r["recent_judged"]), (r["previous_ok"], r["previous_judged"])
                ),
            )
        )

    shown = [e for e in exercises if not filters.exercise_id or e.pk == filters.exercise_id]
    for exercise in shown:  # characters set but not practised yet still get a (grey) cell
        for ch in exercise.characters:
            per_character.setdefault(ch, [0, 0])
    characters = [
        CharacterCell(ch, *per_character[ch]) for ch in sorted(per_character, key=_character_order)
    ]
    confusion = Confusion(
        targets=sorted({t for t, _ in counts}, key=_character_order),
        reads=sorted({r for _, r in counts}, key=_character_order),
        counts=dict(counts),
    )

    timeline, granularity = _timeline(attempts)
    progress = progress_for(exercises=shown, students=students)
    completion = [(s, [CompletionCell(e, progress[(e.pk, s.pk)]) for e in shown]) for s in students]
    return ClassDashboard(
        classroom=classroom,
        filters=filters,
        totals=Totals(
            totals["n"], totals["judged"], totals["ok"], totals["pending"], totals["verified"]
        ),
        students=rows,
        characters=characters,
        confusion=confusion,
        timeline=timeline,
        granularity=granularity,
        exercises=exercises,
        completion=completion,
        eligible_for_training=verified_training_count(classroom),
    )


def _character_order(ch: str) -> tuple[int, int]:
    # The recogniser's order (digits, upper, lower); a rejection ("") goes last.
    index = CHARACTER_CLASSES.find(ch) if ch else -1
    return (1, 0) if index < 0 else (0, index)


def _light(attempts: QuerySet[Attempt]) -> QuerySet[Attempt]:
    # Lists never need the ink; the thumbnail (a small PNG) is what they show.
    return attempts.select_related("student", "exercise").defer("ink")


def _is_character(value: str) -> bool:
    return len(value) == 1 and value in CHARACTER_CLASSES


def confusion_attempts(
    *, classroom: Classroom, filters: AttemptFilters, target: str, read: str, limit: int = 100
) -> list[Attempt]:
    """Recognised attempts of `target` that the recogniser read as `read` ("": rejected)."""
    if not _is_character(target) or (read and not _is_character(read)):
        return []  # a crafted query (a NUL byte, say) matches nothing
    attempts = class_attempts(classroom=classroom, filters=filters).filter(
        _RECOGNIZED, target=target, predicted_label=read
    )
    return list(_light(attempts)[:limit])


def student_attempts(
    *,
    classroom: Classroom,
    student: User,
    character: str = "",
    result: str = "",
) -> QuerySet[Attempt]:
    """A student's attempts in the class's exercises, newest first; `result` is one of
    ATTEMPT_RESULTS or ""."""
    attempts = Attempt.objects.filter(exercise__classroom=classroom, student=student)
    if character:
        attempts = attempts.filter(target=character)
    if result == "correct":
        attempts = attempts.filter(correct=True)
    elif result == "wrong":
        attempts = attempts.filter(correct=False)
    elif result == "pending":
        attempts = attempts.filter(status=Attempt.Status.PENDING)
    elif result == "verified":
        attempts = attempts.filter(verified=True)
    return _light(attempts)


def student_characters(*, classroom: Classroom, student: User) -> list[str]:
    """The characters the student has attempted in the class, for the filter."""
    targets = (
        Attempt.objects.filter(exercise__classroom=classroom, student=student)
        .values_list("target", flat=True)
        .distinct()
        .order_by()
    )
    return sorted(targets, key=_character_order)


@dataclass(frozen=True)
class LiveStudent:
    student: User
    attempts: list[Attempt]


def class_live_now(*, classroom: Classroom, per_student: int = 5) -> list[LiveStudent]:
    """Students with an attempt in the last few minutes, most recent first, with their last
    few attempts (the "Live now" panel before the socket takes over)."""
    since = timezone.now() - LIVE_WINDOW
    recent = _light(
        Attempt.objects.filter(exercise__classroom=classroom, created_at__gte=since)
    ).defer("ink", "image")[:500]
    grouped: dict[int, LiveStudent] = {}
    for attempt in recent:
        live = grouped.setdefault(attempt.student_id, LiveStudent(attempt.student, []))
        if len(live.attempts) < per_student:
            live.attempts.append(attempt)
    return list(grouped.values())


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


# Retraining on teacher-verified attempts (issue 6)

_TRAINABLE = Q(verified=True, exercise__classroom__allow_training_use=True) & (
    ~Q(verified_label="") | Q(correct=True)
)


def verified_training_attempts(
    *, exclude_verifiers: Collection[int] = ()
) -> Iterator[tuple[str, list[Any], int, int | None]]:
    """(true label, strokes, student id, verifier id) of every verified attempt a class allows
    training on, but those verified by a teacher in `exclude_verifiers`.

    The true label is the teacher's `verified_label`, or the target when the teacher
    confirmed the attempt correct without naming a character.
    """
    rows = (
        Attempt.objects.filter(_TRAINABLE)
        .exclude(verified_by_id__in=list(exclude_verifiers))
        .order_by("id")
        .values_list("verified_label", "target", "ink", "student_id", "verified_by_id")
    )
    for verified_label, target, ink, student_id, verifier in rows.iterator(chunk_size=500):
        yield (verified_label or target, ink["strokes"], student_id, verifier)


@dataclass(frozen=True)
class TrainingVerifier:
    """A teacher whose verdicts would feed a training run, with how many."""

    user_id: int | None  # None: the verdicts of accounts since deleted
    name: str
    verdicts: int
    relabels: int  # verdicts naming another character than the recogniser read


def training_verifiers() -> list[TrainingVerifier]:
    """Who gave the verdicts `verified_training_attempts` would yield, most verdicts first."""
    rows = (
        Attempt.objects.filter(_TRAINABLE)
        .values("verified_by_id", "verified_by__username", "verified_by__first_name")
        .annotate(
            verdicts=Count("id"),
            relabels=Count(
                "id", filter=~Q(verified_label="") & ~Q(verified_label=F("predicted_label"))
            ),
        )
        .order_by("-verdicts", "verified_by_id")
    )
    return [
        TrainingVerifier(
            user_id=row["verified_by_id"],
            name=row["verified_by__first_name"] or row["verified_by__username"] or "(deleted)",
            verdicts=row["verdicts"],
            relabels=row["relabels"],
        )
        for row in rows
    ]


def verified_training_count(classroom: Classroom) -> int:
    """How many of the class's attempts `verified_training_attempts` yields (0 while the
    class does not allow training use)."""
    if not classroom.allow_training_use:
        return 0
    return Attempt.objects.filter(_TRAINABLE, exercise__classroom=classroom).count()


DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def practice_charset(*, exercise: Exercise) -> str | None:
    """The candidates the recogniser may answer with while practising `exercise`.

    A digits-only exercise is read as digits and a letters-only one as letters, so a
    stroke like "|" is a 1 in a digits exercise and an l in a letters one; within letters
    every letter stays possible, so reversals such as b/d are still caught. Mixed: all 62.
    """
    if all(ch in DIGITS for ch in exercise.characters):
        return DIGITS
    if all(ch in LETTERS for ch in exercise.characters):
        return LETTERS
    return None


def student_locked_out(*, student: User) -> bool:
    """Whether wrong passwords have locked the student's account (django-axes)."""
    from axes.models import AccessAttempt
    from django.conf import settings

    # One row per address the wrong passwords came from: the account's lockout counts them all.
    failures = AccessAttempt.objects.filter(username=student.username).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return (failures or 0) >= settings.AXES_FAILURE_LIMIT


def student_export(*, student: User) -> dict[str, Any]:
    """Everything Inkwell holds about a student, as JSON: the account, their classes, and
    every attempt with its ink, what the recogniser read and the teacher's verdict."""
    attempts = (
        Attempt.objects.filter(student=student)
        .select_related("exercise", "exercise__classroom", "verified_by")
        .order_by("created_at", "id")
    )
    return {
        "account": {
            "username": student.username,
            "first_name": student.first_name,
            "email": student.email,
            "date_joined": student.date_joined.isoformat(),
        },
        "classes": [
            {"name": m.classroom.name, "joined_at": m.joined_at.isoformat()}
            for m in student.memberships.select_related("classroom").order_by("joined_at")
        ],
        "attempts": [
            {
                "id": a.pk,
                "created_at": a.created_at.isoformat(),
                "class": a.exercise.classroom.name,
                "exercise": a.exercise.title,
                "target": a.target,
                "ink": a.ink,
                "recognised_as": a.predicted_label or None,
                "correct": a.correct,
                "score": a.score,
                "verdict": (
                    {
                        "correct": a.correct,
                        "label": a.verified_label,
                        "by": a.verified_by.get_username() if a.verified_by else None,
                        "at": a.verified_at.isoformat() if a.verified_at else None,
                    }
                    if a.verified
                    else None
                ),
            }
            for a in attempts
        ],
    }


def student_has_other_teachers(*, student: User, teacher: User) -> bool:
    """Whether the student is in a class of another teacher too (their data is not only
    this teacher's to delete)."""
    return student.memberships.exclude(classroom__teacher=teacher).exists()
