"""Pages for accounts, classes and exercises: parse, call one service or selector, answer.

Access (see `classroom.selectors`): anonymous users are sent to log in; an object the user
may not see is a 404; a forbidden action on a visible object, or a page for the other
role, is a 403.
"""

import csv
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from classroom import access, charts, selectors, services
from classroom.forms import (
    AttemptListForm,
    ClassroomForm,
    DashboardFilterForm,
    ExerciseForm,
    JoinForm,
    SignUpForm,
    TrainingUseForm,
    VerdictForm,
)
from classroom.models import Classroom, Exercise, User

T = TypeVar("T")


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _page(decide: Callable[..., T], request: HttpRequest, **kwargs: Any) -> T:
    """What `classroom.access` decides, as a page answers it: 404 or 403."""
    try:
        return decide(user=_user(request), **kwargs)
    except access.NotVisible as error:
        raise Http404(error.message) from error
    except access.NotAllowed as error:
        raise PermissionDenied(error.message) from error


def _classroom(request: HttpRequest, pk: int) -> Classroom:
    return _page(access.classroom_to_view, request, pk=pk)


def _managed_classroom(request: HttpRequest, pk: int) -> Classroom:
    return _page(access.classroom_to_manage, request, pk=pk)


def _exercise(request: HttpRequest, pk: int) -> Exercise:
    return _page(access.exercise_to_view, request, pk=pk)


def _managed_exercise(request: HttpRequest, pk: int) -> Exercise:
    return _page(access.exercise_to_manage, request, pk=pk)


def _require_teacher(request: HttpRequest) -> User:
    return _page(lambda user: access.require_teacher(user), request)


def _require_student(request: HttpRequest) -> User:
    return _page(lambda user: access.require_student(user), request)


def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not user.is_authenticated:
        return render(request, "classroom/landing.html")
    if user.is_teacher:
        classes = selectors.teacher_classes(teacher=user)
        return render(request, "classroom/home_teacher.html", {"classes": classes})
    if user.is_staff:
        return render(request, "classroom/home_staff.html", {"classes": selectors.all_classes()})
    return render(
        request,
        "classroom/home_student.html",
        {
            "classes": selectors.student_classes(student=user),
            "exercises": selectors.student_exercises(student=user),
        },
    )


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None, initial={"join_code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        try:
            user = form.sign_up()
        except services.ClassroomError as error:
            field = "invitation" if error.code == "bad_invitation" else "join_code"
            form.add_error(field, error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Inkwell, {user}!")
            return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def class_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.is_teacher:
        classes = selectors.teacher_classes(teacher=user)
    elif user.is_staff:
        classes = selectors.all_classes()
    else:
        classes = selectors.student_classes(student=user)
    return render(request, "classroom/class_list.html", {"classes": classes})


@login_required
def class_create(request: HttpRequest) -> HttpResponse:
    teacher = _require_teacher(request)
    form = ClassroomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        classroom = services.class_create(teacher=teacher, name=form.cleaned_data["name"])
        messages.success(request, f"Class “{classroom}” created. Share its code with students.")
        return redirect(classroom)
    return render(request, "classroom/class_form.html", {"form": form, "creating": True})


@login_required
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _classroom(request, pk)
    user = _user(request)
    if access.is_teacher_view(user=user, classroom=classroom):
        exercises = list(selectors.classroom_exercises(classroom=classroom, include_archived=True))
        current = [e for e in exercises if not e.archived]
        return render(
            request,
            "classroom/class_detail_teacher.html",
            {
                "classroom": classroom,
                "can_manage": access.can_manage_classroom(user=user, classroom=classroom),
                "exercises": exercises,
                "current_exercises": current,
                "dashboard": selectors.class_dashboard(classroom=classroom),
            },
        )
    own = [
        item
        for item in selectors.student_exercises(student=user)
        if item.exercise.classroom_id == classroom.pk
    ]
    return render(
        request,
        "classroom/class_detail_student.html",
        {"classroom": classroom, "exercises": own},
    )


@login_required
def class_edit(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _managed_classroom(request, pk)
    form = ClassroomForm(request.POST or None, instance=classroom)
    if request.method == "POST" and form.is_valid():
        services.class_rename(classroom=classroom, name=form.cleaned_data["name"])
        messages.success(request, "Class renamed.")
        return redirect(classroom)
    return render(request, "classroom/class_form.html", {"form": form, "classroom": classroom})


@require_POST
@login_required
def class_archive(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _managed_classroom(request, pk)
    archived = request.POST.get("archived", "1") != "0"
    services.class_set_archived(classroom=classroom, archived=archived)
    messages.success(request, "Class archived." if archived else "Class restored.")
    return redirect(classroom)


@require_POST
@login_required
def class_regenerate_code(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _managed_classroom(request, pk)
    try:
        services.class_regenerate_code(classroom=classroom)
    except services.ClassroomError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "New join code made. The old one no longer works.")
    return redirect(classroom)


@require_POST
@login_required
def class_remove_student(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    classroom = _managed_classroom(request, pk)
    student = selectors.student_in_classroom(classroom=classroom, student_id=student_id)
    if student is None:
        raise Http404("No such student in this class")
    services.class_remove_student(classroom=classroom, student=student)
    messages.success(request, f"{student} removed from the class.")
    return redirect(classroom)


@login_required
def class_join(request: HttpRequest) -> HttpResponse:
    student = _require_student(request)
    form = JoinForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.class_join(student=student, code=form.cleaned_data["code"])
        except services.ClassroomError as error:
            form.add_error("code", error.message)
        else:
            messages.success(request, f"You joined “{membership.classroom}”.")
            return redirect(membership.classroom)
    return render(request, "classroom/class_join.html", {"form": form})


@require_POST
@login_required
def class_leave(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _classroom(request, pk)
    student = _require_student(request)
    try:
        services.class_leave(student=student, classroom=classroom)
    except services.ClassroomError as error:
        raise PermissionDenied(error.message) from error
    messages.success(request, f"You left “{classroom}”.")
    return redirect("home")


@login_required
def exercise_list(request: HttpRequest) -> HttpResponse:
    student = _require_student(request)
    return render(
        request,
        "classroom/exercise_list.html",
        {"exercises": selectors.student_exercises(student=student)},
    )


@login_required
def exercise_create(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _managed_classroom(request, pk)
    form = ExerciseForm(request.POST or None, instance=Exercise(classroom=classroom))
    if request.method == "POST" and form.is_valid():
        try:
            exercise = services.exercise_create(
                classroom=classroom, fields=form.fields_for_service()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Exercise “{exercise}” added.")
            return redirect(classroom)
    return render(
        request,
        "classroom/exercise_form.html",
        {"form": form, "classroom": classroom, "creating": True},
    )


@login_required
def exercise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = _exercise(request, pk)
    user = _user(request)
    if access.is_teacher_view(user=user, classroom=exercise.classroom):
        return render(
            request,
            "classroom/exercise_detail_teacher.html",
            {
                "exercise": exercise,
                "classroom": exercise.classroom,
                "can_manage": access.can_manage_classroom(user=user, classroom=exercise.classroom),
                "roster": selectors.exercise_roster(exercise=exercise),
            },
        )
    progress = selectors.progress_for(exercises=[exercise], students=[user])
    return render(
        request,
        "classroom/exercise_detail_student.html",
        {
            "exercise": exercise,
            "classroom": exercise.classroom,
            "progress": progress[(exercise.pk, user.pk)],
        },
    )


@login_required
def exercise_edit(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = _managed_exercise(request, pk)
    form = ExerciseForm(request.POST or None, instance=exercise)
    if request.method == "POST" and form.is_valid():
        try:
            services.exercise_update(exercise=exercise, fields=form.fields_for_service())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Exercise saved.")
            return redirect("exercise_detail", pk=exercise.pk)
    return render(
        request,
        "classroom/exercise_form.html",
        {"form": form, "classroom": exercise.classroom, "exercise": exercise},
    )


@require_POST
@login_required
def exercise_archive(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = _managed_exercise(request, pk)
    archived = request.POST.get("archived", "1") != "0"
    services.exercise_set_archived(exercise=exercise, archived=archived)
    messages.success(request, "Exercise archived." if archived else "Exercise restored.")
    return redirect(exercise.classroom)


@login_required
def practice(request: HttpRequest, exercise_id: int) -> HttpResponse:
    """The practice canvas for one exercise; strokes and submits go over the websocket."""
    user = _user(request)
    exercise = _page(access.exercise_to_practise, request, pk=exercise_id)
    plan = selectors.practice_plan(student=user, exercise=exercise)
    ws_url = f"/ws/practice/{exercise.pk}/"
    config = {
        "mode": "practice",
        "ws_url": ws_url,
        "targets": plan or list(exercise.characters),
        "show_tracing": exercise.show_tracing,
    }
    return render(
        request,
        "classroom/practice.html",
        {
            "exercise": exercise,
            "config": config,
            "mode": "practice",
            "ws_url": ws_url,
            "targets": config["targets"],
            "show_tracing": exercise.show_tracing,
            "done": not plan,
        },
    )


# Dashboards: the class's figures, a student's work, replays and verdicts.

THUMBNAILS_PER_PAGE = 60
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


def _watched_classroom(request: HttpRequest, pk: int) -> Classroom:
    """A class whose figures the user may see: its teacher, or staff (read only)."""
    return _page(access.classroom_to_watch, request, pk=pk)


def _dashboard_filters(
    request: HttpRequest, classroom: Classroom
) -> tuple[DashboardFilterForm, selectors.AttemptFilters]:
    exercises = list(selectors.classroom_exercises(classroom=classroom, include_archived=True))
    form = DashboardFilterForm(request.GET or None, exercises=exercises)
    return form, form.filters()


@login_required
def class_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _watched_classroom(request, pk)
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
            "can_manage": access.can_manage_classroom(user=_user(request), classroom=classroom),
            "form": form,
            "dashboard": dashboard,
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
    """The class's attempts as CSV, with the dashboard's filters; no ink, no images."""
    classroom = _watched_classroom(request, pk)
    form, filters = _dashboard_filters(request, classroom)
    if form.errors:
        name, problems = next(iter(form.errors.items()))
        return HttpResponseBadRequest(
            f"bad_filter: {name}: {problems[0]}\n", content_type="text/plain"
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
        for row in rows.iterator(chunk_size=2000):
            *head, created_at = row
            cells = [_csv_cell(v) for v in head]
            yield writer.writerow([*cells, created_at.isoformat()])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = slugify(classroom.name) or f"class-{classroom.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}-attempts.csv"'
    return response


@require_POST
@login_required
def class_training_use(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _managed_classroom(request, pk)
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
    classroom = _watched_classroom(request, pk)
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
            "can_manage": access.can_manage_classroom(user=_user(request), classroom=classroom),
        },
    )


@login_required
def attempt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One attempt: the replay of its strokes, what the recogniser saw and said, the verdict."""
    user = _user(request)
    attempt = _page(access.attempt_to_view, request, pk=pk)
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
            "replay": {
                "strokes": (attempt.ink or {}).get("strokes", []),
                "target": attempt.target,
            },
        },
    )


@require_POST
@login_required
def attempt_verdict(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    attempt = _page(access.attempt_to_judge, request, pk=pk)
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
    student = _require_student(request)
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


@require_POST
@login_required
def class_student_unlock(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    """The teacher lets a student whom wrong passwords locked out sign in again."""
    classroom = _managed_classroom(request, pk)
    student = selectors.student_in_classroom(classroom=classroom, student_id=student_id)
    if student is None:
        raise Http404("No such student in this class")
    services.student_lockout_clear(actor=_user(request), classroom=classroom, student=student)
    messages.success(request, f"{student} can sign in again.")
    return redirect("class_student", pk=classroom.pk, student_id=student.pk)


def _class_student(request: HttpRequest, pk: int, student_id: int) -> tuple[Classroom, User]:
    classroom = _managed_classroom(request, pk)
    student = selectors.student_in_classroom(classroom=classroom, student_id=student_id)
    if student is None:
        raise Http404("No such student in this class")
    return classroom, student


@login_required
def class_student_export(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    """Everything stored about a student, as a JSON download, for their class's teacher."""
    _, student = _class_student(request, pk, student_id)
    services.student_export_record(actor=_user(request), student=student)
    response = JsonResponse(
        selectors.student_export(student=student), json_dumps_params={"indent": 1}
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{slugify(student.username)}-data.json"'
    )
    return response


@login_required
def class_student_delete(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    """Delete a student and their data, after the teacher confirms."""
    classroom, student = _class_student(request, pk, student_id)
    shared = selectors.student_has_other_teachers(student=student, teacher=_user(request))
    if request.method == "POST" and not shared:
        name = str(student)
        services.student_delete(actor=_user(request), student=student)
        messages.success(request, f"{name} and everything stored about them are deleted.")
        return redirect("class_dashboard", pk=classroom.pk)
    return render(
        request,
        "classroom/class_student_delete.html",
        {
            "classroom": classroom,
            "student": student,
            "shared": shared,
            "attempts": student.attempts.count(),
        },
    )


@login_required
def class_students_add(request: HttpRequest, pk: int) -> HttpResponse:
    """The teacher adds students by name (one a line, or pasted from a spreadsheet) and gets
    their login cards."""
    classroom = _managed_classroom(request, pk)
    error = ""
    if request.method == "POST":
        names = request.POST.get("names", "").replace(",", "\n").replace("\t", "\n")
        try:
            created = services.class_add_students(classroom=classroom, names=names.splitlines())
        except services.ClassroomError as problem:
            error = problem.message
        else:
            return _login_cards(request, classroom, created)
    return render(
        request, "classroom/class_students_add.html", {"classroom": classroom, "error": error}
    )


@require_POST
@login_required
def class_student_password(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    """The teacher gives a student a new password, shown once on a login card."""
    classroom, student = _class_student(request, pk, student_id)
    password = services.student_password_reset(
        actor=_user(request), classroom=classroom, student=student
    )
    return _login_cards(request, classroom, [(student, password)])


def _login_cards(request: HttpRequest, classroom: Classroom, cards: list[Any]) -> HttpResponse:
    response = render(
        request,
        "classroom/login_cards.html",
        {"classroom": classroom, "cards": cards,
         "login_url": request.build_absolute_uri(reverse("login"))},
    )  # fmt: skip
    response["Cache-Control"] = "no-store"  # the passwords are shown this once
    return response
