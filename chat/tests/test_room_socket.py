"""`/ws/classes/<id>/chat/` over the real ASGI application, Redis channel layer and
PostgreSQL: history, catching up, exactly-once delivery, the bot, moderation, limits."""

import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat import services
from chat.consumers import PRESENCE_COALESCE_S
from chat.models import Message, ModerationAction, Room
from chat.tests.sockets import frames, join, next_frame, nothing_of, say
from classroom.tests.factories import ExerciseFactory, MembershipFactory, StudentFactory

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


def post(user, classroom, body):
    return services.message_post(user=user, classroom=classroom, body=body)[0]


@pytest.fixture
def classmate(classroom):
    member = StudentFactory.create(username="bo", first_name="Bo")
    MembershipFactory.create(classroom=classroom, student=member)
    return member


async def test_joining_sends_the_room_state_then_the_last_50_oldest_first(
    client, classroom, teacher, student
):
    for i in range(55):
        await db(post)(teacher, classroom, f"message {i}")
    socket = await join(client, student, classroom.pk)
    state = await next_frame(socket, "room")
    assert state["earlier"] is True and state["can_post"] is True
    backlog = await frames(socket, "message", 50)
    assert [m["body"] for m in backlog] == [f"message {i}" for i in range(5, 55)]
    assert [m["id"] for m in backlog] == sorted(m["id"] for m in backlog)
    await socket.send_json_to({"type": "history", "before": backlog[0]["id"]})
    earlier = await next_frame(socket, "history")
    assert [m["body"] for m in earlier["messages"]] == [f"message {i}" for i in range(5)]
    assert earlier["earlier"] is False
    await socket.disconnect()


async def test_a_message_reaches_everyone_in_the_room_once(client, classroom, teacher, student):
    teacher_socket = await join(client, teacher, classroom.pk)
    student_socket = await join(client, student, classroom.pk)
    await say(student_socket, "Hello <b>class</b> https://example.com", client_id="abc-1")
    for socket in (teacher_socket, student_socket):
        frame = await next_frame(socket, "message")
        assert frame["body"] == "Hello <b>class</b> https://example.com"  # stored as typed
        assert (frame["author"], frame["role"], frame["client_id"]) == ("Ada", "student", "abc-1")
        assert await nothing_of(socket, "message")
    stored = await db(Message.objects.get)()
    assert stored.body == frame["body"] and stored.id == frame["id"]
    await teacher_socket.disconnect()
    await student_socket.disconnect()


async def test_after_sends_every_later_message_oldest_first(client, classroom, teacher, student):
    first = await db(post)(teacher, classroom, "seen already")
    for i in range(30):
        await db(post)(teacher, classroom, f"missed {i}")
    socket = await join(client, student, classroom.pk, after=first.pk)
    missed = await frames(socket, "message", 30)
    assert [m["body"] for m in missed] == [f"missed {i}" for i in range(30)]
    assert await nothing_of(socket, "message")
    await socket.disconnect()


async def test_a_lost_announcement_is_read_from_the_database_in_order(
    client, classroom, teacher, student
):
    socket = await join(client, student, classroom.pk)

    def lost_then_announced():
        # Stored, but its group send never arrives (channels_redis may drop one).
        room, _ = Room.objects.get_or_create(classroom=classroom)
        room.last_number += 1
        room.save()
        Message.objects.create(room=room, number=room.last_number, author=teacher, body="lost")
        return post(teacher, classroom, "announced")

    await db(lost_then_announced)()
    got = await frames(socket, "message", 2)
    assert [m["body"] for m in got] == ["lost", "announced"]
    assert await nothing_of(socket, "message")
    await socket.disconnect()


async def test_a_too_long_message_is_refused_and_not_stored(client, classroom, student, settings):
    settings.CHAT_MESSAGE_MAX_CHARS = 20
    socket = await join(client, student, classroom.pk)
    await say(socket, "x" * 21)
    error = await next_frame(socket, "error")
    assert error["code"] == "message_too_long"
    assert await db(Message.objects.count)() == 0
    await socket.disconnect()


async def test_the_rate_limit_is_per_person_across_sockets(client, classroom, student, settings):
    settings.CHAT_RATE_MESSAGES = 3
    one = await join(client, student, classroom.pk)
    two = await join(client, student, classroom.pk)
    for i, socket in enumerate([one, two, one]):
        await say(socket, f"hi {i}")
        await next_frame(socket, "message")
    await say(two, "one too many")
    assert (await next_frame(two, "error"))["code"] == "rate_limited"
    assert await db(Message.objects.count)() == 3
    await one.disconnect()
    await two.disconnect()


async def test_frames_that_are_not_json_objects_get_error_frames(client, classroom, student):
    socket = await join(client, student, classroom.pk)
    await socket.send_to(text_data="not json")
    assert (await next_frame(socket, "error"))["code"] == "bad_json"
    await socket.send_json_to({"type": "dance"})
    assert (await next_frame(socket, "error"))["code"] == "unknown_type"
    await socket.send_to(text_data="x" * 20000)
    assert (await next_frame(socket, "error"))["code"] == "message_too_large"
    await socket.disconnect()


# The bot


async def test_help_and_unknown_commands_answer_only_the_asker(
    client, classroom, student, classmate
):
    asker = await join(client, student, classroom.pk)
    other = await join(client, classmate, classroom.pk)
    await say(asker, "/help")
    asked, answered = await frames(asker, "message", 2)
    assert asked["body"] == "/help" and asked["private"] is True
    assert answered["role"] == "bot" and "/progress" in answered["body"]
    await say(asker, "/dance")
    _, unknown = await frames(asker, "message", 2)
    assert "I don't know /dance" in unknown["body"] and "/help" in unknown["body"]
    assert await nothing_of(other, "message")
    await asker.disconnect()
    await other.disconnect()


async def test_progress_answers_the_askers_own_figures(client, classroom, student, classmate):
    from classroom.tests.factories import AttemptFactory

    exercise = await db(ExerciseFactory.create)(
        classroom=classroom, title="Vowels", characters="ae", repetitions=1
    )
    await db(AttemptFactory.create)(student=classmate, exercise=exercise, target="a")
    await db(AttemptFactory.create)(student=classmate, exercise=exercise, target="e")
    socket = await join(client, student, classroom.pk)
    (milestone,) = await frames(socket, "message", 1)  # Bo finished it
    assert milestone["kind"] == "milestone" and milestone["body"] == "🎉 1 of 2 finished Vowels."
    await say(socket, "/progress")
    _, answer = await frames(socket, "message", 2)
    assert answer["body"] == "Ada's progress: Vowels: 0/2" and answer["private"]
    await socket.disconnect()


async def test_next_names_the_next_exercise_due_for_the_room(client, classroom, student, classmate):
    soon = timezone.now() + timedelta(days=1)
    await db(ExerciseFactory.create)(classroom=classroom, title="Later", characters="z")
    await db(ExerciseFactory.create)(classroom=classroom, title="Soon", characters="b", due_at=soon)
    asker = await join(client, student, classroom.pk)
    other = await join(client, classmate, classroom.pk)
    await say(asker, "/next")
    for socket in (asker, other):
        _, answer = await frames(socket, "message", 2)
        assert answer["body"].startswith("Next: Soon (b), due") and not answer["private"]
    await asker.disconnect()
    await other.disconnect()


async def test_status_is_for_the_teacher_only(client, classroom, teacher, student):
    pupil = await join(client, student, classroom.pk)
    await say(pupil, "/status")
    _, refused = await frames(pupil, "message", 2)
    assert refused["body"] == "Only the teacher can ask for /status."
    head = await join(client, teacher, classroom.pk)
    await say(head, "/status")
    _, status = await frames(head, "message", 2)
    assert status["body"].startswith("Model ")
    assert "inference queue:" in status["body"] and "workers in the last minute:" in status["body"]
    await pupil.disconnect()
    await head.disconnect()


# Moderation


async def test_the_teacher_removes_a_message_for_everyone_and_it_is_audited(
    client, classroom, teacher, student
):
    head = await join(client, teacher, classroom.pk)
    pupil = await join(client, student, classroom.pk)
    await say(pupil, "something unkind")
    message = await next_frame(head, "message")
    await head.send_json_to({"type": "remove", "id": message["id"]})
    for socket in (head, pupil):
        assert await next_frame(socket, "removed") == {"type": "removed", "id": message["id"]}
    action = await db(ModerationAction.objects.select_related("actor").get)()
    assert (action.action, action.actor_id, action.detail) == (
        "remove",
        teacher.pk,
        "something unkind",
    )
    assert action.created_at is not None
    late = await join(client, student, classroom.pk)
    (shown,) = await frames(late, "message", 1)
    assert shown["removed"] is True and shown["body"] == ""
    for socket in (head, pupil, late):
        await socket.disconnect()


async def test_a_student_cannot_moderate(client, classroom, teacher, student):
    message = await db(post)(teacher, classroom, "hello")
    pupil = await join(client, student, classroom.pk)
    for frame in (
        {"type": "remove", "id": message.pk},
        {"type": "mute", "student_id": student.pk, "minutes": 5},
        {"type": "close"},
    ):
        await pupil.send_json_to(frame)
        assert (await next_frame(pupil, "error"))["code"] == "not_allowed"
    assert (await db(Message.objects.get)()).removed_at is None
    await pupil.disconnect()


async def test_a_muted_student_cannot_post_for_the_minutes_set(
    client, classroom, teacher, student, classmate
):
    head = await join(client, teacher, classroom.pk)
    pupil = await join(client, student, classroom.pk)
    await next_frame(pupil, "room")
    await head.send_json_to({"type": "mute", "student_id": student.pk, "minutes": 10})
    state = await next_frame(pupil, "room")
    assert state["can_post"] is False and state["muted_until"] is not None
    await say(pupil, "let me talk")
    assert (await next_frame(pupil, "error"))["code"] == "muted"
    await db(post)(classmate, classroom, "I still can")
    await head.send_json_to({"type": "unmute", "student_id": student.pk})
    assert (await next_frame(pupil, "room"))["can_post"] is True
    await say(pupil, "thanks")
    assert (await next_frame(pupil, "message"))["body"] in {"I still can", "thanks"}
    await head.disconnect()
    await pupil.disconnect()


async def test_a_closed_room_takes_only_the_teachers_messages(client, classroom, teacher, student):
    head = await join(client, teacher, classroom.pk)
    pupil = await join(client, student, classroom.pk)
    await next_frame(pupil, "room")
    await head.send_json_to({"type": "close"})
    assert (await next_frame(pupil, "room"))["closed"] is True
    await say(pupil, "hello?")
    assert (await next_frame(pupil, "error"))["code"] == "room_closed"
    await say(head, "Lesson starts at nine.")
    assert (await next_frame(pupil, "message"))["body"] == "Lesson starts at nine."
    await head.send_json_to({"type": "open"})
    assert (await next_frame(pupil, "room"))["closed"] is False
    actions = await db(lambda: list(ModerationAction.objects.values_list("action", flat=True)))()
    assert sorted(actions) == ["close", "open"]
    await head.disconnect()
    await pupil.disconnect()


async def test_an_archived_classs_room_is_read_only(client, classroom, teacher, student):
    await db(post)(teacher, classroom, "before the archive")
    classroom.archived_at = timezone.now()
    await db(classroom.save)()
    for user in (student, teacher):
        socket = await join(client, user, classroom.pk)
        state = await next_frame(socket, "room")
        assert state["read_only"] is True and state["can_post"] is False
        assert (await next_frame(socket, "message"))["body"] == "before the archive"
        await say(socket, "still here")
        assert (await next_frame(socket, "error"))["code"] in {"archived", "not_allowed"}
        await socket.disconnect()
    assert await db(Message.objects.count)() == 1


async def test_staff_read_but_do_not_post(client, classroom, teacher, staff):
    await db(post)(teacher, classroom, "hello")
    socket = await join(client, staff, classroom.pk)
    state = await next_frame(socket, "room")
    assert state["read_only"] is True
    assert (await next_frame(socket, "message"))["body"] == "hello"
    await say(socket, "admin here")
    assert (await next_frame(socket, "error"))["code"] == "not_allowed"
    await socket.disconnect()


async def test_presence_lists_who_is_here_and_drops_who_left(client, classroom, teacher, student):
    head = await join(client, teacher, classroom.pk)
    pupil = await join(client, student, classroom.pk)
    for _ in range(5):
        here = (await next_frame(head, "presence"))["here"]
        if len(here) == 2:
            break
    assert [p["name"] for p in here] == ["Ms Quill", "Ada"]
    await pupil.disconnect()
    here = (await next_frame(head, "presence"))["here"]
    assert [p["name"] for p in here] == ["Ms Quill"]
    await head.disconnect()


async def test_a_class_arriving_together_is_announced_once_not_once_per_arrival(
    client, classroom, teacher
):
    def enrol(i):
        pupil = StudentFactory.create(username=f"kid{i}", first_name=f"Kid {i:02}")
        MembershipFactory.create(classroom=classroom, student=pupil)
        return pupil

    pupils = [await db(enrol)(i) for i in range(12)]
    head = await join(client, teacher, classroom.pk)
    await next_frame(head, "presence")  # the teacher alone
    started = time.monotonic()
    arrivals = [await join(client, pupil, classroom.pk) for pupil in pupils]
    arriving_s = time.monotonic() - started
    seen: list[list[dict]] = []
    while len(seen) == 0 or len(seen[-1]) < 13:
        seen.append((await next_frame(head, "presence"))["here"])
    assert [p["name"] for p in seen[-1]] == ["Ms Quill"] + [f"Kid {i:02}" for i in range(12)]
    # At most one announcement for each PRESENCE_COALESCE_S of arrivals (and the last one),
    # where each arrival used to send one: 12 here, and 30 x 30 frames for a whole class.
    windows = int(arriving_s / PRESENCE_COALESCE_S) + 2
    assert len(seen) <= min(windows, 6), ([len(here) for here in seen], arriving_s)
    assert await nothing_of(head, "presence")  # and nothing repeated after the last
    for socket in (head, *arrivals):
        await socket.disconnect()


async def test_private_messages_never_reach_a_classmates_socket(
    client, classroom, teacher, student, classmate
):
    other = await join(client, classmate, classroom.pk)
    pupil = await join(client, student, classroom.pk)
    await say(pupil, "/progress")
    await frames(pupil, "message", 2)
    await say(pupil, "hello all")
    (public,) = await frames(other, "message", 1)
    assert public["body"] == "hello all"
    await other.disconnect()
    rejoined = await join(client, classmate, classroom.pk)
    (only,) = await frames(rejoined, "message", 1)
    assert only["body"] == "hello all" and await nothing_of(rejoined, "message")
    await pupil.disconnect()
    await rejoined.disconnect()
