"""REST API of the classroom app: a student's own attempts and exercises, a teacher's
class dashboard."""

from datetime import datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from classroom import selectors, services
from classroom.forms import DashboardFilterForm
from classroom.models import Attempt, User
from classroom.serializers import (
    AttemptDetailSerializer,
    AttemptSerializer,
    DashboardSerializer,
    ExerciseSerializer,
    VerdictInputSerializer,
    VerdictSerializer,
)
from hwr_site.api_errors import DomainError

ATTEMPT_FILTERS = [
    OpenApiParameter("exercise", int, description="Only this exercise"),
    OpenApiParameter("target", str, description="Only this target character"),
    OpenApiParameter("correct", bool, description="true or false"),
    OpenApiParameter("status", str, enum=["recognized", "pending"]),
    OpenApiParameter("since", str, description="ISO date or date-time (inclusive)"),
    OpenApiParameter("until", str, description="ISO date or date-time (exclusive)"),
]


def _when(value: str, name: str) -> datetime:
    try:
        parsed = parse_datetime(value) or parse_date(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise DomainError(f"{name} must be an ISO date or date-time.", code="bad_filter")
    if not isinstance(parsed, datetime):  # a day starts at midnight in the site's time zone
        parsed = datetime.combine(parsed, time.min)
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def filter_attempts(attempts: QuerySet[Attempt], params: Any) -> QuerySet[Attempt]:
    """Apply the query-string filters of the attempts list; bad values are a 400."""
    if exercise := params.get("exercise"):
        if not str(exercise).isdigit():
            raise DomainError("exercise must be an id.", code="bad_filter")
        attempts = attempts.filter(exercise_id=int(exercise))
    if target := params.get("target"):
        attempts = attempts.filter(target=target)
    if (correct := params.get("correct")) is not None:
        if correct not in {"true", "false"}:
            raise DomainError("correct must be true or false.", code="bad_filter")
        attempts = attempts.filter(correct=correct == "true")
    if status := params.get("status"):
        if status not in Attempt.Status.values:
            raise DomainError("status must be recognized or pending.", code="bad_filter")
        attempts = attempts.filter(status=status)
    if since := params.get("since"):
        attempts = attempts.filter(created_at__gte=_when(since, "since"))
    if until := params.get("until"):
        attempts = attempts.filter(created_at__lt=_when(until, "until"))
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
            OpenApiParameter("exercise", int, description="Only this exercise"),
            OpenApiParameter("from", str, description="ISO date (inclusive)"),
            OpenApiParameter("to", str, description="ISO date (inclusive)"),
        ],
        responses=DashboardSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        user = request.user
        assert isinstance(user, User)
        classroom = selectors.visible_classroom(user=user, pk=pk)
        if classroom is None:
            raise NotFound("No such class.")
        if classroom.teacher_id != user.pk and not user.is_staff:
            raise PermissionDenied("Only the class's teacher sees its dashboard.")
        exercises = list(selectors.classroom_exercises(classroom=classroom, include_archived=True))
        form = DashboardFilterForm(request.query_params or None, exercises=exercises)
        if request.query_params and not form.is_valid():
            first = next(iter(form.errors.items()))
            raise DomainError(f"{first[0]}: {first[1][0]}", code="bad_filter")
        dashboard = selectors.class_dashboard_figures(classroom=classroom, filters=form.filters())
        return Response(DashboardSerializer(dashboard).data)


class AttemptVerdictApi(APIView):
    """The class's teacher confirms or overrules the recogniser on an attempt (same rules as
    the replay page: see `services.attempt_set_verdict`)."""

    @extend_schema(request=VerdictInputSerializer, responses=VerdictSerializer)
    def post(self, request: Request, pk: int) -> Response:
        user = request.user
        assert isinstance(user, User)
        attempt = selectors.visible_attempt(user=user, pk=pk)
        if attempt is None:
            raise NotFound("No such attempt.")
        if not selectors.can_manage_classroom(user=user, classroom=attempt.exercise.classroom):
            raise PermissionDenied("Only the class's teacher can judge its attempts.")
        data = VerdictInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.attempt_set_verdict(
                attempt=attempt,
                teacher=user,
                correct=data.validated_data["correct"],
                label=data.validated_data["character"],
            )
        except services.ClassroomError as error:
            raise DomainError(error.message, code=error.code) from error
        return Response(VerdictSerializer(attempt).data)
