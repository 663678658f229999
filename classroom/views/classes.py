"""Classes: list, create, rename, archive, join codes, roster, joining and leaving."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from classroom import access, selectors, services
from classroom.forms import (
    ClassroomForm,
    JoinForm,
)
from classroom.views.pages import (
    managed_classroom,
    student_of,
    teacher_of,
    user_of,
    viewed_classroom,
)


@login_required
def class_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if user.is_teacher:
        classes = selectors.teacher_classes(teacher=user)
    elif user.is_staff:
        classes = selectors.all_classes()
    else:
        classes = selectors.student_classes(student=user)
    return render(request, "classroom/class_list.html", {"classes": classes})


@login_required
def class_create(request: HttpRequest) -> HttpResponse:
    teacher = teacher_of(request)
    form = ClassroomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        classroom = services.class_create(teacher=teacher, name=form.cleaned_data["name"])
        messages.success(request, f"Class “{classroom}” created. Share its code with students.")
        return redirect(classroom)
    return render(request, "classroom/class_form.html", {"form": form, "creating": True})


@login_required
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = viewed_classroom(request, pk)
    user = user_of(request)
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
                "roster": selectors.class_roster(classroom=classroom),
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
    classroom = managed_classroom(request, pk)
    form = ClassroomForm(request.POST or None, instance=classroom)
    if request.method == "POST" and form.is_valid():
        services.class_rename(classroom=classroom, name=form.cleaned_data["name"])
        services.class_set_spoken_prompts(
            classroom=classroom, spoken=form.cleaned_data.get("spoken_prompts", False)
        )
        messages.success(request, "Class saved.")
        return redirect(classroom)
    return render(request, "classroom/class_form.html", {"form": form, "classroom": classroom})


@require_POST
@login_required
def class_archive(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = managed_classroom(request, pk)
    archived = request.POST.get("archived", "1") != "0"
    services.class_set_archived(classroom=classroom, archived=archived)
    messages.success(request, "Class archived." if archived else "Class restored.")
    return redirect(classroom)


@require_POST
@login_required
def class_regenerate_code(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = managed_classroom(request, pk)
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
    classroom = managed_classroom(request, pk)
    student = selectors.student_in_classroom(classroom=classroom, student_id=student_id)
    if student is None:
        raise Http404("No such student in this class")
    services.class_remove_student(classroom=classroom, student=student)
    messages.success(request, f"{student} removed from the class.")
    return redirect(classroom)


@login_required
def class_join(request: HttpRequest) -> HttpResponse:
    student = student_of(request)
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
    classroom = viewed_classroom(request, pk)
    student = student_of(request)
    try:
        services.class_leave(student=student, classroom=classroom)
    except services.ClassroomError as error:
        raise PermissionDenied(error.message) from error
    messages.success(request, f"You left “{classroom}”.")
    return redirect("home")
