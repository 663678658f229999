"""Writes of the chat app, by concern: the rooms (`rooms`) and the Discord relay (`relay`).

Callers import from here; `ChatError` (chat/errors.py) is what both raise.
"""

from chat.errors import ChatError
from chat.services.relay import (
    attempt_url,
    deliveries_sweep,
    delivery_attempt,
    delivery_resend,
    discord_link_add,
    discord_link_remove,
    interaction_answer,
    interaction_edit,
    relay_configure,
    relay_enqueue,
    relay_remove,
    schedule_after_commit,
)
from chat.services.rooms import (
    author_messages_erase,
    comment_add,
    is_muted,
    message_post,
    message_remove,
    milestone_check,
    room_set_closed,
    student_mute,
    student_unmute,
)

__all__ = [
    "ChatError", "attempt_url", "author_messages_erase", "comment_add", "deliveries_sweep",
    "delivery_attempt",
    "delivery_resend", "discord_link_add", "discord_link_remove", "interaction_answer",
    "interaction_edit", "is_muted", "message_post", "message_remove", "milestone_check",
    "relay_configure", "relay_enqueue", "relay_remove", "room_set_closed",
    "schedule_after_commit", "student_mute", "student_unmute",
]  # fmt: skip
