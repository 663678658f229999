"""Attempts narrowed by what a teacher or a student asked for, and the helpers every
figure shares (ratios, character order, light querysets)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from classroom.models import CHARACTER_CLASSES, Attempt, Classroom, User

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
    """The one attempt filter of pages and the API: an exercise and a period.

    The period's dialect is `from` / `to` (the query names) in the site's time zone: `from`
    is inclusive; a `to` date includes that whole day, a `to` date-time is exclusive. The
    student API's older `since` / `until` are aliases (`until`: exclusive), see
    `period_from_query`.
    """

    exercise_id: int | None = None
    date_from: date | datetime | None = None
    date_to: date | datetime | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """[start, end): the period as instants."""
        start = end = None
        if self.date_from:
            start = _instant(self.date_from)
        if isinstance(self.date_to, datetime):
            end = _instant(self.date_to)
        elif self.date_to:
            end = _instant(self.date_to + timedelta(days=1))
        return start, end

    def apply(self, attempts: QuerySet[Attempt]) -> QuerySet[Attempt]:
        """`attempts` narrowed to the exercise and the period."""
        if self.exercise_id:
            attempts = attempts.filter(exercise_id=self.exercise_id)
        start, end = self.bounds()
        if start:
            attempts = attempts.filter(created_at__gte=start)
        if end:
            attempts = attempts.filter(created_at__lt=end)
        return attempts

    def as_query(self) -> dict[str, str]:
        query = {}
        if self.exercise_id:
            query["exercise"] = str(self.exercise_id)
        if self.date_from:
            query["from"] = self.date_from.isoformat()
        if self.date_to:
            query["to"] = self.date_to.isoformat()
        return query


# Dates a filter of attempts accepts (pages, CSV and API): beyond them a day's bounds no
# longer fit a date-time, and no attempt is stored there anyway.
FILTER_DATES = (date(1970, 1, 1), date(9998, 12, 31))
# The same years, for the API's schema.
FILTER_YEAR_PATTERN = "^(19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-"


def _instant(day_or_time: date | datetime) -> datetime:
    """A date-time as given (naive: the site's time zone), or a day's first instant; in UTC
    (Python allows offsets up to 24 h, PostgreSQL only up to 16 h)."""
    if not isinstance(day_or_time, datetime):
        day_or_time = datetime.combine(day_or_time, dt_time.min)
    if timezone.is_naive(day_or_time):
        day_or_time = timezone.make_aware(day_or_time)
    return day_or_time.astimezone(UTC)


class BadPeriod(ValueError):
    """A period bound that is not an ISO date or date-time, or lies outside FILTER_DATES;
    `name` is the query name."""

    def __init__(self, name: str, message: str = "") -> None:
        super().__init__(message or f"{name} must be an ISO date or date-time.")
        self.name = name


def _parsed(value: str, name: str) -> date | datetime:
    try:  # a date first: parse_datetime would read one as its midnight
        parsed = parse_date(value) or parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise BadPeriod(name)
    day = parsed.date() if isinstance(parsed, datetime) else parsed
    if not FILTER_DATES[0] <= day <= FILTER_DATES[1]:
        raise BadPeriod(name, f"{name} must lie between {FILTER_DATES[0]} and {FILTER_DATES[1]}.")
    return parsed


def period_from_query(params: Any) -> tuple[date | datetime | None, date | datetime | None]:
    """(`date_from`, `date_to`) from a query string: `from` and `to`, or the aliases `since`
    (= `from`) and `until` (an exclusive end: a date means up to that day's start)."""
    start: date | datetime | None = None
    end: date | datetime | None = None
    for name in ("from", "since"):
        if value := params.get(name):
            start = _parsed(value, name)
            break
    if value := params.get("to"):
        end = _parsed(value, "to")
    elif value := params.get("until"):
        until = _parsed(value, "until")
        end = until if isinstance(until, datetime) else until - timedelta(days=1)
    return start, end


def class_attempts(
    *, classroom: Classroom, filters: AttemptFilters | None = None
) -> QuerySet[Attempt]:
    """The class's attempts (every exercise of the class), narrowed by `filters`."""
    filters = filters or AttemptFilters()
    return filters.apply(Attempt.objects.filter(exercise__classroom=classroom))


def _character_order(ch: str) -> tuple[int, int]:
    # The recogniser's order (digits, upper, lower); a rejection ("") goes last.
    index = CHARACTER_CLASSES.find(ch) if ch else -1
    return (1, 0) if index < 0 else (0, index)


def plain_rows(rows: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a `values_list` of counts and text straight from the cursor: the ORM's
    per-value converters (an `int()` call for every count) cost more than the scan on the
    dashboard's thousands of groups. Only for columns the driver already gives as they are
    (integers, text), never dates or booleans on SQLite."""
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # a filter the ORM knows matches nothing (`__in=[]`): no query
        return []
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _light(attempts: QuerySet[Attempt]) -> QuerySet[Attempt]:
    # Lists never need the ink, nor the other JSON (parsed row by row: a 100-attempt
    # drill-down spent more on it than on its query); the thumbnail (a small PNG) is shown.
    return attempts.select_related("student", "exercise").defer(
        "ink", "candidates", "checks", "guides", "demonstration"
    )


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


def next_attempt_to_check(*, attempt: Attempt) -> Attempt | None:
    """The next attempt of the same class a teacher should look at after `attempt`: the
    newest older one that is checked but not verified and was wrong or failed a formation
    check (the newest such one when none is older)."""
    waiting = (
        Attempt.objects.filter(
            exercise__classroom_id=attempt.exercise.classroom_id,
            status=Attempt.Status.RECOGNIZED,
            verified=False,
        )
        .filter(Q(correct=False) | ~Q(failed_checks=""))
        .exclude(pk=attempt.pk)
        .only("id", "created_at")
        .order_by("-created_at", "-id")
    )
    return waiting.filter(created_at__lte=attempt.created_at).first() or waiting.first()
