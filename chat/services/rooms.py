"""Writes for class rooms: messages, moderation, teacher comments and milestones.

Every service takes keyword-only arguments, owns its transaction and raises `ChatError`
(with a stable `code`) for what the domain forbids. A message is committed to PostgreSQL
first and announced to the room's sockets only after the commit: group sends may drop a
message, the database never does, and a socket that sees a gap reads what it missed.
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.services import audit_record
from chat import bot, metrics
from chat.errors import ChatError
from chat.models import (
    Comment,
    Message,
    ModerationAction,
    Mute,
    Room,
)
from chat.selectors import (
    active_mute,
    can_moderate_room,
    is_participant,
    message_event,
    room_group,
)
from chat.services.relay import relay_enqueue
from classroom.models import Attempt, Classroom, User
from classroom.selectors import progress_for

logger = logging.getLogger(__name__)

MAX_MUTE_MINUTES = 24 * 60
CLIENT_ID_MAX = 64


# Announcing


def _announce(classroom_id: int, event: dict[str, Any]) -> None:
    from hwr_site.realtime.replies import send_to_group

    try:
        send_to_group(room_group(classroom_id), event)
    except Exception:  # stored: sockets catch up on the next message or heartbeat
        logger.exception("could not announce to room %s", classroom_id)


def _announce_after_commit(classroom_id: int, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _announce(classroom_id, event))


# Messages


def _room_locked(classroom: Classroom) -> Room:
    """The room's row, locked until the transaction ends: messages of one room are numbered
    and committed one at a time, so numbers have no gaps and ids grow in commit order."""
    room = Room.objects.select_for_update().filter(pk=classroom.pk).first()
    if room is None:  # the room's first message
        Room.objects.get_or_create(classroom=classroom)
        room = Room.objects.select_for_update().get(pk=classroom.pk)
    room.classroom = classroom  # message frames name the teacher: no query for it
    return room


def _store(
    room: Room,
    *,
    body: str,
    kind: str,
    author: User | None,
    recipient: User | None = None,
    client_id: str = "",
    attempt: Attempt | None = None,
    sticker: str = "",
    event_key: str = "",
) -> Message:
    room.last_number += 1  # the row is locked (_room_locked)
    room.save(update_fields=["last_number"])
    message = Message.objects.create(
        room=room,
        number=room.last_number,
        kind=kind,
        author=author,
        recipient=recipient,
        body=body,
        client_id=client_id,
        attempt=attempt,
        sticker=sticker,
        event_key=event_key,
    )
    message.room = room
    metrics.MESSAGES.labels(kind=kind).inc()
    _announce_after_commit(room.pk, message_event(message))
    return message


def _spend_rate(user: User) -> None:
    """At most CHAT_RATE_MESSAGES a window per person, across all their sockets and
    processes (a counter in the shared cache)."""
    window = settings.CHAT_RATE_WINDOW_S
    key = f"chat:rate:{user.pk}:{int(timezone.now().timestamp() // window)}"
    cache.add(key, 0, window * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window * 2)
        count = 1
    if count > settings.CHAT_RATE_MESSAGES:
        raise ChatError("rate_limited", "You are sending messages too fast; wait a moment.")


def _clean_body(body: Any) -> str:
    if not isinstance(body, str):
        raise ChatError("bad_message", "body must be text")
    body = body.replace("\r\n", "\n").strip()
    # Control characters other than newlines and tabs have no place in a message.
    body = "".join(ch for ch in body if ch in "\n\t" or ch.isprintable())
    if not body:
        raise ChatError("empty_message", "Write something first.")
    if len(body) > settings.CHAT_MESSAGE_MAX_CHARS:
        raise ChatError(
            "message_too_long",
            f"A message holds at most {settings.CHAT_MESSAGE_MAX_CHARS} characters.",
        )
    return body


def message_post(
    *, user: User, classroom: Classroom, body: Any, client_id: Any = None
) -> list[Message]:
    """Post a message to the class's room (and, for a /command, the bot's answer).

    Returns the stored messages. Text only: the body is stored as typed and escaped where
    it is shown; links are never fetched."""
    text = _clean_body(body)
    if client_id is not None and not (
        isinstance(client_id, str) and len(client_id) <= CLIENT_ID_MAX
    ):
        raise ChatError(
            "bad_client_id", f"client_id must be text of at most {CLIENT_ID_MAX} characters"
        )
    # The same rules as `room_state`, in as few queries as a message can take.
    moderator = can_moderate_room(user=user, classroom=classroom)
    if not moderator and not is_participant(user=user, classroom=classroom):
        raise ChatError("not_allowed", "Only the class's teacher and students write here.")
    if classroom.is_archived:
        raise ChatError("archived", "This class is archived: its room is read-only.")
    if not moderator:  # the teacher leads the lesson: no mute and no limit on them
        if active_mute(classroom=classroom, student=user) is not None:
            raise ChatError("muted", "Your teacher has paused your messages for a while.")
        _spend_rate(user)
    command = text.startswith("/")
    answer = bot.answer(user=user, classroom=classroom, text=text) if command else None
    with transaction.atomic():
        room = _room_locked(classroom)
        if room.is_closed and not moderator:
            raise ChatError("room_closed", "The room is closed right now.")
        if answer is None:
            return [
                _store(
                    room, body=text, kind=Message.Kind.TEXT, author=user, client_id=client_id or ""
                )
            ]
        private_to = None if answer.public else user
        asked = _store(
            room,
            body=text,
            kind=Message.Kind.COMMAND,
            author=user,
            recipient=private_to,
            client_id=client_id or "",
        )
        answered = _store(
            room, body=answer.body, kind=Message.Kind.BOT, author=None, recipient=private_to
        )
        if answer.public:
            relay_enqueue(
                classroom=classroom,
                kind=Message.Kind.BOT,
                key=f"bot-{answered.pk}",
                content=f"🤖 {answer.body}",
            )
        return [asked, answered]


# Moderation


def _require_moderator(user: User, classroom: Classroom) -> None:
    if not can_moderate_room(user=user, classroom=classroom):
        raise ChatError("not_allowed", "Only the class's teacher moderates its room.")


def message_remove(*, teacher: User, classroom: Classroom, message_id: Any) -> Message:
    """Soft-delete a message: shown as removed to everyone, kept with an audit record."""
    _require_moderator(teacher, classroom)
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        raise ChatError("bad_message", "id must be a message id")
    with transaction.atomic():
        message = (
            Message.objects.select_for_update().filter(pk=message_id, room_id=classroom.pk).first()
        )
        if message is None:
            raise ChatError("no_such_message", "No such message in this room.")
        if message.removed_at is None:
            message.removed_at = timezone.now()
            message.save(update_fields=["removed_at"])
            ModerationAction.objects.create(
                room_id=classroom.pk,
                action=ModerationAction.Action.REMOVE,
                actor=teacher,
                message=message,
                target_id=message.author_id,
                detail=message.body,
            )
            # The trail names the message, not its words: they go when their author does.
            audit_record(actor=teacher, action="chat.message_remove", target=classroom,
                         message=message.pk, author=message.author_id)  # fmt: skip
            event = {
                "type": "chat.removed",
                "id": message.pk,
                "author_id": message.author_id,
                "recipient_id": message.recipient_id,
            }
            _announce_after_commit(classroom.pk, event)
    return message


def student_mute(*, teacher: User, classroom: Classroom, student_id: Any, minutes: Any) -> Mute:
    """Stop a student posting for `minutes` (1 to a day)."""
    _require_moderator(teacher, classroom)
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not 1 <= minutes <= MAX_MUTE_MINUTES
    ):
        raise ChatError("bad_minutes", f"minutes must be 1 to {MAX_MUTE_MINUTES}")
    student = (
        classroom.students.filter(pk=student_id).first() if isinstance(student_id, int) else None
    )
    if student is None:
        raise ChatError("no_such_student", "That student is not in this class.")
    with transaction.atomic():
        room, _ = Room.objects.get_or_create(classroom=classroom)
        mute = Mute.objects.create(
            room=room,
            student=student,
            until=timezone.now() + timedelta(minutes=minutes),
            muted_by=teacher,
        )
        ModerationAction.objects.create(
            room=room,
            action=ModerationAction.Action.MUTE,
            actor=teacher,
            target=student,
            detail=f"{minutes} minutes",
        )
        audit_record(actor=teacher, action="chat.mute", target=student, classroom=classroom.pk,
                     minutes=minutes)  # fmt: skip
        _announce_after_commit(classroom.pk, {"type": "chat.state"})
    return mute


def student_unmute(*, teacher: User, classroom: Classroom, student_id: Any) -> None:
    _require_moderator(teacher, classroom)
    student = (
        classroom.students.filter(pk=student_id).first() if isinstance(student_id, int) else None
    )
    if student is None:
        raise ChatError("no_such_student", "That student is not in this class.")
    with transaction.atomic():
        room, _ = Room.objects.get_or_create(classroom=classroom)
        Mute.objects.filter(room=room, student=student, until__gt=timezone.now()).update(
            until=timezone.now()
        )
        ModerationAction.objects.create(
            room=room, action=ModerationAction.Action.UNMUTE, actor=teacher, target=student
        )
        audit_record(actor=teacher, action="chat.unmute", target=student, classroom=classroom.pk)
        _announce_after_commit(classroom.pk, {"type": "chat.state"})


def room_set_closed(*, teacher: User, classroom: Classroom, closed: bool) -> Room:
    """Close the room (only the teacher can post) or open it again."""
    _require_moderator(teacher, classroom)
    with transaction.atomic():
        room = _room_locked(classroom)
        if room.is_closed != closed:
            room.closed_at = timezone.now() if closed else None
            room.closed_by = teacher if closed else None
            room.save(update_fields=["closed_at", "closed_by"])
            action = ModerationAction.Action.CLOSE if closed else ModerationAction.Action.OPEN
            ModerationAction.objects.create(room=room, action=action, actor=teacher)
            audit_record(actor=teacher, action=f"chat.room_{action.value}", target=classroom)
            _announce_after_commit(classroom.pk, {"type": "chat.state"})
    return room


def author_messages_erase(*, author: User) -> int:
    """Blank every message `author` wrote, and the moderation records that quoted them, as
    their account is deleted: the rows stay (numbers without gaps), shown as removed.
    Returns how many messages were blanked."""
    now = timezone.now()
    with transaction.atomic():
        ModerationAction.objects.filter(message__author=author).update(detail="")
        return Message.objects.filter(author=author).update(
            body="", client_id="", sticker="", removed_at=Coalesce("removed_at", Value(now))
        )


def is_muted(*, classroom: Classroom, student: User) -> bool:
    return active_mute(classroom=classroom, student=student) is not None


# Teacher feedback


def comment_add(*, teacher: User, attempt: Attempt, body: Any, sticker: Any = "") -> Comment:
    """The class's teacher comments on an attempt: stored, shown to the student in the room
    (linked to the attempt) and on the attempt's page, relayed to Discord if the class
    relays feedback."""
    classroom = attempt.exercise.classroom
    if not (teacher.is_teacher and classroom.teacher_id == teacher.pk):
        raise ChatError("not_allowed", "Only the class's teacher comments on its attempts.")
    if classroom.is_archived:
        raise ChatError("archived", "This class is archived.")
    sticker = sticker or ""
    if sticker not in ("", *Comment.Sticker.values):
        raise ChatError(
            "bad_sticker", f"sticker must be one of {', '.join(Comment.Sticker.values)}"
        )
    text = _clean_body(body)
    with transaction.atomic():
        room = _room_locked(classroom)
        message = _store(
            room,
            body=text,
            kind=Message.Kind.FEEDBACK,
            author=teacher,
            recipient=attempt.student,
            attempt=attempt,
            sticker=sticker,
        )
        comment = Comment.objects.create(
            attempt=attempt, author=teacher, body=text, sticker=sticker, message=message
        )
        audit_record(actor=teacher, action="comment.add", target=attempt, comment=comment.pk,
                     sticker=sticker)  # fmt: skip
        student = attempt.student
        label = dict(Comment.Sticker.choices).get(sticker, "")
        relay_enqueue(
            classroom=classroom,
            kind=Message.Kind.FEEDBACK,
            key=f"comment-{comment.pk}",
            embeds=[
                {
                    "title": f"{teacher.first_name or teacher.username} on "
                    f"{student.first_name or student.username}'s “{attempt.target}”",
                    "description": f"{label + ' · ' if label else ''}{text}",
                    "footer": {
                        "text": f"Character {attempt.target} · score "
                        f"{attempt.score if attempt.score is not None else '-'}"
                    },
                    "thumbnail": {"url": "attachment://ink.png"},
                }
            ],
            attempt_id=attempt.pk,
        )
    return comment


# Milestones


def milestone_check(*, attempt_id: int) -> Message | None:
    """When a correct attempt completes a student's exercise, tell the room how many of the
    class have finished it ("12 of 20 finished Vowels"); once per student and exercise."""
    attempt = (
        Attempt.objects.select_related("exercise__classroom__teacher", "student")
        .filter(pk=attempt_id, correct=True)
        .first()
    )
    if attempt is None or attempt.exercise.archived or attempt.exercise.classroom.is_archived:
        return None
    exercise, classroom = attempt.exercise, attempt.exercise.classroom
    if not progress_for(exercises=[exercise], students=[attempt.student])[
        (exercise.pk, attempt.student_id)
    ].complete:
        return None
    key = f"milestone-{exercise.pk}-{attempt.student_id}"
    if Message.objects.filter(room_id=classroom.pk, event_key=key).exists():
        return None
    students = list(classroom.students.all())
    progress = progress_for(exercises=[exercise], students=students)
    done = sum(1 for s in students if progress[(exercise.pk, s.pk)].complete)
    text = f"🎉 {done} of {len(students)} finished {exercise.title}."
    with transaction.atomic():
        room = _room_locked(classroom)
        if Message.objects.filter(room=room, event_key=key).exists():
            return None  # announced meanwhile (the lock makes this check final)
        message = _store(room, body=text, kind=Message.Kind.MILESTONE, author=None, event_key=key)
        relay_enqueue(classroom=classroom, kind=Message.Kind.MILESTONE, key=key, content=text)
    return message


# The relay's settings
