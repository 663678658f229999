"""Reads for class rooms: who may read, post and moderate, what a person sees, presence.

Who may see a class is `classroom.selectors`' rule (pages, the API and sockets ask the same
function); the room adds only what is its own: posting, moderation, private messages.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from chat.models import Delivery, DiscordLink, Message, Mute, RelaySettings, Room
from classroom.access import can_manage_classroom, can_view_classroom
from classroom.models import Classroom, User
from classroom.selectors import StudentDataPart

HISTORY_SIZE = 50
BOT_NAME = "Inkwell bot"


def room_group(classroom_id: int) -> str:
    """The channel-layer group of a room's sockets."""
    return f"chat-room-{classroom_id}"


def can_read_room(*, user: User, classroom: Classroom) -> bool:
    """The class's teacher, its students and staff (who only read)."""
    return can_view_classroom(user=user, classroom=classroom)


def can_moderate_room(*, user: User, classroom: Classroom) -> bool:
    return can_manage_classroom(user=user, classroom=classroom) and not classroom.is_archived


def is_participant(*, user: User, classroom: Classroom) -> bool:
    """The teacher and the class's students; staff read but never post."""
    if not user.is_authenticated:
        return False
    if classroom.teacher_id == user.pk:
        return bool(user.is_teacher)
    return bool(user.is_student) and classroom.memberships.filter(student=user).exists()


def readable_room(*, user: User, classroom_id: int) -> Classroom | None:
    """The class whose room `user` may read, else None (it does not exist for them)."""
    classroom = Classroom.objects.select_related("teacher").filter(pk=classroom_id).first()
    if classroom is None or not can_read_room(user=user, classroom=classroom):
        return None
    return classroom


def active_mute(*, classroom: Classroom, student: User) -> Mute | None:
    return (
        Mute.objects.filter(room_id=classroom.pk, student=student, until__gt=timezone.now())
        .order_by("-until")
        .first()
    )


@dataclass(frozen=True)
class RoomState:
    """What the room's page and socket tell one person about the room."""

    closed: bool
    read_only: bool  # archived class, or staff
    can_post: bool
    can_moderate: bool
    muted_until: datetime | None

    def frame(self) -> dict[str, Any]:
        return {
            "type": "room",
            "closed": self.closed,
            "read_only": self.read_only,
            "can_post": self.can_post,
            "can_moderate": self.can_moderate,
            "muted_until": self.muted_until.isoformat() if self.muted_until else None,
        }


def room_state(*, user: User, classroom: Classroom) -> RoomState:
    room = Room.objects.filter(pk=classroom.pk).first()
    closed = bool(room and room.is_closed)
    participant = is_participant(user=user, classroom=classroom)
    read_only = classroom.is_archived or not participant
    moderator = can_moderate_room(user=user, classroom=classroom)
    mute = None if moderator or read_only else active_mute(classroom=classroom, student=user)
    can_post = not read_only and mute is None and (moderator or not closed)
    return RoomState(closed, read_only, can_post, moderator, mute.until if mute else None)


def visible_messages(*, user: User, room_id: int) -> QuerySet[Message]:
    """The room's messages `user` may see: public ones, and private ones to or from them."""
    messages = Message.objects.filter(room_id=room_id).select_related(
        "author", "recipient", "attempt", "room__classroom"
    )
    return messages.filter(Q(recipient__isnull=True) | Q(recipient=user) | Q(author=user))


def room_history(
    *, user: User, room_id: int, before: int | None = None, limit: int = HISTORY_SIZE
) -> list[Message]:
    """The last `limit` messages `user` sees (before message id `before`), oldest first."""
    messages = visible_messages(user=user, room_id=room_id)
    if before is not None:
        messages = messages.filter(id__lt=before)
    return list(reversed(messages.order_by("-number")[:limit]))


def messages_after(*, user: User, room_id: int, after_id: int) -> list[Message]:
    """Every message `user` sees after message id `after_id`, oldest first (a reconnect)."""
    return list(visible_messages(user=user, room_id=room_id).filter(id__gt=after_id))


def messages_after_number(*, user: User, room_id: int, number: int) -> list[Message]:
    return list(visible_messages(user=user, room_id=room_id).filter(number__gt=number))


def room_last_number(*, room_id: int) -> int:
    return Room.objects.filter(pk=room_id).values_list("last_number", flat=True).first() or 0


def author_name(message: Message) -> str:
    if message.author is None:
        return BOT_NAME
    return message.author.first_name or message.author.username


def author_role(message: Message) -> str:
    if message.author is None:
        return "bot"
    return "teacher" if message.author_id == message.room.classroom.teacher_id else "student"


def message_frame(message: Message) -> dict[str, Any]:
    """The socket's `message` frame (CONTRACTS section 6); a removed message keeps its
    place with an empty body."""
    removed = message.removed_at is not None
    attempt = None
    if message.attempt_id is not None and message.attempt is not None:
        attempt = {
            "id": message.attempt_id,
            "url": reverse("attempt_detail", kwargs={"pk": message.attempt_id}),
            "target": message.attempt.target,
            "score": message.attempt.score,
        }
    return {
        "type": "message",
        "id": message.pk,
        "author": author_name(message),
        "role": author_role(message),
        "body": "" if removed else message.body,
        "created_at": message.created_at.isoformat(),
        "client_id": message.client_id or None,
        "kind": message.kind,
        "private": message.recipient_id is not None,
        "to": (message.recipient.first_name or message.recipient.username)
        if message.recipient is not None
        else None,
        "sticker": "" if removed else message.sticker,
        "attempt": None if removed else attempt,
        "removed": removed,
    }


def message_event(message: Message) -> dict[str, Any]:
    """What a room's group is sent: the frame, and what each socket needs to filter it."""
    return {
        "type": "chat.message",
        "number": message.number,
        "author_id": message.author_id,
        "recipient_id": message.recipient_id,
        "frame": message_frame(message),
    }


def sees(*, user_id: int, author_id: int | None, recipient_id: int | None) -> bool:
    return recipient_id is None or user_id in (recipient_id, author_id)


def _presence_key(classroom_id: int, user_id: int) -> str:
    return f"chat:presence:{classroom_id}:{user_id}"


def presence_touch(*, classroom_id: int, user_id: int) -> None:
    """A socket's heartbeat: `user_id` is here for the next PRESENCE_TTL_S seconds. A key
    with a lifetime (CHAT_PRESENCE_TTL_S), not a counter, so a server process that dies
    takes nobody with it for long."""
    key = _presence_key(classroom_id, user_id)
    cache.set(key, timezone.now().timestamp(), settings.CHAT_PRESENCE_TTL_S)


def presence_leave(*, classroom_id: int, user_id: int) -> None:
    cache.delete(_presence_key(classroom_id, user_id))


def room_presence(*, classroom: Classroom) -> list[dict[str, Any]]:
    """Who is in the room now (teacher first, then students by name)."""
    people = [classroom.teacher, *classroom.students.order_by("first_name", "username")]
    here = cache.get_many([_presence_key(classroom.pk, p.pk) for p in people])
    return [
        {
            "id": p.pk,
            "name": p.first_name or p.username,
            "role": "teacher" if p.pk == classroom.teacher_id else "student",
        }
        for p in people
        if _presence_key(classroom.pk, p.pk) in here
    ]


def interaction_link(*, channel_id: str, discord_user_id: str) -> DiscordLink | None:
    """The link of a Discord user to the active class whose channel this is, else None."""
    if not channel_id or not discord_user_id:
        return None
    return (
        DiscordLink.objects.filter(
            classroom__discord_relay__discord_channel_id=channel_id,
            discord_user_id=discord_user_id,
            classroom__archived_at__isnull=True,
        )
        .select_related("classroom")
        .first()
    )


def relay_settings(*, classroom: Classroom) -> RelaySettings | None:
    return RelaySettings.objects.filter(pk=classroom.pk).first()


def attempt_comments(*, attempt_id: int) -> list[Any]:
    from chat.models import Comment

    return list(Comment.objects.filter(attempt_id=attempt_id).select_related("author"))


def delivery_counts() -> dict[str, int]:
    """Deliveries by status, for the metrics."""
    counts = dict.fromkeys(Delivery.Status.values, 0)
    for status, n in _status_rows():
        counts[status] = n
    return counts


def _status_rows() -> list[tuple[str, int]]:
    from django.db.models import Count

    return list(Delivery.objects.values_list("status").annotate(n=Count("id")).order_by())


def message_max_chars() -> int:
    return settings.CHAT_MESSAGE_MAX_CHARS


def student_chat_data(*, student: User) -> StudentDataPart:
    """What the chat holds about a student, for their data export: the teacher's comments
    on their attempts, every message they wrote (removed ones too: they are stored), and the
    Discord accounts linked to theirs."""
    from chat.models import Comment

    part = StudentDataPart(
        sections={"chat_messages": [], "discord_links": []},
    )
    comments = (
        Comment.objects.filter(attempt__student=student)
        .select_related("author")
        .order_by("created_at", "id")
    )
    for comment in comments:
        part.per_attempt.setdefault(comment.attempt_id, {"comments": []})["comments"].append(
            {
                "by": str(comment.author),
                "at": comment.created_at,
                "body": comment.body,
                "sticker": comment.get_sticker_display() if comment.sticker else "",
            }
        )
    messages = (
        Message.objects.filter(author=student)
        .select_related("room__classroom")
        .order_by("created_at", "id")
    )
    part.sections["chat_messages"].extend(
        {
            "class": message.room.classroom.name,
            "at": message.created_at,
            "kind": message.kind,
            "body": message.body,
            "removed_at": message.removed_at,
        }
        for message in messages
    )
    links = DiscordLink.objects.filter(user=student).select_related("classroom")
    part.sections["discord_links"].extend(
        {"class": link.classroom.name, "discord_user_id": link.discord_user_id,
         "linked_at": link.created_at}
        for link in links
    )  # fmt: skip
    return part
