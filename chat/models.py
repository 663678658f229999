"""Class rooms: messages (stored before they are announced), moderation, the relay of
feedback to Discord with a record of every delivery, and the Discord users a teacher links.
"""

from django.conf import settings
from django.db import models

from classroom.models import Attempt, Classroom


class Room(models.Model):
    """A class's chat room. `last_number` numbers its messages without gaps: a socket that
    sees a gap knows it missed something and reads it from the database."""

    classroom = models.OneToOneField(
        Classroom, on_delete=models.CASCADE, primary_key=True, related_name="chat_room"
    )
    last_number = models.PositiveBigIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Room of {self.classroom}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Message(models.Model):
    """One message of a room. Ids and numbers grow in the order messages were committed
    (each insert holds its room's row lock)."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        COMMAND = "command", "Command"
        BOT = "bot", "Bot answer"
        FEEDBACK = "feedback", "Teacher feedback"
        MILESTONE = "milestone", "Milestone"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    number = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TEXT)
    # None for the bot.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set: only this person (and the author) sees it, e.g. a student's own /progress.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    body = models.TextField()
    client_id = models.CharField(max_length=64, blank=True)
    attempt = models.ForeignKey(
        Attempt, on_delete=models.SET_NULL, null=True, blank=True, related_name="chat_messages"
    )
    sticker = models.CharField(max_length=16, blank=True)
    # Set for messages the platform posts once per event (a milestone).
    event_key = models.CharField(max_length=100, blank=True)
    # Soft delete: the body is kept for the audit record; nobody is shown it any more.
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["room", "number"], name="chat_message_room_number"),
            models.UniqueConstraint(
                fields=["room", "event_key"],
                condition=~models.Q(event_key=""),
                name="chat_message_event_once",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} in {self.room_id}: {self.body[:40]}"


class ModerationAction(models.Model):
    """The audit record of what a teacher did in a room: who, when, to what."""

    class Action(models.TextChoices):
        REMOVE = "remove", "Removed a message"
        MUTE = "mute", "Muted a student"
        UNMUTE = "unmute", "Unmuted a student"
        CLOSE = "close", "Closed the room"
        OPEN = "open", "Opened the room"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="moderation")
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="moderation"
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What was removed, as it read: the audit survives even if the message row goes.
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.actor} {self.get_action_display().lower()} ({self.created_at:%Y-%m-%d %H:%M})"
        )


class Mute(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="mutes")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    until = models.DateTimeField()
    muted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["room", "student", "until"], name="chat_mute_active")]

    def __str__(self) -> str:
        return f"{self.student} muted until {self.until:%H:%M}"


class Comment(models.Model):
    """A teacher's comment (and sticker) on an attempt; shown in the room as a message."""

    class Sticker(models.TextChoices):
        STAR = "star", "⭐ Star"
        THUMBS_UP = "thumbs_up", "👍 Well done"
        ROCKET = "rocket", "🚀 Great progress"
        PENCIL = "pencil", "✏️ Keep practising"

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    sticker = models.CharField(max_length=16, choices=Sticker.choices, blank=True)
    message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="comment"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author} on attempt {self.attempt_id}: {self.body[:40]}"


class RelaySettings(models.Model):
    """A class's Discord webhook and what it relays. The webhook's token is a secret: it is
    stored encrypted (chat.relay.seal) and shown back only as its last characters."""

    classroom = models.OneToOneField(
        Classroom, on_delete=models.CASCADE, primary_key=True, related_name="discord_relay"
    )
    webhook_id = models.CharField(max_length=32, blank=True)
    webhook_token_sealed = models.TextField(blank=True)
    webhook_token_hint = models.CharField(max_length=8, blank=True)
    relay_feedback = models.BooleanField("relay teacher feedback", default=True)
    relay_bot = models.BooleanField("relay bot answers", default=False)
    relay_milestones = models.BooleanField("relay class milestones", default=False)
    # The Discord channel whose slash commands answer for this class.
    discord_channel_id = models.CharField(max_length=32, blank=True)
    # Discord said the webhook is gone (404): it is never called again until replaced.
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Discord relay"
        constraints = [
            models.UniqueConstraint(
                fields=["discord_channel_id"],
                condition=~models.Q(discord_channel_id=""),
                name="chat_relay_one_class_per_channel",
            )
        ]

    def __str__(self) -> str:
        return f"Discord relay of {self.classroom}"

    @property
    def has_webhook(self) -> bool:
        return bool(self.webhook_id and self.webhook_token_sealed)

    @property
    def active(self) -> bool:
        return self.has_webhook and self.disabled_at is None

    @property
    def webhook_display(self) -> str:
        if not self.has_webhook:
            return ""
        return f"…/webhooks/{self.webhook_id}/…{self.webhook_token_hint}"


class DiscordLink(models.Model):
    """A Discord user the teacher has linked to an account of the class (the teacher's
    own or a student's): only linked users' slash commands are answered."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="discord_links")
    discord_user_id = models.CharField(max_length=32)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["classroom", "discord_user_id"], name="chat_discord_link_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Discord {self.discord_user_id} is {self.user}"


class Delivery(models.Model):
    """One message for a class's webhook and every try to deliver it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        DEAD = "dead", "Dead letter"

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=16, choices=Message.Kind.choices)
    # One delivery per event, however often it is enqueued.
    idempotency_key = models.CharField(max_length=100, unique=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_try_at = models.DateTimeField(null=True, blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_try_at"], name="chat_delivery_due")]

    def __str__(self) -> str:
        return f"{self.idempotency_key} ({self.status})"


class DeadLetter(Delivery):
    """Deliveries that gave up (out of tries, or refused for good), for the admin's list."""

    class Meta:
        proxy = True
        verbose_name = "dead letter"
