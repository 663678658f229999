"""Chat panels shown on classroom pages (the class's Discord settings, an attempt's
comments), so that classroom's views and templates need nothing from chat but a tag."""

from typing import Any

from django import template

from chat import selectors
from chat.models import Comment, DiscordLink
from classroom.access import can_manage_classroom
from classroom.models import Attempt, Classroom, User

register = template.Library()


@register.inclusion_tag("chat/includes/class_discord.html")
def class_discord_panel(classroom: Classroom, user: User) -> dict[str, Any]:
    can_manage = can_manage_classroom(user=user, classroom=classroom)
    return {
        "classroom": classroom,
        "can_manage": can_manage,
        "relay": selectors.relay_settings(classroom=classroom),
        "links": list(
            DiscordLink.objects.filter(classroom=classroom).select_related("user")
            if can_manage
            else []
        ),
        "people": [classroom.teacher, *classroom.students.order_by("first_name", "username")]
        if can_manage
        else [],
    }


@register.inclusion_tag("chat/includes/attempt_comments.html", takes_context=True)
def attempt_comments(context: dict[str, Any], attempt: Attempt, user: User) -> dict[str, Any]:
    classroom = attempt.exercise.classroom
    return {
        "attempt": attempt,
        "comments": selectors.attempt_comments(attempt_id=attempt.pk),
        "can_comment": can_manage_classroom(user=user, classroom=classroom)
        and not classroom.is_archived,
        "stickers": Comment.Sticker.choices,
        "classroom": classroom,
        "csrf_token": context.get("csrf_token"),
    }
