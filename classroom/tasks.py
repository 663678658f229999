"""Celery tasks of the classroom app."""

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from classroom import live, services
from classroom.models import Attempt
from classroom.results import attempt_result
from hwr_site import queues
from hwr_site.broker import oldest_waiting_since
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
    self: Any,
    *,
    attempt_id: int,
    reply_channel: str | None = None,
    seq: int | None = None,
    queued_at: float | None = None,
) -> bool:
    """Recognise a stored attempt, then tell the student's socket (if it is still open).

    `queued_at` (Unix time) tells the sweep how old the queue's backlog is; unused here.
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


# An attempt younger than this may still have its task queued; older ones are swept. Beat
# runs the sweep as often (settings), so a task lost with a killed worker or a restarted
# broker is queued again within a minute of its submit.
PENDING_SWEEP_AGE = timedelta(seconds=30)
# An attempt stored this long before the oldest task still waiting on the inference queue
# had its own task queued before that one, so it is no longer waiting (the queue is FIFO).
QUEUE_MARGIN = timedelta(seconds=5)
# The most pending attempts one student's sweep recognises (embedded mode, oldest first).
STUDENT_SWEEP = 20


@shared_task(name="classroom.queue_pending_attempts", ignore_result=True)
def queue_pending_attempts(
    min_age_s: float = PENDING_SWEEP_AGE.total_seconds(), student_id: int | None = None
) -> int:
    """Queue the attempts still waiting for recognition: the ones whose task was never
    published (broker down at submit) or was lost with a killed worker or a restarted
    broker (the broker keeps no copy of a delivered task, docs/decisions/008). Runs every
    30 s (beat) and, for all pending attempts whatever their age, when a worker starts.
    Attempts that may still have a task waiting behind a backlog are left alone, so a slow
    queue is not doubled. In embedded mode, where there is neither, a student's practice
    socket runs it for their attempts when it opens."""
    cutoff = timezone.now() - timedelta(seconds=min_age_s)
    waiting_since = oldest_waiting_since(queues.INFERENCE)
    if waiting_since is not None:
        cutoff = min(cutoff, datetime.fromtimestamp(waiting_since, UTC) - QUEUE_MARGIN)
    attempts = Attempt.objects.filter(status=Attempt.Status.PENDING, created_at__lt=cutoff)
    if student_id is not None:  # run in-process as a socket opens: keep it short
        attempts = attempts.filter(student_id=student_id).order_by("created_at")[:STUDENT_SWEEP]
    pending = list(attempts.values_list("pk", flat=True))
    for attempt_id in pending:
        recognize_attempt.apply_async(kwargs={"attempt_id": attempt_id, "queued_at": time.time()})
    if pending:
        logger.info("queued %d pending attempts again", len(pending))
    return len(pending)


@worker_ready.connect
def _queue_pending_at_start(**_: Any) -> None:
    # An attempt stored while the broker was unreachable, or whose task a killed worker took
    # with it, has no task: catch up at start. Recognising one twice is harmless.
    queue_pending_attempts.apply_async(kwargs={"min_age_s": 0})


@shared_task(name="classroom.purge_old_attempts", ignore_result=True)
def purge_old_attempts() -> int:
    """The retention rule: attempts older than ATTEMPT_RETENTION_DAYS go (daily, beat)."""
    from django.conf import settings

    if not settings.ATTEMPT_RETENTION_DAYS:
        return 0
    return services.attempts_purge(older_than_days=settings.ATTEMPT_RETENTION_DAYS)
