"""The home page of each role, signing up (with a teacher invitation's link or without),
and the invitations a teacher hands to colleagues."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from classroom import selectors, services
from classroom.forms import InvitationForm, SignUpForm
from classroom.models import TeacherInvitation, User
from classroom.views.pages import teacher_of, user_of


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
    """Sign up; `?code=` fills in a class code, `?invitation=` (a teacher invitation's
    link) a teacher's invitation, and the page says who sent it and whether it still works."""
    if request.user.is_authenticated:
        return redirect("home")
    invited = request.GET.get("invitation", "")
    initial = {"join_code": request.GET.get("code", "")}
    if invited:
        initial.update(role=User.Role.TEACHER, invitation=invited)
    form = SignUpForm(request.POST or None, initial=initial)
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
    invitation = selectors.invitation_by_code(code=invited) if invited else None
    return render(
        request,
        "registration/signup.html",
        {"form": form, "invited": bool(invited), "invitation": invitation},
    )


def _invitation_link(request: HttpRequest, invitation: TeacherInvitation) -> str:
    return request.build_absolute_uri(reverse("signup")) + f"?invitation={invitation.code}"


@login_required
def teacher_invitations(request: HttpRequest) -> HttpResponse:
    """A teacher invites a colleague: a single-use link that expires, listed with what
    became of it, and revoked while unused."""
    teacher = teacher_of(request)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.teacher_invite(actor=teacher, note=form.cleaned_data["note"])
        except services.ClassroomError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Invitation made: copy its link and send it.")
            return redirect(reverse("teacher_invitations") + f"#invitation-{invitation.pk}")
    invitations = [
        (invitation, _invitation_link(request, invitation))
        for invitation in selectors.invitations_sent(user=teacher)
    ]
    return render(
        request,
        "classroom/teacher_invitations.html",
        {
            "form": form,
            "invitations": invitations,
            "days": services.INVITATION_DAYS,
            "limit": services.MAX_OPEN_INVITATIONS,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def teacher_invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    teacher = teacher_of(request)
    invitation = selectors.invitations_sent(user=teacher).filter(pk=pk).first()
    if invitation is None:
        raise Http404("No such invitation")
    try:
        services.teacher_invitation_revoke(actor=teacher, invitation=invitation)
    except services.ClassroomError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Invitation revoked: its link no longer works.")
    return redirect("teacher_invitations")
