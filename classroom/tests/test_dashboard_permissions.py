"""Who gets what on the dashboards and the student's API: every page, action, API
endpoint and socket added with them (and the free-drawing socket).

Same rule as the rest of the app: anonymous visitors go to log in (302; 401/403 on the
API); what a visitor may not see is a 404; a visible thing they may not use is a 403.
Staff read every dashboard but judge nothing (they change things in the admin site).
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from classroom.models import Attempt, Classroom, User
from classroom.tests.access_matrix import ACTORS, cases, codes, visit
from classroom.tests.factories import (
    AttemptFactory,
    ClassroomFactory,
    ExerciseFactory,
    MembershipFactory,
    StaffFactory,
    StudentFactory,
    TeacherFactory,
)
from recognition.tests.sockets import ORIGIN, open_socket, session_headers


@dataclass
class World:
    classroom: Classroom
    attempt: Attempt  # written by "member"
    classmate_attempt: Attempt
    users: dict[str, User | None]


def make_world() -> World:
    teacher = TeacherFactory.create()
    classroom = ClassroomFactory.create(teacher=teacher)
    exercise = ExerciseFactory.create(classroom=classroom)
    member, classmate = StudentFactory.create(), StudentFactory.create()
    for student in (member, classmate):
        MembershipFactory.create(classroom=classroom, student=student)
    outsider = StudentFactory.create()
    MembershipFactory.create(student=outsider)
    other_teacher = TeacherFactory.create()
    ClassroomFactory.create(teacher=other_teacher)
    return World(
        classroom=classroom,
        attempt=AttemptFactory.create(student=member, exercise=exercise, image=b"\x89PNG"),
        classmate_attempt=AttemptFactory.create(student=classmate, exercise=exercise),
        users={
            "anonymous": None,
            "member": member,
            "outsider": outsider,
            "teacher": teacher,
            "other_teacher": other_teacher,
            "staff": StaffFactory.create(),
        },
    )


@pytest.fixture
def world(db) -> World:
    return make_world()


Url = Callable[[World], str]


def _class(name: str) -> Url:
    return lambda w: reverse(name, kwargs={"pk": w.classroom.pk})


def _attempt(name: str) -> Url:
    return lambda w: reverse(name, kwargs={"pk": w.attempt.pk})


def _named(name: str) -> Url:
    return lambda w: reverse(name)


def _student_page(w: World) -> str:
    member = w.users["member"]
    assert member is not None
    return reverse("class_student", kwargs={"pk": w.classroom.pk, "student_id": member.pk})


#                          anonymous member outsider teacher other_teacher staff
MATRIX: list[tuple[str, str, Url, dict[str, int]]] = [
    ("class_dashboard", "get", _class("class_dashboard"), codes(302, 403, 404, 200, 404, 200)),
    (
        "class_attempts_csv",
        "get",
        _class("class_attempts_csv"),
        codes(302, 403, 404, 200, 404, 200),
    ),
    (
        "class_training_use",
        "post",
        _class("class_training_use"),
        codes(302, 403, 404, 302, 404, 403),
    ),
    ("class_student", "get", _student_page, codes(302, 403, 404, 200, 404, 200)),
    ("attempt_detail", "get", _attempt("attempt_detail"), codes(302, 200, 404, 200, 404, 200)),
    ("attempt_verdict", "post", _attempt("attempt_verdict"), codes(302, 403, 404, 302, 404, 403)),
    ("my_progress", "get", lambda w: reverse("my_progress"), codes(302, 200, 200, 403, 403, 403)),
    (
        "api-class-dashboard",
        "get",
        _class("api-class-dashboard"),
        codes(403, 403, 404, 200, 404, 200),
    ),
    (
        "api-attempt-verdict",
        "post",
        _attempt("api-attempt-verdict"),
        codes(403, 403, 404, 200, 404, 403),
    ),
]
# The student's own API: anyone logged in may ask, and each sees only their own (the
# attempt below is the member's, so it is a 404 for everyone else, teachers included).
MATRIX += [
    ("api-my-attempts", "get", _named("api-my-attempts"), codes(403, 200, 200, 200, 200, 200)),
    ("api-my-attempt", "get", _attempt("api-my-attempt"), codes(403, 200, 404, 404, 404, 404)),
    ("api-my-exercises", "get", _named("api-my-exercises"), codes(403, 200, 200, 200, 200, 200)),
]
# The recognize API: anyone signed in, by session or by token (CONTRACTS section 4);
# anonymous callers and a wrong token get 403 in the error shape (decision 005).
RECOGNIZE = codes(403, 200, 200, 200, 200, 200)
POST_DATA = {
    "attempt_verdict": {"verdict": "correct"},
    "class_training_use": {"allowed": "on"},
    "api-attempt-verdict": {"correct": "true"},
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


@pytest.mark.parametrize("actor", ["anonymous", "member", "outsider", "other_teacher"])
def test_the_api_answers_refusals_in_the_error_shape(world: World, client_as, actor: str) -> None:
    response = client_as(world.users[actor]).get(
        reverse("api-class-dashboard", kwargs={"pk": world.classroom.pk})
    )
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]


def test_a_student_never_sees_a_classmates_attempt(world: World, client_as) -> None:
    client = client_as(world.users["member"])
    url = reverse("attempt_detail", kwargs={"pk": world.classmate_attempt.pk})
    assert client.get(url).status_code == 404


def test_a_teacher_cannot_open_the_page_of_a_student_outside_the_class(
    world: World, client_as
) -> None:
    outsider = world.users["outsider"]
    assert outsider is not None
    url = reverse("class_student", kwargs={"pk": world.classroom.pk, "student_id": outsider.pk})
    assert client_as(world.users["teacher"]).get(url).status_code == 404


def test_a_students_progress_page_shows_only_their_own_attempts(world: World, client_as) -> None:
    response = client_as(world.users["member"]).get(reverse("my_progress"))
    html = response.content.decode()
    assert f'data-attempt="{world.attempt.pk}"' in html
    assert f'data-attempt="{world.classmate_attempt.pk}"' not in html


def test_staff_see_the_dashboard_without_the_verdict_form(world: World, client_as) -> None:
    client = client_as(world.users["staff"])
    page = client.get(reverse("attempt_detail", kwargs={"pk": world.attempt.pk}))
    assert page.status_code == 200 and 'class="verdict-form"' not in page.content.decode()
    teacher_page = client_as(world.users["teacher"]).get(
        reverse("attempt_detail", kwargs={"pk": world.attempt.pk})
    )
    assert 'class="verdict-form"' in teacher_page.content.decode()


# The "Live now" socket follows the dashboard's row of the matrix: whoever gets the page
# (its teacher, and staff) may watch it; anonymous visitors get 4401, everyone else 4403.

DASHBOARD = next(expected for name, _, _, expected in MATRIX if name == "class_dashboard")
SOCKET_CLOSE = {302: 4401, 403: 4403, 404: 4403, 200: None}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("actor", list(DASHBOARD))
async def test_the_live_socket_admits_whoever_sees_the_dashboard(client, actor: str) -> None:
    world = await database_sync_to_async(make_world)()
    user = world.users[actor]
    headers = (
        [ORIGIN] if user is None else await database_sync_to_async(session_headers)(client, user)
    )
    communicator, connected = await open_socket(headers, f"/ws/classes/{world.classroom.pk}/live/")
    assert connected
    close_code = SOCKET_CLOSE[DASHBOARD[actor]]
    if close_code is None:
        assert await communicator.receive_nothing(timeout=0.5)
    else:
        assert await communicator.receive_output(timeout=5) == {
            "type": "websocket.close",
            "code": close_code,
        }
    await communicator.disconnect()


@pytest.mark.parametrize("actor", ["member", "outsider", "teacher", "other_teacher", "staff"])
def test_the_student_api_lists_only_the_visitors_own(
    world: World, client_as: Callable[[User | None], Client], actor: str
) -> None:
    client = client_as(world.users[actor])
    attempts = [row["id"] for row in client.get(reverse("api-my-attempts")).json()["results"]]
    exercises = [row["id"] for row in client.get(reverse("api-my-exercises")).json()]
    if actor == "member":
        assert attempts == [world.attempt.pk]
        assert exercises == [world.attempt.exercise_id]
    else:
        assert attempts == [] and world.attempt.exercise_id not in exercises


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("actor", "close_code"),
    [("anonymous", 4401), ("member", None), ("outsider", None), ("teacher", None),
     ("other_teacher", None), ("staff", None)],
)  # fmt: skip
async def test_anyone_logged_in_may_draw_freely(client, actor: str, close_code: int | None) -> None:
    world = await database_sync_to_async(make_world)()
    user = world.users[actor]
    headers = (
        [ORIGIN] if user is None else await database_sync_to_async(session_headers)(client, user)
    )
    communicator, connected = await open_socket(headers, "/ws/recognize/")
    assert connected
    await communicator.send_json_to({"type": "clear", "seq": 1})
    output = await communicator.receive_output(timeout=5)
    if close_code is None:
        assert output["type"] == "websocket.send" and '"prediction"' in output["text"]
    else:
        assert output == {"type": "websocket.close", "code": close_code}
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_an_unknown_class_cannot_be_watched(client) -> None:
    world = await database_sync_to_async(make_world)()
    teacher = world.users["teacher"]
    headers = await database_sync_to_async(session_headers)(client, teacher)
    communicator, _ = await open_socket(headers, "/ws/classes/999999/live/")
    assert (await communicator.receive_output(timeout=5))["code"] == 4403


INK = {"strokes": [[[0, 0], [0, 30]]]}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("by", ["session", "token"])
def test_the_recognize_api_answers_each_visitor(
    world: World, client_as: Callable[[User | None], Client], actor: str, by: str
) -> None:
    user = world.users[actor]
    if by == "token" and user is not None:
        client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    else:
        client = client_as(user)
    response = client.post(reverse("api-recognize"), INK, content_type="application/json")
    assert response.status_code == RECOGNIZE[actor]
    if RECOGNIZE[actor] == 200:
        assert response.json()["label"]
    else:
        assert response.json()["error"]["code"] == "not_authenticated"


def test_the_recognize_api_refuses_a_wrong_token(world: World) -> None:
    client = Client(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.post(reverse("api-recognize"), INK, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "authentication_failed"
