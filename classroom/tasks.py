"""Celery tasks of the classroom app."""

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from classroom import live, services
from classroom.models import Attempt
from classroom.results import attempt_result
from hwr_site.realtime.replies import send_to_channel
from recognition.engine.errors import RecognitionError
from recognition.metrics import InferenceTask

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="classroom.recognize_attempt",
    acks_late=True,
    # A stored attempt is retried until it is recognised (the recogniser or database may be
    # down for a while); an attempt that is gone or whose ink is invalid never will be.
    autoretry_for=(Exception,),
    dont_autoretry_for=(Attempt.DoesNotExist, RecognitionError),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=None,
    ignore_result=True,
)
def recognize_attempt(
    self: Any, *, attempt_id: int, reply_channel: str | None = None, seq: int | None = None
) -> bool:
    """Recognise a stored attempt, then tell the student's socket (if it is still open).

    Returns whether it was recognised: False only in-process, when it stays pending."""
    try:
        with InferenceTask("recognize_attempt").run() as measured:
            attempt = services.attempt_recognize(attempt_id=attempt_id)
            measured.model_version = attempt.model_version
    except Exception:
        if not self.request.is_eager:
            raise  # retried from the broker, with backoff
        # In-process (embedded mode) Celery would retry at once, inside this call, without
        # end. The attempt stays pending instead; the next sweep recognises it.
        logger.exception("attempt %s stays pending: recognition failed", attempt_id)
        return False
    if reply_channel:
        send_to_channel(
            reply_channel, {"type": "attempt.recognized", "seq": seq, **attempt_result(attempt)}
        )
    live.publish_attempt(attempt)
    return True


# An attempt younger than this may still have its task queued; older ones are swept.
PENDING_SWEEP_AGE = timedelta(minutes=2)
# The most pending attempts one student's sweep recognises (embedded mode, oldest first).
STUDENT_SWEEP = 20


@shared_task(name="classroom.queue_pending_attempts", ignore_result=True)
def queue_pending_attempts(
    min_age_s: float = PENDING_SWEEP_AGE.total_seconds(), student_id: int | None = None
) -> int:
    """Queue the attempts still waiting for recognition: the ones whose task was never
    published (broker down at submit) or was lost with a killed worker (the broker keeps no
    copy of a delivered task, docs/decisions/008). Runs every few minutes (beat) and, for all
    pending attempts whatever their age, when a worker starts. In embedded mode, where
    there is neither, a student's practice socket runs it for their attempts when it opens."""
    cutoff = timezone.now() - timedelta(seconds=min_age_s)
    attempts = Attempt.objects.filter(status=Attempt.Status.PENDING, created_at__lt=cutoff)
    if student_id is not None:  # run in-process as a socket opens: keep it short
        attempts = attempts.filter(student_id=student_id).order_by("created_at")[:STUDENT_SWEEP]
    pending = list(attempts.values_list("pk", flat=True))
    for attempt_id in pending:
        recognize_attempt.apply_async(kwargs={"attempt_id": attempt_id})
    return len(pending)


@worker_ready.connect
def _queue_pending_at_start(**_: Any) -> None:
    # An attempt stored while the broker was unreachable, or whose task a killed worker took
    # with it, has no task: catch up at start. Recognising one twice is harmless.
    queue_pending_attempts.apply_async(kwargs={"min_age_s": 0})
