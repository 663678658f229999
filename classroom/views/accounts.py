"""The home page of each role, and signing up."""

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from classroom import selectors, services
from classroom.forms import (
    SignUpForm,
)
from classroom.views.pages import (
    user_of,
)


def home(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
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
