"""REST API of the classroom app: a student's own attempts and exercises, a teacher's
class dashboard."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from classroom import access, selectors, services
from classroom.forms import DashboardFilterForm
from classroom.models import CHARACTER_CLASSES, Attempt, User
from classroom.serializers import (
    AttemptDetailSerializer,
    AttemptSerializer,
    DashboardSerializer,
    ExerciseSerializer,
    VerdictInputSerializer,
    VerdictSerializer,
)
from hwr_site.api_errors import DomainError

# Ids are PostgreSQL bigints.
MAX_ID = 2**63 - 1
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _period(name: str, description: str, kind: Any = OpenApiTypes.DATETIME) -> OpenApiParameter:
    return OpenApiParameter(
        name, kind, description=f"{description}, 1970 to 9998",
        pattern=selectors.FILTER_YEAR_PATTERN,
    )  # fmt: skip


ATTEMPT_FILTERS = [
    OpenApiParameter("exercise", ID_SCHEMA, description="Only this exercise"),
    OpenApiParameter(
        "target", str, description="Only this target character", pattern="^[0-9A-Za-z]$"
    ),
    OpenApiParameter("correct", bool, description="true or false"),
    OpenApiParameter("status", str, enum=["recognized", "pending"]),
    _period("from", "ISO date or date-time (inclusive)"),
    _period("to", "ISO date (that day included) or date-time (exclusive)"),
    _period("since", "Alias of from"),
    _period("until", "ISO date or date-time (exclusive)"),
]


def refuse_blank(params: Any) -> None:
    """A filter given with no value is a mistake in an API call (pages send blanks)."""
    blank = sorted(name for name, value in params.items() if value == "")
    if blank:
        raise DomainError("bad_filter", f"{blank[0]} has no value.")


def filter_attempts(attempts: QuerySet[Attempt], params: Any) -> QuerySet[Attempt]:
    """Apply the query-string filters of the attempts list; bad values are a 400."""
    refuse_blank(params)
    exercise = params.get("exercise")
    if exercise and (not str(exercise).isdigit() or not 1 <= int(exercise) <= MAX_ID):
        raise DomainError("bad_filter", "exercise must be an id.")
    try:
        date_from, date_to = selectors.period_from_query(params)
    except selectors.BadPeriod as error:
        raise DomainError("bad_filter", str(error)) from error
    filters = selectors.AttemptFilters(
        exercise_id=int(exercise) if exercise else None, date_from=date_from, date_to=date_to
    )
    attempts = filters.apply(attempts)
    if target := params.get("target"):
        if len(target) != 1 or target not in CHARACTER_CLASSES:
            raise DomainError("bad_filter", "target must be one of the 62 characters.")
        attempts = attempts.filter(target=target)
    if (correct := params.get("correct")) is not None:
        if correct not in {"true", "false"}:
            raise DomainError("bad_filter", "correct must be true or false.")
        attempts = attempts.filter(correct=correct == "true")
    if status := params.get("status"):
        if status not in Attempt.Status.values:
            raise DomainError("bad_filter", "status must be recognized or pending.")
        attempts = attempts.filter(status=status)
    return attempts


class MyAttemptsApi(generics.ListAPIView[Attempt]):
    """The logged-in student's attempts, newest first."""

    serializer_class = AttemptSerializer

    def get_queryset(self) -> QuerySet[Attempt]:
        own = Attempt.objects.filter(student_id=self.request.user.pk).select_related("exercise")
        return filter_attempts(own, self.request.query_params)

    @extend_schema(parameters=ATTEMPT_FILTERS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class MyAttemptApi(generics.RetrieveAPIView[Attempt]):
    """One of the logged-in student's attempts, with its ink and candidates."""

    serializer_class = AttemptDetailSerializer

    def get_queryset(self) -> QuerySet[Attempt]:
        return Attempt.objects.filter(student_id=self.request.user.pk).select_related("exercise")


class MyExercisesApi(generics.GenericAPIView[Any]):
    """Exercises of the logged-in student's classes, with their progress."""

    serializer_class = ExerciseSerializer
    pagination_class = None

    @extend_schema(responses=ExerciseSerializer(many=True))
    def get(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        rows = selectors.student_exercises(student=user) if user.is_student else []
        exercises = [row.exercise for row in rows]
        progress = {row.exercise.pk: row.progress for row in rows}
        serializer = self.get_serializer(
            exercises, many=True, context={"progress": progress, "request": request}
        )
        return Response(serializer.data)


class ClassDashboardApi(APIView):
    """The figures of a class's dashboard, for its teacher (staff may read them too).

    Query: `exercise` (id), `from` and `to` (ISO dates, inclusive), as on the page.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("exercise", ID_SCHEMA, description="Only this exercise"),
            _period("from", "ISO date (inclusive)", OpenApiTypes.DATE),
            _period("to", "ISO date (inclusive)", OpenApiTypes.DATE),
        ],
        responses=DashboardSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        user = request.user
        assert isinstance(user, User)
        classroom = access.classroom_to_watch(user=user, pk=pk)
        exercises = list(selectors.classroom_exercises(classroom=classroom, include_archived=True))
        refuse_blank(request.query_params)
        form = DashboardFilterForm(request.query_params or None, exercises=exercises)
        if request.query_params and not form.is_valid():
            first = next(iter(form.errors.items()))
            raise DomainError("bad_filter", f"{first[0]}: {first[1][0]}")
        dashboard = selectors.class_dashboard_figures(classroom=classroom, filters=form.filters())
        return Response(DashboardSerializer(dashboard).data)


class AttemptVerdictApi(APIView):
    """The class's teacher confirms or overrules the recogniser on an attempt (same rules as
    the replay page: see `services.attempt_set_verdict`)."""

    @extend_schema(request=VerdictInputSerializer, responses=VerdictSerializer)
    def post(self, request: Request, pk: int) -> Response:
        user = request.user
        assert isinstance(user, User)
        attempt = access.attempt_to_judge(user=user, pk=pk)
        data = VerdictInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.attempt_set_verdict(  # a ClassroomError is answered as a 400
            attempt=attempt,
            teacher=user,
            correct=data.validated_data["correct"],
            label=data.validated_data["character"],
        )
        return Response(VerdictSerializer(attempt).data)
