"""Dashboards: the class's figures and CSV, a student's work, replays and verdicts, a
student's own progress."""

import csv
from collections.abc import Iterator
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from classroom import access, charts, selectors, services
from classroom.forms import (
    AttemptListForm,
    DashboardFilterForm,
    TrainingUseForm,
    VerdictForm,
)
from classroom.models import Classroom, LoginCard
from classroom.views.pages import (
    decided,
    managed_classroom,
    student_of,
    user_of,
    watched_classroom,
)

THUMBNAILS_PER_PAGE = 60


CSV_BATCH = 500  # rows a streamed chunk

CSV_COLUMNS = (
    "attempt_id",
    "student",
    "exercise",
    "target",
    "predicted",
    "correct",
    "score",
    "status",
    "verified",
    "verified_label",
    "created_at",
)


def _dashboard_filters(
    request: HttpRequest, classroom: Classroom
) -> tuple[DashboardFilterForm, selectors.AttemptFilters]:
    exercises = list(selectors.classroom_exercises(classroom=classroom, include_archived=True))
    form = DashboardFilterForm(request.GET or None, exercises=exercises)
    return form, form.filters()


@login_required
def class_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = watched_classroom(request, pk)
    form, filters = _dashboard_filters(request, classroom)
    dashboard = selectors.class_dashboard_figures(classroom=classroom, filters=filters)
    base_query = filters.as_query()

    def cell_href(target: str, read: str) -> str:
        return "?" + urlencode({**base_query, "target": target, "read": read}) + "#drilldown"

    drilldown = None
    if "target" in request.GET:
        target, read = request.GET.get("target", "")[:1], request.GET.get("read", "")[:1]
        drilldown = {
            "target": target,
            "read": read,
            "attempts": selectors.confusion_attempts(
                classroom=classroom, filters=filters, target=target, read=read
            ),
        }
    return render(
        request,
        "classroom/class_dashboard.html",
        {
            "classroom": classroom,
            "can_manage": access.can_manage_classroom(user=user_of(request), classroom=classroom),
            "form": form,
            "dashboard": dashboard,
            "needs_help": dashboard.needs_help,
            "query": urlencode(base_query),
            "character_grid": charts.character_grid(dashboard.characters),
            "confusion_map": charts.confusion_map(dashboard.confusion, href=cell_href),
            "mistakes": [
                (t, r, n, cell_href(t, r)) for t, r, n in dashboard.confusion.mistakes()[:12]
            ],
            "confusion_cells": [
                (t, r, dashboard.confusion.counts[(t, r)], cell_href(t, r))
                for t in dashboard.confusion.targets
                for r in dashboard.confusion.reads
                if (t, r) in dashboard.confusion.counts
            ],
            "progress_chart": charts.progress_chart(
                dashboard.timeline, granularity=dashboard.granularity
            ),
            "drilldown": drilldown,
            "live_now": selectors.class_live_now(classroom=classroom),
        },
        status=400 if form.errors else 200,  # the page shows which filter is wrong
    )


def _csv_cell(value: object) -> object:
    """Spreadsheets run a cell that starts with = + - @ as a formula: such text is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def class_attempts_csv(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    """The class's attempts as CSV, with the dashboard's filters; no ink, no images;
    audited."""
    classroom = watched_classroom(request, pk)
    form, filters = _dashboard_filters(request, classroom)
    if form.errors:
        name, problems = next(iter(form.errors.items()))
        return HttpResponseBadRequest(
            f"bad_filter: {name}: {problems[0]}\n", content_type="text/plain"
        )
    services.class_export_record(
        actor=user_of(request), classroom=classroom, filters=filters.as_query()
    )
    rows = (
        selectors.class_attempts(classroom=classroom, filters=filters)
        .order_by("created_at", "id")
        .values_list(
            "pk",
            "student__username",
            "exercise__title",
            "target",
            "predicted_label",
            "correct",
            "score",
            "status",
            "verified",
            "verified_label",
            "created_at",
        )
    )
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        # Rows go out in batches (one chunk per row cost more than the query); only the
        # teacher-typed text (usernames, titles) can start like a formula, the rest is
        # numbers, flags and characters of the 62 classes.
        batch = []
        for pk, username, title, *middle, created_at in rows.iterator(chunk_size=2000):
            cells = ["" if v is None else v for v in middle]
            row = [pk, _csv_cell(username), _csv_cell(title), *cells, created_at.isoformat()]
            batch.append(writer.writerow(row))
            if len(batch) == CSV_BATCH:
                yield "".join(batch)
                batch = []
        yield "".join(batch)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = slugify(classroom.name) or f"class-{classroom.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}-attempts.csv"'
    return response


@require_POST
@login_required
def class_training_use(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = managed_classroom(request, pk)
    form = TrainingUseForm(request.POST)
    allowed = form.is_valid() and form.cleaned_data["allowed"]
    services.class_set_training_use(classroom=classroom, allowed=allowed)
    messages.success(
        request,
        "Verified attempts of this class may now be used to retrain the recogniser."
        if allowed
        else "Attempts of this class will not be used to retrain the recogniser.",
    )
    return redirect(reverse("class_dashboard", kwargs={"pk": classroom.pk}) + "#verified")


@login_required
def class_student(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    """A student's attempts in the class, as thumbnails, for the teacher."""
    classroom = watched_classroom(request, pk)
    student = selectors.student_in_classroom(classroom=classroom, student_id=student_id)
    if student is None:
        raise Http404("No such student in this class")
    form = AttemptListForm(
        request.GET or None,
        characters=selectors.student_characters(classroom=classroom, student=student),
    )
    character, result = form.values()
    attempts = selectors.student_attempts(
        classroom=classroom, student=student, character=character, result=result
    )
    page = Paginator(attempts, THUMBNAILS_PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("character", character), ("result", result)) if v})
    return render(
        request,
        "classroom/class_student.html",
        {
            "classroom": classroom,
            "student": student,
            "form": form,
            "page": page,
            "query": query,
            "locked_out": selectors.student_locked_out(student=student),
            "can_manage": access.can_manage_classroom(user=user_of(request), classroom=classroom),
            "card_kind": selectors.class_card_kinds(classroom=classroom).get(student.pk, ""),
            "card_kinds": LoginCard.Kind.choices,
        },
    )


@login_required
def attempt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One attempt: the replay of its strokes, what the recogniser saw and said, the verdict."""
    user = user_of(request)
    attempt = decided(access.attempt_to_view, request, pk=pk)
    classroom = attempt.exercise.classroom
    can_judge = access.can_manage_classroom(user=user, classroom=classroom)
    initial = {"label": attempt.verified_label or attempt.target}
    return render(
        request,
        "classroom/attempt_detail.html",
        {
            "attempt": attempt,
            "classroom": classroom,
            "is_teacher_view": access.is_teacher_view(user=user, classroom=classroom),
            "can_judge": can_judge,
            "verdict_form": VerdictForm(initial=initial) if can_judge else None,
            "next_to_check": selectors.next_attempt_to_check(attempt=attempt)
            if can_judge
            else None,
            "replay": {
                "strokes": (attempt.ink or {}).get("strokes", []),
                "target": attempt.target,
            },
        },
    )


@require_POST
@login_required
def attempt_verdict(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    attempt = decided(access.attempt_to_judge, request, pk=pk)
    form = VerdictForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose correct or wrong.")
    else:
        try:
            services.attempt_set_verdict(
                attempt=attempt,
                teacher=user,
                correct=form.correct(),
                label=form.cleaned_data["label"],
            )
        except services.ClassroomError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                "Verdict withdrawn." if form.correct() is None else "Verdict saved: verified.",
            )
    return redirect("attempt_detail", pk=attempt.pk)


@login_required
def my_progress(request: HttpRequest) -> HttpResponse:
    """A student's own progress: accuracy and streaks per character, recent attempts."""
    student = student_of(request)
    progress = selectors.student_progress(student=student)
    cells = [selectors.CharacterCell(c.character, c.judged, c.correct) for c in progress.characters]
    return render(
        request,
        "classroom/my_progress.html",
        {
            "progress": progress,
            "character_grid": charts.character_grid(cells) if cells else "",
        },
    )
