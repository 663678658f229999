"""The class dashboard: every figure aggregated in the database, so a dashboard costs the
same few queries whether the class has 5 students or 40, 100 attempts or 100,000."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDay
from django.utils import timezone

from classroom.models import CHARACTER_CLASSES, Attempt, Classroom, Exercise, User
from classroom.selectors.attempts import (
    _CORRECT,
    _JUDGED,
    _RECOGNIZED,
    LIVE_WINDOW,
    MASTERY_ACCURACY,
    MASTERY_MIN_ATTEMPTS,
    TREND_MIN_CHANGE,
    TREND_WINDOW,
    WEEKLY_AFTER_DAYS,
    AttemptFilters,
    _character_order,
    _light,
    _ratio,
    class_attempts,
    plain_rows,
)
from classroom.selectors.classes import classroom_exercises, classroom_students
from classroom.selectors.needs_help import Group, NeedsHelp, needs_help_from
from classroom.selectors.progress import Progress, completed_words, progress_for
from classroom.selectors.training import verified_training_count


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
class WordRow:
    """A word of a words (or own-name) exercise across the class: who wrote it in full, and
    the letter of it that was most often not right."""

    exercise: Exercise
    word: str
    students: int  # who wrote it in full at least once
    writes: int  # times it was written in full
    hardest: str  # the letter most often not right ("" when none was wrong)
    hardest_missed: int


def _class_words(
    *, exercises: list[Exercise], students: list[User], attempts: QuerySet[Attempt]
) -> list[WordRow]:
    """Each word of the words exercises shown, in exercise order (two queries, none without
    such exercises): completions over all time, letters within the filters."""
    shown = [e for e in exercises if e.is_words]
    if not shown:
        return []
    done = completed_words(exercise_ids=[e.pk for e in shown], student_ids=[s.pk for s in students])
    missed: dict[tuple[int, str], Counter[int]] = defaultdict(Counter)
    letters = (
        attempts.filter(exercise_id__in=[e.pk for e in shown], correct=False)
        .values_list("exercise_id", "word", "letter_index")
        .annotate(n=Count("id"))
        .order_by()
    )
    for exercise_id, word, index, n in letters:
        if word and index is not None:
            missed[(exercise_id, word)][index] += n
    rows = []
    for exercise in shown:
        words = (
            exercise.word_list
            if exercise.kind == Exercise.Kind.WORDS
            else sorted({w for s in students for w in exercise.words_for(s)})
        )
        for word in words:
            per_student = [done[(exercise.pk, s.pk)][word] for s in students]
            worst = missed[(exercise.pk, word)].most_common(1)
            index, n = worst[0] if worst else (-1, 0)
            letter = word[index] if 0 <= index < len(word) else ""
            written = sum(per_student)
            learners = sum(1 for c in per_student if c)
            rows.append(WordRow(exercise, word, learners, written, letter, n))
    return rows


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
    needs_help: NeedsHelp
    words: list[WordRow]


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
        .order_by()  # a few dozen days, sorted here: the database then hashes, never sorts
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
    attempts = filters.apply(Attempt.objects.filter(exercise_id__in=[e.pk for e in all_exercises]))
    _, end = filters.bounds()

    # One scan, grouped finely enough that every figure but the timeline and completion is a
    # sum of its rows: totals, students, mastery, the character grid and the confusions.
    now = end or timezone.now()
    recent = Q(created_at__gte=now - TREND_WINDOW)
    previous = Q(created_at__gte=now - 2 * TREND_WINDOW, created_at__lt=now - TREND_WINDOW)
    # Tuples, not dicts, and the newest attempt's id rather than its date: this loop meets
    # thousands of groups, and building a dict and an aware datetime for each cost more than
    # the scan itself (docs/benchmarks.md).
    groups = (
        attempts.values_list(
            "student_id", "target", "predicted_label", "status", "failed_checks", "exercise_id"
        )
        .annotate(
            n=Count("id"),
            judged=Count("id", filter=_JUDGED),
            ok=Count("id", filter=_CORRECT),
            verified_n=Count("id", filter=Q(verified=True)),
            score_sum=Sum("score"),
            score_n=Count("score"),
            last=Max("id"),
            recent_judged=Count("id", filter=_JUDGED & recent),
            recent_ok=Count("id", filter=_CORRECT & recent),
            previous_judged=Count("id", filter=_JUDGED & previous),
            previous_ok=Count("id", filter=_CORRECT & previous),
        )
        .order_by()
    )
    total = [0, 0, 0, 0, 0]  # attempts, judged, correct, pending, verified (as Totals)
    # Per student: n, judged, ok, score_sum, score_n, recent_judged, recent_ok,
    # previous_judged, previous_ok.
    per_student: dict[int, list[int]] = {}
    newest: dict[int, int] = {}  # the id of each student's newest attempt
    per_pair: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    counts: Counter[tuple[str, str]] = Counter()
    correct_writes: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    help_groups: list[Group] = []
    pending = Attempt.Status.PENDING
    for row in plain_rows(groups):
        (sid, target, read, status, failed, exercise_id, n, judged, ok, verified_n, score_sum,
         score_n, last, recent_judged, recent_ok, previous_judged, previous_ok) = row  # fmt: skip
        figures = per_student.get(sid)
        if figures is None:
            figures = per_student[sid] = [0] * 9
        figures[0] += n
        figures[1] += judged
        figures[2] += ok
        figures[3] += score_sum or 0
        figures[4] += score_n
        figures[5] += recent_judged
        figures[6] += recent_ok
        figures[7] += previous_judged
        figures[8] += previous_ok
        total[0] += n
        total[1] += judged
        total[2] += ok
        total[4] += verified_n
        if status == pending:
            total[3] += n
        else:
            counts[(target, read)] += n
        if newest.get(sid, 0) < last:
            newest[sid] = last
        pair = per_pair[(sid, target)]
        pair[0] += judged
        pair[1] += ok
        if ok:
            per_exercise = correct_writes[(exercise_id, sid)]
            per_exercise[target] = per_exercise.get(target, 0) + ok
        help_groups.append(Group(sid, target, failed, status, n, last))
    last_active = dict(
        Attempt.objects.filter(pk__in=list(newest.values())).values_list("student_id", "created_at")
    )

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
        n, judged, ok, score_sum, score_n, recent_judged, recent_ok, prev_judged, prev_ok = r
        rows.append(
            StudentRow(
                student=student,
                attempts=n,
                judged=judged,
                correct=ok,
                average_score=score_sum / score_n if score_n else None,
                mastered=mastered[student.pk],
                last_active=last_active.get(student.pk),
                trend=_trend((recent_ok, recent_judged), (prev_ok, prev_judged)),
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
    if filters.date_from or filters.date_to:
        progress = progress_for(exercises=shown, students=students)
    else:  # every attempt of the shown exercises was in the scan: its counts serve
        progress = progress_for(exercises=shown, students=students, correct_writes=correct_writes)
    completion = [(s, [CompletionCell(e, progress[(e.pk, s.pk)]) for e in shown]) for s in students]
    return ClassDashboard(
        classroom=classroom,
        filters=filters,
        totals=Totals(*total),
        students=rows,
        characters=characters,
        confusion=confusion,
        timeline=timeline,
        granularity=granularity,
        exercises=exercises,
        completion=completion,
        eligible_for_training=verified_training_count(classroom),
        needs_help=needs_help_from(help_groups, attempts=attempts, students=students),
        words=_class_words(exercises=shown, students=students, attempts=attempts),
    )


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
