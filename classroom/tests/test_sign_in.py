"""A class's sign-in page: a child taps their name and two pictures (or types two words);
cards only for the class's own students, only on its own page, counted per class, per
address and per card; the teacher's new card, cards for the rest, a new address."""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from classroom import cards, selectors, services
from classroom.cards import CardSecret, card_make
from classroom.models import Classroom, LoginCard, Membership, User
from classroom.tests.factories import (
    ClassroomFactory,
    MembershipFactory,
    StaffFactory,
    StudentFactory,
)

pytestmark = pytest.mark.django_db


def page_url(classroom: Classroom) -> str:
    return reverse("class_sign_in", kwargs={"token": classroom.sign_in_token})


def child_url(classroom: Classroom, student: User) -> str:
    return reverse(
        "class_sign_in_student", kwargs={"token": classroom.sign_in_token, "student_id": student.pk}
    )


def answer_of(secret: CardSecret) -> str:
    return secret.stored_form


def other_answer(secret: CardSecret) -> str:
    """A picture pair that is not `secret`'s."""
    first = next(p for p in cards.PICTURES if p != secret.pictures[0])
    return f"{first},{secret.pictures[1]}"


def card_of(classroom: Classroom, student: User, kind: str = LoginCard.Kind.PICTURES):
    membership = Membership.objects.get(classroom=classroom, student=student)
    return card_make(membership=membership, kind=kind)


def sign_in(client: Client, classroom: Classroom, student: User, answer: str):
    return client.post(child_url(classroom, student), {"answer": answer})


def signed_in_as(client: Client) -> int | None:
    key = client.cookies.get("sessionid")
    if key is None or not key.value:
        return None
    session = Session.objects.filter(session_key=key.value).first()
    user_id = session.get_decoded().get("_auth_user_id") if session else None
    return int(user_id) if user_id else None


# The cards themselves


def test_a_card_stores_its_secret_only_hashed(classroom, student):
    secret = card_of(classroom, student)
    card = LoginCard.objects.get(membership__student=student)
    assert len(secret.pictures) == 2 and set(secret.pictures) <= set(cards.PICTURES)
    assert card.secret_hash.startswith("pbkdf2_sha256_card$")
    assert secret.stored_form not in card.secret_hash


def test_a_word_card_is_two_easy_words(classroom, student):
    secret = card_of(classroom, student, LoginCard.Kind.WORDS)
    first, second = secret.words.split()
    assert first in cards.WORDS and second in cards.WORDS


def test_adding_students_gives_each_a_picture_card_or_a_word_card(teacher, classroom):
    made = services.class_add_students(classroom=classroom, names=["Ada", "Alan"])
    assert [c.secret.kind for c in made if c.secret] == ["pictures", "pictures"]
    words = services.class_add_students(classroom=classroom, names=["Grace"], card_kind="words")
    assert words[0].secret is not None and len(words[0].secret.words.split()) == 2
    assert LoginCard.objects.filter(membership__classroom=classroom).count() == 3


def test_an_unknown_card_kind_adds_nobody(teacher, classroom):
    before = User.objects.count()
    with pytest.raises(services.ClassroomError) as error:
        services.class_add_students(classroom=classroom, names=["Ada"], card_kind="runes")
    assert error.value.code == "unknown_card_kind"
    assert User.objects.count() == before


def test_two_children_of_the_same_first_name_are_told_apart(teacher, classroom):
    services.class_add_students(classroom=classroom, names=["Sam Lee", "Sam Ito", "Ada", "Sam Lee"])
    names = [n.name for n in selectors.sign_in_names(classroom=classroom)]
    assert names[0] == "Ada" and "Sam I." in names
    assert len(set(names)) == 4 and all(n.startswith("Sam L. (sam.lee.") for n in names[-2:])


# Signing in


def test_a_child_signs_in_with_their_two_pictures_and_lands_home(client, classroom, student):
    secret = card_of(classroom, student)
    listed = client.get(page_url(classroom))
    assert listed.status_code == 200 and child_url(classroom, student) in listed.content.decode()
    assert listed["Cache-Control"] == "no-store" and "noindex" in listed["X-Robots-Tag"]
    response = sign_in(client, classroom, student, answer_of(secret))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert signed_in_as(client) == student.pk


def test_a_picture_login_gets_the_students_short_session(client, classroom, student, settings):
    sign_in(client, classroom, student, answer_of(card_of(classroom, student)))
    assert client.cookies["sessionid"]["expires"] == ""  # ends with the browser
    session = Session.objects.get(session_key=client.cookies["sessionid"].value)
    lasts = session.expire_date - timezone.now()
    assert timedelta(seconds=settings.SCHOOL_DAY_SECONDS - 60) < lasts
    assert lasts <= timedelta(seconds=settings.SCHOOL_DAY_SECONDS)


def test_a_wrong_picture_sequence_fails(client, classroom, student):
    secret = card_of(classroom, student)
    response = sign_in(client, classroom, student, other_answer(secret))
    assert response.status_code == 200
    assert "That is not it. Try again!" in response.content.decode()
    assert signed_in_as(client) is None


def test_the_right_pictures_in_the_wrong_order_fail(client, classroom, student):
    secret = card_of(classroom, student)
    while secret.pictures[0] == secret.pictures[1]:
        secret = card_of(classroom, student)
    backwards = f"{secret.pictures[1]},{secret.pictures[0]}"
    assert sign_in(client, classroom, student, backwards).status_code == 200
    assert signed_in_as(client) is None


def test_an_answer_that_is_no_picture_pair_is_a_400(client, classroom, student):
    card_of(classroom, student)
    for answer in ("", "sun", "sun,fish,tree", "sun,<script>", "\x00,sun"):
        response = sign_in(client, classroom, student, answer)
        assert response.status_code == 400 and "Pick two pictures." in response.content.decode()
    assert signed_in_as(client) is None


def test_a_word_pair_signs_in_however_it_is_typed(client, classroom, student):
    secret = card_of(classroom, student, LoginCard.Kind.WORDS)
    first, second = secret.words.split()
    page = client.get(child_url(classroom, student)).content.decode()
    assert 'name="answer" type="text"' in page and "data-picture=" not in page
    typed = f"  {first.capitalize()}-{second.upper()} "
    assert sign_in(client, classroom, student, typed).status_code == 302
    assert signed_in_as(client) == student.pk


def test_a_card_works_only_on_its_own_classs_page(client, classroom, student):
    secret = card_of(classroom, student)
    elsewhere = ClassroomFactory.create(teacher=classroom.teacher)
    MembershipFactory.create(classroom=elsewhere, student=student)  # in it, without a card
    assert sign_in(client, elsewhere, student, answer_of(secret)).status_code == 404
    assert child_url(elsewhere, student) not in client.get(page_url(elsewhere)).content.decode()
    assert signed_in_as(client) is None


def test_a_student_of_another_class_is_not_on_this_page(client, classroom, other_student):
    their_class = other_student.memberships.get().classroom
    secret = card_of(their_class, other_student)
    assert sign_in(client, classroom, other_student, answer_of(secret)).status_code == 404
    assert client.get(child_url(classroom, other_student)).status_code == 404


def test_a_teacher_cannot_sign_in_through_the_picture_page(client, classroom, student):
    secret = card_of(classroom, student)
    services.teacher_approve(actor=StaffFactory.create(), user=student)  # now a teacher
    assert child_url(classroom, student) not in client.get(page_url(classroom)).content.decode()
    assert sign_in(client, classroom, student, answer_of(secret)).status_code == 404
    assert signed_in_as(client) is None


def test_an_admin_cannot_sign_in_through_the_picture_page(client, classroom):
    admin = StaffFactory.create()
    membership = MembershipFactory.create(classroom=classroom, student=admin)
    with pytest.raises(services.ClassroomError):
        card_make(membership=membership, kind=LoginCard.Kind.PICTURES)
    admin.is_staff = False
    admin.save()
    secret = card_make(membership=membership, kind=LoginCard.Kind.PICTURES)
    admin.is_superuser = True
    admin.save()
    assert sign_in(client, classroom, admin, answer_of(secret)).status_code == 404


def test_an_unknown_or_archived_class_has_no_sign_in_page(client, classroom, student):
    card_of(classroom, student)
    assert client.get("/classes/not-a-real-token-at-all/sign-in/").status_code == 404
    services.class_set_archived(classroom=classroom, archived=True)
    assert client.get(page_url(classroom)).status_code == 404
    assert client.get(child_url(classroom, student)).status_code == 404


def test_the_sign_in_form_needs_its_csrf_token(classroom, student):
    secret = card_of(classroom, student)
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, classroom, student, answer_of(secret)).status_code == 403
    page = client.get(child_url(classroom, student)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        child_url(classroom, student),
        {"answer": answer_of(secret), "csrfmiddlewaretoken": token.group(1)},
    )
    assert response.status_code == 302 and signed_in_as(client) == student.pk


@pytest.mark.parametrize("page", ["names", "pictures", "words"])
def test_the_sign_in_pages_have_no_inline_script_or_style(client, classroom, student, page):
    kind = LoginCard.Kind.WORDS if page == "words" else LoginCard.Kind.PICTURES
    card_of(classroom, student, kind)
    url = page_url(classroom) if page == "names" else child_url(classroom, student)
    response = client.get(url)
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"<[^>]*\s(style|on\w+)=", html)


# The teacher's side


def test_a_new_card_replaces_the_old_one(client_as, teacher, classroom, student):
    old = card_of(classroom, student)
    page = reverse("class_student", kwargs={"pk": classroom.pk, "student_id": student.pk})
    assert "Give Ada a new login card" in client_as(teacher).get(page).content.decode()
    url = reverse("class_student_card", kwargs={"pk": classroom.pk, "student_id": student.pk})
    sheet = client_as(teacher).post(url, {"kind": "words"})
    assert sheet.status_code == 200 and sheet["Cache-Control"] == "no-store"
    card = LoginCard.objects.get(membership__student=student)
    assert card.kind == "words"
    words = re.search(r'class="login-card-words">([^<]+)<', sheet.content.decode())
    assert words is not None
    assert sign_in(Client(), classroom, student, answer_of(old)).status_code == 200
    assert sign_in(Client(), classroom, student, words.group(1)).status_code == 302
    entry = AuditEntry.objects.get(action="card.reset")
    assert entry.actor == teacher and entry.target_id == str(student.pk)


def test_the_printed_cards_show_the_pictures_and_the_classs_qr_code(client_as, teacher, classroom):
    url = reverse("class_students_add", kwargs={"pk": classroom.pk})
    sheet = client_as(teacher).post(url, {"names": "Ada\nAlan", "kind": "pictures"})
    html = sheet.content.decode()
    assert html.count('class="login-card"') == 2
    assert html.count('<svg viewBox="0 0') == 2 and html.count('class="qr-code"') == 2
    sign_in_page = f"http://testserver{page_url(classroom)}"
    assert html.count(f"<dd>{sign_in_page}</dd>") == 2
    pictures = re.findall(r'<img src="/static/img/pictures/(\w+)\.svg" alt="(\w+)"', html)
    assert len(pictures) == 4 and all(src == alt in cards.PICTURES for src, alt in pictures)
    assert " style=" not in html


def test_cards_for_the_students_without_one(client_as, teacher, classroom, student):
    joined = StudentFactory.create(first_name="Joy")
    services.class_join(student=joined, code=classroom.join_code)
    card_of(classroom, student)
    url = reverse("class_sign_in_cards", kwargs={"pk": classroom.pk})
    client = client_as(teacher)
    page = client.get(url).content.decode()
    assert "Cards for the 1 student without one" in page and "none yet" in page
    sheet = client.post(url, {"kind": "pictures"})
    assert sheet.status_code == 200 and sheet.content.decode().count('class="login-card"') == 1
    assert LoginCard.objects.filter(membership__student=joined).exists()
    assert AuditEntry.objects.get(action="cards.make").details["students"] == [joined.pk]
    again = client.post(url, {"kind": "pictures"})
    assert again.status_code == 302  # everyone has one now


def test_a_new_sign_in_address_shuts_the_old_one(client_as, teacher, classroom, student):
    secret = card_of(classroom, student)
    old_url = child_url(classroom, student)
    renew = reverse("class_sign_in_renew", kwargs={"pk": classroom.pk})
    assert client_as(teacher).post(renew).status_code == 302
    classroom.refresh_from_db()
    assert Client().post(old_url, {"answer": answer_of(secret)}).status_code == 404
    assert sign_in(Client(), classroom, student, answer_of(secret)).status_code == 302
    assert AuditEntry.objects.filter(action="sign_in.renew", actor=teacher).exists()


def test_classes_get_different_sign_in_tokens(teacher):
    tokens = {ClassroomFactory.create(teacher=teacher).sign_in_token for _ in range(5)}
    assert len(tokens) == 5 and all(len(t) >= 22 for t in tokens)


# Rate limits


def test_sign_in_tries_are_limited_per_class(settings, classroom, student):
    settings.SIGN_IN_CLASS_RATE = "3/10m"
    secret = card_of(classroom, student)
    for n in range(3):
        client = Client(REMOTE_ADDR=f"10.1.0.{n + 1}")  # a new address each time
        assert sign_in(client, classroom, student, other_answer(secret)).status_code == 200
    refused = sign_in(Client(REMOTE_ADDR="10.1.0.9"), classroom, student, answer_of(secret))
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 600
    assert "Please wait a moment" in refused.content.decode()
    other_class = ClassroomFactory.create()
    other = StudentFactory.create()
    MembershipFactory.create(classroom=other_class, student=other)
    their = card_of(other_class, other)
    assert (
        sign_in(Client(REMOTE_ADDR="10.1.0.9"), other_class, other, answer_of(their)).status_code
        == 302
    )


def test_sign_in_tries_are_limited_per_address(settings, classroom, student):
    settings.SIGN_IN_IP_RATE = "2/10m"
    secret = card_of(classroom, student)
    client = Client(REMOTE_ADDR="10.2.0.1")
    for _ in range(2):
        assert sign_in(client, classroom, student, other_answer(secret)).status_code == 200
    assert sign_in(client, classroom, student, answer_of(secret)).status_code == 429
    other = Client(REMOTE_ADDR="10.2.0.2")
    assert sign_in(other, classroom, student, answer_of(secret)).status_code == 302


def test_a_card_waits_after_five_wrong_answers_until_its_teacher_makes_a_new_one(
    settings, client_as, teacher, classroom, student
):
    secret = card_of(classroom, student)
    for n in range(5):
        client = Client(REMOTE_ADDR=f"10.3.0.{n + 1}")
        assert sign_in(client, classroom, student, other_answer(secret)).status_code == 200
    refused = sign_in(Client(REMOTE_ADDR="10.3.1.1"), classroom, student, answer_of(secret))
    assert refused.status_code == 429 and "ask your teacher" in refused.content.decode()
    url = reverse("class_student_card", kwargs={"pk": classroom.pk, "student_id": student.pk})
    sheet = client_as(teacher).post(url, {"kind": "words"}).content.decode()
    words = re.search(r'class="login-card-words">([^<]+)<', sheet)
    assert words is not None
    assert (
        sign_in(Client(REMOTE_ADDR="10.3.1.1"), classroom, student, words.group(1)).status_code
        == 302
    )


def test_the_class_limit_clears_when_its_window_ends(settings, classroom, student):
    settings.SIGN_IN_CLASS_RATE = "2/2s"
    settings.SIGN_IN_CARD_RATE = "100/10m"  # only the class's limit is tried here
    secret = card_of(classroom, student)
    for _ in range(6):  # 2 a window: refused by the third, or the fifth across a window's end
        refused = sign_in(Client(), classroom, student, other_answer(secret))
        if refused.status_code == 429:
            break
    assert refused.status_code == 429
    time.sleep(int(refused["Retry-After"]) + 1.1)
    assert sign_in(Client(), classroom, student, answer_of(secret)).status_code == 302


def test_a_new_sign_in_address_clears_the_class_limit(
    settings, client_as, teacher, classroom, student
):
    settings.SIGN_IN_CLASS_RATE = "1/10m"
    secret = card_of(classroom, student)
    sign_in(Client(), classroom, student, other_answer(secret))
    assert sign_in(Client(), classroom, student, answer_of(secret)).status_code == 429
    client_as(teacher).post(reverse("class_sign_in_renew", kwargs={"pk": classroom.pk}))
    classroom.refresh_from_db()
    assert sign_in(Client(), classroom, student, answer_of(secret)).status_code == 302


def test_an_admin_sees_who_has_a_card_but_never_its_secret(admin_client, classroom, student):
    card_of(classroom, student)
    card = LoginCard.objects.get()
    listed = admin_client.get("/admin/classroom/logincard/")
    assert listed.status_code == 200 and "Picture password" in listed.content.decode()
    shown = admin_client.get(f"/admin/classroom/logincard/{card.pk}/change/").content.decode()
    assert card.secret_hash.split("$")[-1] not in shown
    assert admin_client.get("/admin/classroom/logincard/add/").status_code == 403
