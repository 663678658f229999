"""Who gets what: every page and action of the classroom app, for every kind of visitor.

Rule: anonymous visitors go to log in (302); an object the visitor may not see is a 404;
a visible object they may not change, or a page for the other role, is a 403. Staff see
everything but change things in the admin site.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from classroom import services
from classroom.cards import card_make
from classroom.models import Classroom, Exercise, LoginCard, TeacherInvitation, User
from classroom.tests.access_matrix import cases, codes, visit
from classroom.tests.factories import (
    ClassroomFactory,
    ExerciseFactory,
    MembershipFactory,
    StaffFactory,
    StudentFactory,
    TeacherFactory,
)
from recognition.engine.labels import LETTERS


@dataclass
class World:
    classroom: Classroom
    exercise: Exercise
    users: dict[str, User | None]
    invitation: TeacherInvitation
    words: Exercise | None = None  # a words exercise
    own_name: Exercise | None = None  # each student's own name


@pytest.fixture
def world(db) -> World:
    teacher = TeacherFactory.create()
    classroom = ClassroomFactory.create(teacher=teacher)
    member = StudentFactory.create()
    membership = MembershipFactory.create(classroom=classroom, student=member)
    card_make(membership=membership, kind=LoginCard.Kind.PICTURES)  # on the sign-in page
    outsider = StudentFactory.create()
    MembershipFactory.create(student=outsider)  # in another teacher's class
    other_teacher = TeacherFactory.create()
    ClassroomFactory.create(teacher=other_teacher)
    return World(
        invitation=services.teacher_invite(actor=teacher),
        classroom=classroom,
        exercise=ExerciseFactory.create(classroom=classroom),
        users={
            "anonymous": None,
            "member": member,
            "outsider": outsider,
            "teacher": teacher,
            "other_teacher": other_teacher,
            "staff": StaffFactory.create(),
        },
        words=ExerciseFactory.create(
            classroom=classroom, kind="words", words="cat sun", characters="catsun"
        ),
        own_name=ExerciseFactory.create(classroom=classroom, kind="own_name", characters=LETTERS),
    )


Url = Callable[[World], str]


def _class(name: str) -> Url:
    return lambda w: reverse(name, kwargs={"pk": w.classroom.pk})


def _exercise(name: str) -> Url:
    return lambda w: reverse(name, kwargs={"pk": w.exercise.pk})


def _member_url(w: World) -> str:
    member = w.users["member"]
    assert member is not None
    return reverse("class_remove_student", kwargs={"pk": w.classroom.pk, "student_id": member.pk})


def _member_card_url(w: World) -> str:
    member = w.users["member"]
    assert member is not None
    return reverse("class_student_card", kwargs={"pk": w.classroom.pk, "student_id": member.pk})


def _sign_in_url(w: World) -> str:
    return reverse("class_sign_in", kwargs={"token": w.classroom.sign_in_token})


def _sign_in_member_url(w: World) -> str:
    member = w.users["member"]
    assert member is not None
    kwargs = {"token": w.classroom.sign_in_token, "student_id": member.pk}
    return reverse("class_sign_in_student", kwargs=kwargs)


def _member(name: str) -> Url:
    """A page about the class's member (the "member" visitor is that student themself)."""

    def url(w: World) -> str:
        member = w.users["member"]
        assert member is not None
        return reverse(name, kwargs={"pk": w.classroom.pk, "student_id": member.pk})

    return url


def _invitation(name: str) -> Url:
    return lambda w: reverse(name, kwargs={"pk": w.invitation.pk})


def _practice_url(w: World) -> str:
    return reverse("practice", kwargs={"exercise_id": w.exercise.pk})


def _of_kind(name: str, kind: str) -> Url:
    """A page of the class's words (or own-name) exercise."""

    def url(w: World) -> str:
        exercise = w.words if kind == "words" else w.own_name
        assert exercise is not None
        key = "exercise_id" if name == "practice" else "pk"
        return reverse(name, kwargs={key: exercise.pk})

    return url


def _named(name: str) -> Url:
    return lambda w: reverse(name)


#                           anonymous member outsider teacher other_teacher staff
MATRIX: list[tuple[str, str, Url, dict[str, int]]] = [
    ("home", "get", _named("home"), codes(200, 200, 200, 200, 200, 200)),
    ("login", "get", _named("login"), codes(200, 200, 200, 200, 200, 200)),
    ("signup", "get", _named("signup"), codes(200, 302, 302, 302, 302, 302)),
    ("logout", "post", _named("logout"), codes(302, 302, 302, 302, 302, 302)),
    ("password_change", "get", _named("password_change"), codes(302, 200, 200, 200, 200, 200)),
    ("password_reset", "get", _named("password_reset"), codes(200, 200, 200, 200, 200, 200)),
    ("class_list", "get", _named("class_list"), codes(302, 200, 200, 200, 200, 200)),
    ("class_create", "get", _named("class_create"), codes(302, 403, 403, 200, 200, 403)),
    ("class_create", "post", _named("class_create"), codes(302, 403, 403, 302, 302, 403)),
    ("class_join", "get", _named("class_join"), codes(302, 200, 200, 403, 403, 403)),
    ("exercise_list", "get", _named("exercise_list"), codes(302, 200, 200, 403, 403, 403)),
    ("class_detail", "get", _class("class_detail"), codes(302, 200, 404, 200, 404, 200)),
    ("class_edit", "get", _class("class_edit"), codes(302, 403, 404, 200, 404, 403)),
    ("class_edit", "post", _class("class_edit"), codes(302, 403, 404, 302, 404, 403)),
    ("class_archive", "post", _class("class_archive"), codes(302, 403, 404, 302, 404, 403)),
    ("class_archive", "get", _class("class_archive"), codes(405, 405, 405, 405, 405, 405)),
    (
        "class_regenerate_code",
        "post",
        _class("class_regenerate_code"),
        codes(302, 403, 404, 302, 404, 403),
    ),
    ("class_leave", "post", _class("class_leave"), codes(302, 302, 404, 403, 404, 403)),
    ("class_remove_student", "post", _member_url, codes(302, 403, 404, 302, 404, 403)),
    ("exercise_create", "get", _class("exercise_create"), codes(302, 403, 404, 200, 404, 403)),
    ("exercise_create", "post", _class("exercise_create"), codes(302, 403, 404, 302, 404, 403)),
    ("exercise_detail", "get", _exercise("exercise_detail"), codes(302, 200, 404, 200, 404, 200)),
    ("exercise_edit", "get", _exercise("exercise_edit"), codes(302, 403, 404, 200, 404, 403)),
    ("exercise_edit", "post", _exercise("exercise_edit"), codes(302, 403, 404, 302, 404, 403)),
    (
        "exercise_archive",
        "post",
        _exercise("exercise_archive"),
        codes(302, 403, 404, 302, 404, 403),
    ),
    ("practice", "get", _practice_url, codes(302, 200, 404, 403, 404, 403)),
    # A class's sign-in page is open to whoever has its address (a wrong answer: 200 again).
    ("class_sign_in", "get", _sign_in_url, codes(200, 200, 200, 200, 200, 200)),
    ("class_sign_in", "post", _sign_in_url, codes(405, 405, 405, 405, 405, 405)),
    ("class_sign_in_student", "get", _sign_in_member_url, codes(200, 200, 200, 200, 200, 200)),
    ("class_sign_in_student", "post", _sign_in_member_url, codes(400, 400, 400, 400, 400, 400)),
    (
        "class_sign_in_cards",
        "get",
        _class("class_sign_in_cards"),
        codes(302, 403, 404, 200, 404, 403),
    ),
    (
        "class_sign_in_cards",
        "post",
        _class("class_sign_in_cards"),
        codes(302, 403, 404, 302, 404, 403),
    ),
    (
        "class_sign_in_renew",
        "post",
        _class("class_sign_in_renew"),
        codes(302, 403, 404, 302, 404, 403),
    ),
    (
        "class_sign_in_renew",
        "get",
        _class("class_sign_in_renew"),
        codes(405, 405, 405, 405, 405, 405),
    ),
    ("class_student_card", "post", _member_card_url, codes(302, 403, 404, 200, 404, 403)),
    # Words and own names (issue 15): the same rules as any exercise.
    (
        "exercise_create_words",
        "post",
        _class("exercise_create"),
        codes(302, 403, 404, 302, 404, 403),
    ),
    (
        "exercise_create_name",
        "post",
        _class("exercise_create"),
        codes(302, 403, 404, 302, 404, 403),
    ),
    (
        "words_detail",
        "get",
        _of_kind("exercise_detail", "words"),
        codes(302, 200, 404, 200, 404, 200),
    ),
    ("name_detail", "get", _of_kind("exercise_detail", "own"), codes(302, 200, 404, 200, 404, 200)),
    ("words_edit", "post", _of_kind("exercise_edit", "words"), codes(302, 403, 404, 302, 404, 403)),
    ("name_edit", "get", _of_kind("exercise_edit", "own"), codes(302, 403, 404, 200, 404, 403)),
    ("words_practice", "get", _of_kind("practice", "words"), codes(302, 200, 404, 403, 404, 403)),
    ("name_practice", "get", _of_kind("practice", "own"), codes(302, 200, 404, 403, 404, 403)),
    ("draw", "get", _named("draw"), codes(302, 200, 200, 200, 200, 200)),
    ("admin", "get", lambda w: reverse("admin:index"), codes(302, 302, 302, 302, 302, 200)),
    # A student's data (issue 16): its teacher and admins read and download it; the student
    # reads their own on their own pages; deleting is the teacher's (admins: in the admin).
    ("class_student", "get", _member("class_student"), codes(302, 403, 404, 200, 404, 200)),
    (
        "class_student_data",
        "get",
        _member("class_student_data"),
        codes(302, 403, 404, 200, 404, 200),
    ),
    (
        "class_student_export",
        "get",
        _member("class_student_export"),
        codes(302, 403, 404, 200, 404, 200),
    ),
    (
        "class_student_delete",
        "get",
        _member("class_student_delete"),
        codes(302, 403, 404, 200, 404, 403),
    ),
    (
        "class_student_delete",
        "post",
        _member("class_student_delete"),
        codes(302, 403, 404, 302, 404, 403),
    ),
    ("my_data", "get", _named("my_data"), codes(302, 200, 200, 403, 403, 403)),
    ("my_data_export", "get", _named("my_data_export"), codes(302, 200, 200, 403, 403, 403)),
    # Teacher invitations: teachers make and revoke their own (admins: in the admin).
    (
        "teacher_invitations",
        "get",
        _named("teacher_invitations"),
        codes(302, 403, 403, 200, 200, 403),
    ),
    (
        "teacher_invitations",
        "post",
        _named("teacher_invitations"),
        codes(302, 403, 403, 302, 302, 403),
    ),
    (
        "teacher_invitation_revoke",
        "post",
        _invitation("teacher_invitation_revoke"),
        codes(302, 403, 403, 302, 404, 403),
    ),
]

# Valid bodies, so that a 302 for an allowed user means the action happened.
POST_DATA = {
    "class_sign_in_student": {"answer": "sun,sun,sun"},  # not a picture pair: a 400
    "class_sign_in_cards": {"kind": "pictures"},
    "class_student_card": {"kind": "pictures"},
    "class_create": {"name": "New class"},
    "class_edit": {"name": "Renamed"},
    "exercise_create": {
        "title": "Digits",
        "characters": "0123",
        "repetitions": "2",
        "order": "as_written",
        "case_rule": "strict",
    },
    "teacher_invitations": {"note": "Mr Ink"},
    "exercise_create_words": {
        "kind": "words",
        "title": "Words",
        "words": "cat dog",
        "repetitions": "2",
        "order": "as_written",
        "case_rule": "strict",
    },
    "exercise_create_name": {
        "kind": "own_name",
        "title": "My name",
        "repetitions": "2",
        "order": "as_written",
        "case_rule": "strict",
    },
    "words_edit": {
        "title": "Words",
        "words": "sun",
        "repetitions": "2",
        "order": "as_written",
        "case_rule": "strict",
    },
    "exercise_edit": {
        "title": "Digits",
        "characters": "0123",
        "repetitions": "2",
        "order": "shuffled",
        "case_rule": "lenient",
    },
}

CASES = cases(MATRIX)


@pytest.mark.parametrize(("name", "method", "url", "actor", "expected"), CASES)
def test_it_answers_each_visitor_with_the_expected_status(
    world: World,
    client_as: Callable[[User | None], Client],
    name: str,
    method: str,
    url: Url,
    actor: str,
    expected: int,
) -> None:
    client = client_as(world.users[actor])
    assert visit(client, method, url(world), POST_DATA.get(name, {})) == expected


@pytest.mark.parametrize("name", ["class_detail", "class_edit", "exercise_create"])
def test_it_hides_a_class_that_does_not_exist(
    world: World, client_as: Callable[[User | None], Client], name: str
) -> None:
    response = client_as(world.users["teacher"]).get(reverse(name, kwargs={"pk": 999_999}))
    assert response.status_code == 404


def test_it_sends_anonymous_visitors_to_the_login_page(
    world: World, client_as: Callable[[User | None], Client]
) -> None:
    url = reverse("class_detail", kwargs={"pk": world.classroom.pk})
    response = client_as(None).get(url)
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_it_hides_an_archived_exercise_from_students(
    world: World, client_as: Callable[[User | None], Client]
) -> None:
    world.exercise.archived = True
    world.exercise.save()
    url = reverse("exercise_detail", kwargs={"pk": world.exercise.pk})
    assert client_as(world.users["member"]).get(url).status_code == 404
    assert client_as(world.users["teacher"]).get(url).status_code == 200


def test_it_does_not_let_a_teacher_remove_someone_outside_the_class(
    world: World, client_as: Callable[[User | None], Client]
) -> None:
    outsider = world.users["outsider"]
    assert outsider is not None
    url = reverse(
        "class_remove_student", kwargs={"pk": world.classroom.pk, "student_id": outsider.pk}
    )
    assert client_as(world.users["teacher"]).post(url).status_code == 404


def test_a_teachers_allowed_words_and_name_posts_create_those_exercises(
    world: World, client_as: Callable[[User | None], Client]
) -> None:
    client = client_as(world.users["teacher"])
    url = reverse("exercise_create", kwargs={"pk": world.classroom.pk})
    assert client.post(url, POST_DATA["exercise_create_words"]).status_code == 302
    assert client.post(url, POST_DATA["exercise_create_name"]).status_code == 302
    made = world.classroom.exercises.filter(title__in=["Words", "My name"])
    assert sorted(made.values_list("kind", "words")) == [("own_name", ""), ("words", "cat dog")]
