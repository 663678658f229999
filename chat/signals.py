"""The chat app listens to attempts being saved, so that classroom never imports chat."""

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from classroom.models import Attempt

logger = logging.getLogger(__name__)


@receiver(post_save, sender=Attempt, dispatch_uid="chat-milestones")
def _attempt_saved(sender: Any, instance: Attempt, **kwargs: Any) -> None:
    if not instance.correct:
        return
    attempt_id = instance.pk

    def check() -> None:
        from chat.services import milestone_check

        try:
            milestone_check(attempt_id=attempt_id)
        except Exception:  # a milestone must never undo or fail a recognition
            logger.exception("milestone check failed for attempt %s", attempt_id)

    transaction.on_commit(check)
