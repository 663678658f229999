"""A student's account, as their class's teacher manages it: adding students by name with
login cards, a new password or card, a lockout cleared, their data downloaded, read or
deleted (and a student's own data, for them)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from classroom import cards, selectors, services
from classroom.forms import StudentNamesForm
from classroom.models import Classroom, LoginCard, User
from classroom.views.pages import managed_classroom, student_of, user_of, watched_classroom
from classroom.views.sign_in import login_cards_response


def _class_student(request: HttpRequest, pk: int, student_id: int) -> tuple[Classroom, User]:
    classroom = managed_classroom(request, pk)
    student = selectors.student_in_classroom(classroom=classroom, student_id=student_id)
    if student is None:
        raise Http404("No such student in this class")
    return classroom, student


@require_POST
@login_required
def class_student_unlock(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    """The teacher lets a student whom wrong passwords locked out sign in again."""
    classroom, student = _class_student(request, pk, student_id)
    services.student_lockout_clear(actor=user_of(request), classroom=classroom, student=student)
    messages.success(request, f"{student} can sign in again.")
    return redirect("class_student", pk=classroom.pk, student_id=student.pk)


def _watched_student(request: HttpRequest, pk: int, student_id: int) -> tuple[Classroom, User]:
    """A student of a class whose work the user may see: its teacher, or an admin."""
    classroom = watched_classroom(request, pk)
    student = selectors.student_in_classroom(classroom=classroom, student_id=student_id)
    if student is None:
        raise Http404("No such student in this class")
    return classroom, student


def student_data_download(student: User, *, actor: User) -> HttpResponse:
    """Everything stored about a student as a JSON download; audited."""
    services.student_export_record(actor=actor, student=student, form="json")
    response = JsonResponse(
        selectors.student_export(student=student), json_dumps_params={"indent": 1}
    )
    name = slugify(student.username)
    response["Content-Disposition"] = f'attachment; filename="{name}-data.json"'
    response["Cache-Control"] = "no-store"
    return response


def student_data_page(
    request: HttpRequest, student: User, *, back: str, download: str
) -> HttpResponse:
    """Everything stored about a student as a printable page, each attempt's ink drawn;
    audited."""
    services.student_export_record(actor=user_of(request), student=student, form="page")
    response = render(
        request,
        "classroom/student_data.html",
        {
            "student": student,
            "data": selectors.student_export(student=student),
            "back": back,
            "download": download,
            "own": user_of(request).pk == student.pk,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def class_student_export(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    """Everything stored about a student, as a JSON download, for their class's teacher or
    an admin."""
    _, student = _watched_student(request, pk, student_id)
    return student_data_download(student, actor=user_of(request))


@login_required
def class_student_data(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    """Everything stored about a student, as a readable page, for their class's teacher or
    an admin."""
    classroom, student = _watched_student(request, pk, student_id)
    return student_data_page(
        request,
        student,
        back=reverse("class_student", kwargs={"pk": classroom.pk, "student_id": student.pk}),
        download=reverse(
            "class_student_export", kwargs={"pk": classroom.pk, "student_id": student.pk}
        ),
    )


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """A student's own data, as the readable page (a parent may read it with them)."""
    student = student_of(request)
    return student_data_page(
        request, student, back=reverse("my_progress"), download=reverse("my_data_export")
    )


@login_required
def my_data_export(request: HttpRequest) -> HttpResponse:
    """A student's own data, as the JSON download."""
    student = student_of(request)
    return student_data_download(student, actor=student)


@login_required
def class_student_delete(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    """Delete a student and their data, after the teacher confirms."""
    classroom, student = _class_student(request, pk, student_id)
    shared = selectors.student_has_other_teachers(student=student, teacher=user_of(request))
    if request.method == "POST" and not shared:
        name = str(student)
        services.student_delete(actor=user_of(request), student=student)
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
    """The teacher adds students by name (one a line, "first, last", pasted from a
    spreadsheet or uploaded as a CSV file) and gets their login cards."""
    classroom = managed_classroom(request, pk)
    error = ""
    form = StudentNamesForm()
    if request.method == "POST":
        form = StudentNamesForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                created = services.class_add_students(
                    classroom=classroom,
                    names=form.people(),
                    card_kind=request.POST.get("kind", LoginCard.Kind.PICTURES),
                )
            except services.ClassroomError as problem:
                error = problem.message
            else:
                return login_cards_response(request, classroom, created)
    return render(
        request,
        "classroom/class_students_add.html",
        {
            "classroom": classroom,
            "form": form,
            "error": error,
            "kinds": LoginCard.Kind.choices,
            "roster_max_rows": services.MAX_NEW_STUDENTS,
        },
    )


@require_POST
@login_required
def class_student_password(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    """The teacher gives a student a new password, shown once on a login card."""
    classroom, student = _class_student(request, pk, student_id)
    password = services.student_password_reset(
        actor=user_of(request), classroom=classroom, student=student
    )
    printed = cards.PrintedCard(student=student, password=password)
    return login_cards_response(request, classroom, [printed])


@require_POST
@login_required
def class_student_card(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    """The teacher gives a student a new login card (pictures or words), shown once; the old
    card stops working."""
    classroom, student = _class_student(request, pk, student_id)
    try:
        secret = cards.card_reset(
            actor=user_of(request),
            classroom=classroom,
            student=student,
            kind=request.POST.get("kind", LoginCard.Kind.PICTURES),
        )
    except services.ClassroomError as problem:
        messages.error(request, problem.message)
        return redirect("class_student", pk=classroom.pk, student_id=student.pk)
    printed = cards.PrintedCard(student=student, secret=secret)
    return login_cards_response(request, classroom, [printed])
