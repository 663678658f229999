"""Writes for class rooms and the Discord relay.

Every service takes keyword-only arguments, owns its transaction and raises `ChatError`
(with a stable `code`) for what the domain forbids. A message is committed to PostgreSQL
first and announced to the room's sockets only after the commit: group sends may drop a
message, the database never does, and a socket that sees a gap reads what it missed.
"""

import io
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from chat import bot, discord, metrics
from chat.models import (
    Comment,
    Delivery,
    DiscordLink,
    Message,
    ModerationAction,
    Mute,
    RelaySettings,
    Room,
)
from chat.selectors import (
    active_mute,
    can_moderate_room,
    is_participant,
    message_event,
    room_group,
)
from classroom.models import Attempt, Classroom, User
from classroom.selectors import progress_for
from hwr_site.errors import DomainError

logger = logging.getLogger(__name__)

MAX_MUTE_MINUTES = 24 * 60
# A delivery whose task was lost (a killed worker held it) is queued again after this.
LOST_DELIVERY_AFTER = timedelta(minutes=2)
CLIENT_ID_MAX = 64


class ChatError(DomainError):
    """Something the room forbids; `code` is stable, `message` is for people. Sockets answer
    it with an error frame, the API with its error shape (403 for `not_allowed`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, status=403 if code == "not_allowed" else 400)


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
            _announce_after_commit(classroom.pk, {"type": "chat.state"})
    return room


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


def _require_teacher_of(user: User | None, classroom: Classroom) -> None:
    if user is not None and not (user.is_teacher and classroom.teacher_id == user.pk):
        raise ChatError("not_allowed", "Only the class's teacher sets its Discord relay.")


def relay_configure(
    *,
    classroom: Classroom,
    teacher: User | None = None,
    webhook_url: str | None = None,
    relay_feedback: bool | None = None,
    relay_bot: bool | None = None,
    relay_milestones: bool | None = None,
    discord_channel_id: str | None = None,
) -> RelaySettings:
    """Set a class's Discord webhook (only DISCORD_API_BASE's origin, CONTRACTS section 6)
    and what it relays. None leaves a field as it is; a new webhook clears a disabled one.
    `teacher` None: an operator (management command)."""
    _require_teacher_of(teacher, classroom)
    relay, _ = RelaySettings.objects.get_or_create(classroom=classroom)
    if webhook_url:
        try:
            webhook_id, token = discord.parse_webhook_url(webhook_url)
        except discord.WebhookError as exc:
            raise ChatError(exc.code, exc.message) from None
        relay.webhook_id = webhook_id
        relay.webhook_token_sealed = discord.seal(token)
        relay.webhook_token_hint = token[-4:]
        relay.disabled_at = None
        relay.disabled_reason = ""
    for field, value in (
        ("relay_feedback", relay_feedback),
        ("relay_bot", relay_bot),
        ("relay_milestones", relay_milestones),
    ):
        if value is not None:
            setattr(relay, field, value)
    if discord_channel_id is not None:
        channel = discord_channel_id.strip()
        if channel and not channel.isdigit():
            raise ChatError("bad_channel", "A Discord channel id is a number (copy it in Discord).")
        relay.discord_channel_id = channel
    try:
        with transaction.atomic():
            relay.save()
    except IntegrityError:
        raise ChatError(
            "channel_taken", "Another class is linked to that Discord channel."
        ) from None
    return relay


def relay_remove(*, classroom: Classroom, teacher: User | None = None) -> None:
    """Remove the class's webhook; deliveries not yet made are dead-lettered."""
    _require_teacher_of(teacher, classroom)
    with transaction.atomic():
        RelaySettings.objects.filter(pk=classroom.pk).update(
            webhook_id="", webhook_token_sealed="", webhook_token_hint=""
        )
        _give_up_pending(classroom.pk, "the class's webhook was removed")


def discord_link_add(
    *, teacher: User, classroom: Classroom, discord_user_id: str, user_id: int
) -> DiscordLink:
    """Link a Discord user to the teacher's own account or a student's of the class."""
    _require_teacher_of(teacher, classroom)
    discord_user_id = discord_user_id.strip()
    if not discord_user_id.isdigit() or len(discord_user_id) > 32:
        raise ChatError("bad_discord_user", "A Discord user id is a number (copy it in Discord).")
    person = (
        classroom.teacher
        if user_id == classroom.teacher_id
        else classroom.students.filter(pk=user_id).first()
    )
    if person is None:
        raise ChatError("no_such_student", "Link the teacher or a student of this class.")
    link, _ = DiscordLink.objects.update_or_create(
        classroom=classroom, discord_user_id=discord_user_id, defaults={"user": person}
    )
    return link


def discord_link_remove(*, teacher: User, classroom: Classroom, link_id: int) -> None:
    _require_teacher_of(teacher, classroom)
    DiscordLink.objects.filter(classroom=classroom, pk=link_id).delete()


# Deliveries


def relay_enqueue(
    *,
    classroom: Classroom,
    kind: str,
    key: str,
    content: str = "",
    embeds: list[dict[str, Any]] | None = None,
    attempt_id: int | None = None,
) -> Delivery | None:
    """A delivery to the class's webhook, if it has one and relays this kind; one per
    `key` however often it is asked. Its first try is scheduled after the commit."""
    relay = RelaySettings.objects.filter(pk=classroom.pk).first()
    if relay is None or not relay.active:
        return None
    wanted = {
        Message.Kind.FEEDBACK: relay.relay_feedback,
        Message.Kind.BOT: relay.relay_bot,
        Message.Kind.MILESTONE: relay.relay_milestones,
    }.get(kind, False)  # type: ignore[call-overload]
    if not wanted:
        return None
    payload = discord.message_payload(content=content, embeds=embeds)
    if attempt_id is not None:
        payload["inkwell_attempt_id"] = attempt_id  # the thumbnail is drawn when sent
    delivery, created = Delivery.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "classroom": classroom,
            "kind": kind,
            "payload": payload,
            "next_try_at": timezone.now(),
        },
    )
    if created:
        metrics.DELIVERIES.labels(status="queued").inc()
        schedule_after_commit(delivery.pk, delivery.next_try_at)
    return delivery


def schedule_after_commit(delivery_id: int, eta: datetime | None) -> None:
    from chat.scheduling import schedule_delivery

    transaction.on_commit(lambda: schedule_delivery(delivery_id, eta or timezone.now()))


def _ink_thumbnail(attempt_id: int) -> bytes | None:
    """A 160-pixel picture of the attempt's ink, dark on white."""
    from PIL import Image, ImageDraw

    attempt = Attempt.objects.filter(pk=attempt_id).only("ink").first()
    strokes = (attempt.ink or {}).get("strokes", []) if attempt else []
    points = [(float(p[0]), float(p[1])) for s in strokes for p in s]
    if not points:
        return None
    size, pad = 160, 16
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    scale = (size - 2 * pad) / span
    ox = (size - (max(xs) - min(xs)) * scale) / 2
    oy = (size - (max(ys) - min(ys)) * scale) / 2
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        line = [(ox + (p[0] - min(xs)) * scale, oy + (p[1] - min(ys)) * scale) for p in stroke]
        if len(line) == 1:
            line = line * 2
        draw.line(line, fill=(30, 41, 59), width=6, joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _give_up_pending(classroom_id: int, reason: str) -> int:
    count = Delivery.objects.filter(
        classroom_id=classroom_id, status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
    ).update(status=Delivery.Status.DEAD, last_error=reason, next_try_at=None)
    if count:
        metrics.DELIVERIES.labels(status="dead").inc(count)
    return count


def delivery_attempt(*, delivery_id: int) -> Delivery | None:
    """One try of a delivery that is due, recorded; the next try, if any, is scheduled.

    2xx: delivered. 5xx or a network error: retried after exponential backoff with jitter.
    429: retried no sooner than Discord's `retry_after`. 404: the webhook is gone, so it
    is disabled and the teacher told on the class page. Another 4xx: dead-lettered at
    once. Out of tries (DISCORD_MAX_TRIES): dead-lettered. A duplicate or early run of
    the task does nothing."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True).filter(pk=delivery_id).first()
        )
        if delivery is None or delivery.status != Delivery.Status.PENDING:
            return delivery
        if delivery.next_try_at and delivery.next_try_at > now + timedelta(seconds=1):
            return delivery  # a stale copy of an earlier schedule: the due one will come
        relay = RelaySettings.objects.filter(pk=delivery.classroom_id).first()
        token = discord.unseal(relay.webhook_token_sealed) if relay and relay.active else None
        if relay is None or token is None:
            reason = (
                relay.disabled_reason
                if relay is not None and relay.disabled_at
                else "the class has no usable webhook"
            )
            _dead(delivery, reason or "the class has no usable webhook")
            return delivery
        delivery.status = Delivery.Status.SENDING
        delivery.attempts += 1
        delivery.last_try_at = now
        delivery.save(update_fields=["status", "attempts", "last_try_at"])
        webhook_id = relay.webhook_id
    payload = dict(delivery.payload)
    attempt_id = payload.pop("inkwell_attempt_id", None)
    files = None
    if attempt_id is not None:
        png = _ink_thumbnail(attempt_id)
        if png:
            files = {"files[0]": ("ink.png", png, "image/png")}
        else:
            for embed in payload.get("embeds", []):
                embed.pop("thumbnail", None)
    outcome = discord.execute_webhook(
        webhook_id=webhook_id, token=token, payload=payload, files=files
    )
    _record(delivery, outcome)
    return delivery


def _dead(delivery: Delivery, reason: str) -> None:
    delivery.status = Delivery.Status.DEAD
    delivery.last_error = reason[:1000]
    delivery.next_try_at = None
    delivery.save(update_fields=["status", "last_error", "next_try_at"])
    metrics.DELIVERIES.labels(status="dead").inc()
    metrics.DEAD_LETTERS.inc()


def _record(delivery: Delivery, outcome: discord.Outcome) -> None:
    now = timezone.now()
    delivery.last_status_code = outcome.status_code
    with transaction.atomic():
        if outcome.delivered:
            delivery.status = Delivery.Status.DELIVERED
            delivery.delivered_at = now
            delivery.next_try_at = None
            delivery.last_error = ""
            delivery.save()
            metrics.DELIVERIES.labels(status="delivered").inc()
            metrics.DELIVERY_SECONDS.observe((now - delivery.created_at).total_seconds())
            return
        delivery.last_error = outcome.error[:1000]
        if outcome.gone:
            RelaySettings.objects.filter(pk=delivery.classroom_id).update(
                disabled_at=now,
                disabled_reason="Discord says this webhook no longer exists (404). "
                "Create a new one in Discord and paste it here.",
            )
            _dead(delivery, outcome.error)
            _give_up_pending(delivery.classroom_id, "the webhook is gone (404)")
            return
        if outcome.permanent or delivery.attempts >= settings.DISCORD_MAX_TRIES:
            _dead(delivery, outcome.error)
            return
        assert outcome.retry_after_s is not None
        if outcome.retry_after_s >= 0:  # Discord said how long: no sooner than that
            wait = outcome.retry_after_s
            metrics.DELIVERIES.labels(status="rate_limited").inc()
        else:
            wait = discord.backoff_s(delivery.attempts)
            metrics.DELIVERIES.labels(status="retried").inc()
        delivery.status = Delivery.Status.PENDING
        delivery.next_try_at = now + timedelta(seconds=wait)
        delivery.save()
        schedule_after_commit(delivery.pk, delivery.next_try_at)


def delivery_resend(*, delivery: Delivery) -> Delivery:
    """Try a dead letter again from the start (the admin's "resend")."""
    relay = RelaySettings.objects.filter(pk=delivery.classroom_id).first()
    if relay is None or not relay.active:
        raise ChatError("no_webhook", "The class has no working webhook; set one first.")
    with transaction.atomic():
        updated = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.DEAD).update(
            status=Delivery.Status.PENDING, attempts=0, next_try_at=timezone.now(), last_error=""
        )
        if updated:
            schedule_after_commit(delivery.pk, timezone.now())
    delivery.refresh_from_db()
    return delivery


def deliveries_sweep() -> int:
    """Queue again the deliveries whose task was lost: pending ones long past their time,
    and ones a killed worker left "sending". Runs every minute (beat)."""
    now = timezone.now()
    stale = now - LOST_DELIVERY_AFTER
    stuck = now - timedelta(seconds=settings.DISCORD_TIMEOUT_S * 2 + 60)
    Delivery.objects.filter(status=Delivery.Status.SENDING, last_try_at__lt=stuck).update(
        status=Delivery.Status.PENDING, next_try_at=now
    )
    due = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_try_at__lt=stale).values_list(
            "pk", flat=True
        )[:500]
    )
    from chat.scheduling import schedule_delivery

    for delivery_id in due:
        schedule_delivery(delivery_id, now)
    return len(due)


# Inbound Discord interactions


def interaction_answer(*, classroom_id: int, user_id: int, command: str, student_name: str) -> str:
    """The text of a slash command's answer, for a linked Discord user of the class."""
    classroom = Classroom.objects.select_related("teacher").get(pk=classroom_id)
    user = User.objects.get(pk=user_id)
    is_teacher = classroom.teacher_id == user.pk
    if command == "status":
        return bot.status_text() if is_teacher else "Only the teacher can ask for /status."
    if command != "progress":
        return bot.HELP
    if not is_teacher:
        if student_name and student_name.lower() not in {
            user.username.lower(),
            user.first_name.lower(),
        }:
            return "You can see only your own progress."
        return bot.progress_text(student=user, classroom=classroom)
    if not student_name:
        return "Name a student: /progress student:<name>."
    matches = [
        s
        for s in classroom.students.all()
        if student_name.lower() in {s.username.lower(), s.first_name.lower()}
    ]
    if len(matches) != 1:
        return f"No single student of {classroom.name} is called {student_name}."
    return bot.progress_text(student=matches[0], classroom=classroom)


def interaction_edit(*, token: str, content: str) -> discord.Outcome:
    """Replace a deferred interaction answer with the real one."""
    return discord.edit_interaction_response(token=token, content=content)


def attempt_url(attempt_id: int) -> str:
    return reverse("attempt_detail", kwargs={"pk": attempt_id})
