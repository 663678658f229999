"""Who gets what in the chat app: every page, API endpoint, socket and socket command, for
every kind of visitor (docs/decisions/005-access-rules.md: not visible is a 404 / 4403,
visible but not allowed a 403 / an error frame, anonymous 302 / 401-403 / 4401)."""

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse

from chat import services
from chat.models import Comment, Message
from chat.tests.sockets import join, next_frame
from classroom.models import User
from classroom.tests.access_matrix import ACTORS, cases, codes, visit
from classroom.tests.test_dashboard_permissions import World, make_world

Url = Callable[[World], str]


@pytest.fixture
def world(db) -> World:
    return make_world()


def _class(name: str) -> Url:
    return lambda w: reverse(name, kwargs={"pk": w.classroom.pk})


def _attempt(name: str) -> Url:
    return lambda w: reverse(name, kwargs={"pk": w.attempt.pk})


#                       anonymous member outsider teacher other_teacher staff
MATRIX: list[tuple[str, str, Url, dict[str, int]]] = [
    ("chat_room", "get", _class("chat_room"), codes(302, 200, 404, 200, 404, 200)),
    ("class_discord", "post", _class("class_discord"), codes(302, 403, 404, 302, 404, 403)),
    (
        "class_discord_link",
        "post",
        _class("class_discord_link"),
        codes(302, 403, 404, 302, 404, 403),
    ),
    ("attempt_comment", "post", _attempt("attempt_comment"), codes(302, 403, 404, 302, 404, 403)),
    (
        "api-attempt-comments",
        "get",
        _attempt("api-attempt-comments"),
        codes(403, 200, 404, 200, 404, 200),
    ),
    (
        "api-attempt-comments",
        "post",
        _attempt("api-attempt-comments"),
        codes(403, 403, 404, 201, 404, 403),
    ),
    # Unsigned: nobody's session counts there.
    (
        "discord_interactions",
        "post",
        lambda w: reverse("discord_interactions"),
        codes(401, 401, 401, 401, 401, 401),
    ),
]
POST_DATA = {
    "class_discord": {"relay_feedback": "on"},
    "class_discord_link": {"discord_user_id": "123", "user_id": "0"},
    "attempt_comment": {"body": "Well done"},
    "api-attempt-comments": {"body": "Well done"},
}


@pytest.mark.parametrize(("name", "method", "url", "actor", "expected"), cases(MATRIX))
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


def test_only_the_teachers_comment_is_stored(world: World, client_as) -> None:
    for actor in ACTORS:
        client_as(world.users[actor]).post(
            reverse("api-attempt-comments", kwargs={"pk": world.attempt.pk}),
            {"body": f"from {actor}"},
        )
    assert list(Comment.objects.values_list("body", flat=True)) == ["from teacher"]


def test_the_comments_api_answers_refusals_in_the_error_shape(world: World, client_as) -> None:
    response = client_as(world.users["member"]).post(
        reverse("api-attempt-comments", kwargs={"pk": world.attempt.pk}), {"body": "me"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_a_student_never_sees_a_classmates_comments(world: World, client_as) -> None:
    teacher = world.users["teacher"]
    assert teacher is not None
    services.comment_add(teacher=teacher, attempt=world.classmate_attempt, body="For the classmate")
    url = reverse("api-attempt-comments", kwargs={"pk": world.classmate_attempt.pk})
    assert client_as(world.users["member"]).get(url).status_code == 404


# The socket, and what each visitor may send on it

SOCKET_CLOSE = {
    "anonymous": 4401,
    "member": None,
    "outsider": 4403,
    "teacher": None,
    "other_teacher": 4403,
    "staff": None,
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("actor", ACTORS)
async def test_only_the_class_and_staff_may_open_the_room(client, actor: str) -> None:
    world = await database_sync_to_async(make_world)()
    socket = await join(client, world.users[actor], world.classroom.pk)
    code = SOCKET_CLOSE[actor]
    if code is None:
        assert (await next_frame(socket, "room"))["type"] == "room"
    else:
        assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": code}
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_an_unknown_class_has_no_room(client) -> None:
    world = await database_sync_to_async(make_world)()
    socket = await join(client, world.users["teacher"], 999999)
    assert (await socket.receive_output(timeout=5))["code"] == 4403


# What each admitted visitor may do: None allowed, else the error code.
COMMANDS = {
    #              member         teacher  staff
    "message": ("ok", "ok", "not_allowed"),
    "status": ("refused", "ok", "not_allowed"),
    "remove": ("not_allowed", "ok", "not_allowed"),
    "mute": ("not_allowed", "ok", "not_allowed"),
    "close": ("not_allowed", "ok", "not_allowed"),
}


def _frame(kind: str, world: World, message_id: int) -> dict[str, Any]:
    member = world.users["member"]
    assert member is not None
    frames: dict[str, dict[str, Any]] = {
        "message": {"type": "message", "body": "hello", "client_id": "x"},
        "status": {"type": "message", "body": "/status", "client_id": "y"},
        "remove": {"type": "remove", "id": message_id},
        "mute": {"type": "mute", "student_id": member.pk, "minutes": 5},
        "close": {"type": "close"},
    }
    return frames[kind]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("actor", ["member", "teacher", "staff"])
async def test_each_visitor_may_send_only_their_commands(client, actor: str, command: str) -> None:
    world = await database_sync_to_async(make_world)()
    teacher = world.users["teacher"]
    assert teacher is not None
    posted = await database_sync_to_async(services.message_post)(
        user=teacher, classroom=world.classroom, body="to remove"
    )
    socket = await join(client, world.users[actor], world.classroom.pk)
    await next_frame(socket, "room")
    await next_frame(socket, "message")
    await socket.send_json_to(_frame(command, world, posted[0].pk))
    expected = COMMANDS[command][["member", "teacher", "staff"].index(actor)]
    if expected == "not_allowed":
        assert (await next_frame(socket, "error"))["code"] == "not_allowed"
    elif command in ("message", "status"):
        frame = await next_frame(socket, "message")
        if command == "status":
            answer = await next_frame(socket, "message")
            refused = answer["body"] == "Only the teacher can ask for /status."
            assert refused == (expected == "refused")
        else:
            assert frame["body"] == "hello"
    elif command == "remove":
        assert (await next_frame(socket, "removed"))["id"] == posted[0].pk
    else:
        state = await next_frame(socket, "room")
        assert state["type"] == "room"
    count = await database_sync_to_async(Message.objects.count)()
    assert count >= 1
    await socket.disconnect()
