"""Celery tasks of the chat app, on the `discord` queue (hwr_site.queues)."""

import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from chat import scheduling, services

logger = logging.getLogger(__name__)
INTERACTION_TRIES = 5


@shared_task(name=scheduling.DELIVER_TASK, ignore_result=True, acks_late=True)
def deliver_to_discord(*, delivery_id: int) -> None:
    """One try of a delivery; the service records it and schedules the next, if any."""
    services.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="chat.sweep_deliveries", ignore_result=True)
def sweep_deliveries() -> int:
    return services.deliveries_sweep()


@shared_task(name=scheduling.ANSWER_TASK, ignore_result=True, acks_late=True)
def answer_interaction(
    *,
    token: str,
    classroom_id: int,
    user_id: int,
    command: str,
    student_name: str = "",
    tries: int = 1,
) -> None:
    """Edit a deferred slash-command answer into the real one (Discord keeps the token 15
    minutes). A 5xx, network error or 429 is tried again later, as a scheduled task."""
    from chat import discord

    content = services.interaction_answer(
        classroom_id=classroom_id, user_id=user_id, command=command, student_name=student_name
    )
    outcome = services.interaction_edit(token=token, content=content)
    if outcome.delivered or outcome.permanent or tries >= INTERACTION_TRIES:
        if not outcome.delivered:
            logger.warning("interaction answer not delivered: %s", outcome.error)
        return
    assert outcome.retry_after_s is not None
    wait = outcome.retry_after_s if outcome.retry_after_s >= 0 else discord.backoff_s(tries)
    kwargs: dict[str, Any] = {
        "token": token,
        "classroom_id": classroom_id,
        "user_id": user_id,
        "command": command,
        "student_name": student_name,
        "tries": tries + 1,
    }
    if settings.CELERY_TASK_ALWAYS_EAGER:
        scheduling.run_in_process(wait, lambda: answer_interaction.apply(kwargs=kwargs))
    else:
        answer_interaction.apply_async(kwargs=kwargs, countdown=wait, retry=False)
