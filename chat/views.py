"""Pages of the chat app (the room, the class's Discord settings, comments from the attempt
page) and Discord's interactions endpoint. Access as everywhere: not visible is a 404,
visible but not allowed is a 403 (docs/decisions/005-access-rules.md)."""

import json
import logging
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from chat import discord, selectors, services
from chat.scheduling import schedule_interaction_answer
from classroom.access import can_manage_classroom, visible_attempt, visible_classroom
from classroom.models import Classroom, User

logger = logging.getLogger(__name__)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _managed(request: HttpRequest, pk: int) -> Classroom:
    classroom = visible_classroom(user=_user(request), pk=pk)
    if classroom is None:
        raise Http404("No such class")
    if not can_manage_classroom(user=_user(request), classroom=classroom):
        raise PermissionDenied("Only the class's teacher can change it.")
    return classroom


@login_required
def room(request: HttpRequest, pk: int) -> HttpResponse:
    """The class's room: history, presence and the composer come over the socket."""
    user = _user(request)
    classroom = selectors.readable_room(user=user, classroom_id=pk)
    if classroom is None:
        raise Http404("No such class")
    state = selectors.room_state(user=user, classroom=classroom)
    students = (
        list(classroom.students.order_by("first_name", "username")) if state.can_moderate else []
    )
    return render(
        request,
        "chat/room.html",
        {
            "classroom": classroom,
            "state": state,
            "students": students,
            "max_chars": selectors.message_max_chars(),
            "config": {
                "classId": classroom.pk,
                "socketPath": f"/ws/classes/{classroom.pk}/chat/",
                "userId": user.pk,
                "canModerate": state.can_moderate,
                "maxChars": selectors.message_max_chars(),
            },
        },
    )


def _flag(request: HttpRequest, name: str) -> bool:
    return request.POST.get(name) in {"on", "true", "1"}


@require_POST
@login_required
def class_discord(request: HttpRequest, pk: int) -> HttpResponse:
    """The teacher sets, changes or removes the class's webhook and what it relays."""
    classroom = _managed(request, pk)
    try:
        if request.POST.get("action") == "remove":
            services.relay_remove(classroom=classroom, teacher=_user(request))
            messages.success(request, "Discord webhook removed.")
        else:
            services.relay_configure(
                classroom=classroom,
                teacher=_user(request),
                webhook_url=request.POST.get("webhook_url", "").strip() or None,
                relay_feedback=_flag(request, "relay_feedback"),
                relay_bot=_flag(request, "relay_bot"),
                relay_milestones=_flag(request, "relay_milestones"),
                discord_channel_id=request.POST.get("discord_channel_id", ""),
            )
            messages.success(request, "Discord settings saved.")
    except services.ChatError as error:
        messages.error(request, error.message)
    return redirect(f"{classroom.get_absolute_url()}#discord")


@require_POST
@login_required
def class_discord_link(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _managed(request, pk)
    try:
        if link_id := request.POST.get("remove"):
            services.discord_link_remove(
                teacher=_user(request), classroom=classroom, link_id=int(link_id)
            )
            messages.success(request, "Discord user unlinked.")
        else:
            raw_user = request.POST.get("user_id", "")
            services.discord_link_add(
                teacher=_user(request),
                classroom=classroom,
                discord_user_id=request.POST.get("discord_user_id", ""),
                user_id=int(raw_user) if raw_user.isdigit() else 0,
            )
            messages.success(request, "Discord user linked.")
    except (services.ChatError, ValueError) as error:
        messages.error(request, getattr(error, "message", "Check the form."))
    return redirect(f"{classroom.get_absolute_url()}#discord")


@require_POST
@login_required
def attempt_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """The comment form on an attempt's page."""
    user = _user(request)
    attempt = visible_attempt(user=user, pk=pk)
    if attempt is None:
        raise Http404("No such attempt")
    if not can_manage_classroom(user=user, classroom=attempt.exercise.classroom):
        raise PermissionDenied("Only the class's teacher comments on its attempts.")
    try:
        services.comment_add(
            teacher=user,
            attempt=attempt,
            body=request.POST.get("body", ""),
            sticker=request.POST.get("sticker", ""),
        )
    except services.ChatError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Comment sent: the student sees it in the class room.")
    return redirect(f"/attempts/{attempt.pk}/#comments")


# Discord's interactions endpoint

PING = 1
APPLICATION_COMMAND = 2
PONG = 1
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
EPHEMERAL = 64


def _reply(content: str) -> JsonResponse:
    return JsonResponse(
        {
            "type": CHANNEL_MESSAGE,
            "data": {
                "content": content,
                "flags": EPHEMERAL,
                "allowed_mentions": discord.NO_MENTIONS,
            },
        }
    )


@csrf_exempt
@require_POST
def discord_interactions(request: HttpRequest) -> HttpResponse:
    """Checked against DISCORD_PUBLIC_KEY before anything else (a bad or stale signature is
    a 401 and nothing is done). PING answers PONG; `/progress` and `/status` answer at
    once with a deferred (private) message, and a task edits in the answer."""
    body = request.body
    if not discord.verify_signature(
        signature=request.headers.get("X-Signature-Ed25519", ""),
        timestamp=request.headers.get("X-Signature-Timestamp", ""),
        body=body,
    ):
        return HttpResponse("invalid request signature", status=401)
    try:
        interaction: dict[str, Any] = json.loads(body)
    except ValueError:
        return HttpResponse("bad JSON", status=400)
    if interaction.get("type") == PING:
        return JsonResponse({"type": PONG})
    if interaction.get("type") != APPLICATION_COMMAND:
        return _reply("Inkwell answers /progress and /status.")
    data = interaction.get("data") or {}
    command = str(data.get("name", ""))
    options = {o.get("name"): o.get("value") for o in data.get("options") or []}
    discord_user = (interaction.get("member") or {}).get("user") or interaction.get("user") or {}
    link = selectors.interaction_link(
        channel_id=str(interaction.get("channel_id", "")),
        discord_user_id=str(discord_user.get("id", "")),
    )
    if link is None:
        return _reply("This Discord account is not linked to the class of this channel.")
    if command not in {"progress", "status"}:
        return _reply("Inkwell answers /progress student:<name> and /status.")
    try:
        schedule_interaction_answer(
            {
                "token": str(interaction.get("token", "")),
                "classroom_id": link.classroom_id,
                "user_id": link.user_id,
                "command": command,
                "student_name": str(options.get("student") or ""),
            }
        )
    except Exception:  # the broker is down: say so now rather than never
        logger.exception("could not queue the answer to a Discord interaction")
        return _reply("Inkwell is busy right now; try again in a minute.")
    return JsonResponse({"type": DEFERRED_CHANNEL_MESSAGE, "data": {"flags": EPHEMERAL}})
