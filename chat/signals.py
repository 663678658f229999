"""The chat app listens to classroom (attempts saved, a student's data asked for, a user
deleted), so that classroom never imports chat."""

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from classroom.models import Attempt, User
from classroom.selectors import StudentDataPart
from classroom.signals import student_data_requested

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


@receiver(student_data_requested, dispatch_uid="chat-student-data")
def _student_data(sender: Any, student: User, **kwargs: Any) -> StudentDataPart:
    from chat.selectors import student_chat_data

    return student_chat_data(student=student)


@receiver(pre_delete, sender=User, dispatch_uid="chat-erase-author")
def _user_deleting(sender: Any, instance: User, **kwargs: Any) -> None:
    # The rows stay (room numbers have no gaps) but nothing the person wrote does.
    from chat.services import author_messages_erase

    author_messages_erase(author=instance)
