"""Writes for the Discord relay: a class's webhook and linked users, delivery records and
their tries (each a scheduled task, never a sleep), and slash-command answers."""

import io
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from chat import bot, discord, metrics
from chat.errors import ChatError
from chat.models import (
    Delivery,
    DiscordLink,
    Message,
    RelaySettings,
)
from classroom.models import Attempt, Classroom, User

logger = logging.getLogger(__name__)

# A delivery whose task was lost (a killed worker held it) is queued again after this.
LOST_DELIVERY_AFTER = timedelta(minutes=2)


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
