"""A class's sign-in page, where a child taps their name, then their two pictures (or types
their two words); and the teacher's side of it: its address and QR code, cards to print.

The sign-in page is open to anyone who has its address (the class's unguessable token) and
counts its tries per address, per class and per card (decision 013); a card opens only a
student's account, and only on its own class's page (`classroom.cards`).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from classroom import cards, selectors
from classroom.errors import ClassroomError
from classroom.models import Classroom, LoginCard
from classroom.views.pages import managed_classroom, user_of
from hwr_site.ratelimits import limit_hit, limit_used_up, too_many


def _private(response: HttpResponse) -> HttpResponse:
    # Children's names: not kept by a shared tablet's cache, nor listed by a search engine.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _sign_in_classroom(token: str) -> Classroom:
    classroom = selectors.sign_in_classroom(token=token)
    if classroom is None:
        raise Http404("No class signs in here")
    return classroom


def sign_in_url(request: HttpRequest, classroom: Classroom) -> str:
    return request.build_absolute_uri(
        reverse("class_sign_in", kwargs={"token": classroom.sign_in_token})
    )


@require_http_methods(["GET"])
def class_sign_in(request: HttpRequest, token: str) -> HttpResponse:
    """The class's sign-in page: each child with a card, as a big button with their name."""
    classroom = _sign_in_classroom(token)
    names = selectors.sign_in_names(classroom=classroom)
    return _private(
        render(request, "classroom/sign_in.html", {"classroom": classroom, "names": names})
    )


@require_http_methods(["GET", "POST"])
def class_sign_in_student(request: HttpRequest, token: str, student_id: int) -> HttpResponse:
    """A child's half of the sign-in page: their pictures to tap, or their words to type."""
    if request.method == "POST":
        wait = limit_hit(request, group="sign-in-ip", key="ip", rate=settings.SIGN_IN_IP_RATE)
        if wait is not None:
            return too_many(request, wait, "tries")
    classroom = _sign_in_classroom(token)
    card = selectors.sign_in_card(classroom=classroom, student_id=student_id)
    if card is None:
        raise Http404("No such child on this class's page")
    error, status = "", 200
    if request.method == "POST":
        # A new card (its made_at) starts its count of wrong answers afresh.
        card_key = f"=card:{card.pk}:{card.made_at.timestamp()}"
        rate = settings.SIGN_IN_CARD_RATE
        wait = limit_hit(
            request, group="sign-in-class", key=f"=class:{token}", rate=settings.SIGN_IN_CLASS_RATE
        ) or limit_used_up(request, group="sign-in-card", key=card_key, rate=rate)
        if wait is not None:
            return too_many(request, wait, "tries")
        try:
            student = cards.card_sign_in(card=card, raw_answer=request.POST.get("answer", ""))
        except ClassroomError as problem:
            limit_hit(request, group="sign-in-card", key=card_key, rate=rate)
            error, status = problem.message, 400 if problem.code == "bad_answer" else 200
        else:
            # Not authenticate(): django-axes would count a child's mis-tap against the
            # school's address on the password login. The student session policy still
            # applies (classroom.sessions listens to user_logged_in).
            login(request, student, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("home")
    name = next(
        (
            n.name
            for n in selectors.sign_in_names(classroom=classroom)
            if n.student_id == student_id
        ),
        "",
    )
    context = {
        "classroom": classroom,
        "card": card,
        "name": name,
        "error": error,
        "pictures": cards.PICTURES,
        "slots": range(1, cards.PICTURES_PER_SECRET + 1),
    }
    return _private(render(request, "classroom/sign_in_student.html", context, status=status))


def login_cards_response(
    request: HttpRequest, classroom: Classroom, printed: list[cards.PrintedCard]
) -> HttpResponse:
    """The sheet of login cards to print, each with the class's sign-in QR code; shown once."""
    url = sign_in_url(request, classroom)
    response = render(
        request,
        "classroom/login_cards.html",
        {
            "classroom": classroom,
            "cards": printed,
            "sign_in_url": url,
            "qr_svg": mark_safe(cards.sign_in_qr_svg(url)),  # noqa: S308 - segno's own SVG
            "login_url": request.build_absolute_uri(reverse("login")),
        },
    )
    response["Cache-Control"] = "no-store"  # the secrets are shown this once
    return response


@login_required
@require_http_methods(["GET", "POST"])
def class_sign_in_cards(request: HttpRequest, pk: int) -> HttpResponse:
    """The teacher's view of the class's sign-in page: its address and QR code, who has a
    card; a POST makes cards for the students without one and shows them to print."""
    classroom = managed_classroom(request, pk)
    if request.method == "POST":
        kind = request.POST.get("kind", LoginCard.Kind.PICTURES)
        try:
            made = cards.class_cards_make(actor=user_of(request), classroom=classroom, kind=kind)
        except ClassroomError as problem:
            messages.error(request, problem.message)
            return redirect("class_sign_in_cards", pk=classroom.pk)
        if made:
            printed = [cards.PrintedCard(student=s, secret=secret) for s, secret in made]
            return login_cards_response(request, classroom, printed)
        messages.info(request, "Every student of the class has a login card already.")
        return redirect("class_sign_in_cards", pk=classroom.pk)
    kinds = selectors.class_card_kinds(classroom=classroom)
    students = [
        (student, LoginCard.Kind(kinds[student.pk]).label if student.pk in kinds else "")
        for student in selectors.classroom_students(classroom=classroom)
    ]
    url = sign_in_url(request, classroom)
    return render(
        request,
        "classroom/class_sign_in_cards.html",
        {
            "classroom": classroom,
            "students": students,
            "without_card": sum(1 for _, kind in students if not kind),
            "sign_in_url": url,
            "qr_svg": mark_safe(cards.sign_in_qr_svg(url)),  # noqa: S308 - segno's own SVG
            "kinds": LoginCard.Kind.choices,
        },
    )


@require_POST
@login_required
def class_sign_in_renew(request: HttpRequest, pk: int) -> HttpResponse:
    """A new sign-in address for the class; the QR codes printed so far stop working."""
    classroom = managed_classroom(request, pk)
    cards.class_sign_in_renew(actor=user_of(request), classroom=classroom)
    messages.success(
        request, "The class has a new sign-in address. The QR code on cards printed before no "
        "longer opens it; the children's pictures and words still work on the new page."
    )  # fmt: skip
    return redirect("class_sign_in_cards", pk=classroom.pk)
