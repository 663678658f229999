"""Celery tasks of the recognition app: live predictions on the `inference` queue."""

import time
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from hwr_site.realtime.replies import send_to_channel
from recognition import services, training
from recognition.answers import recognition_answer
from recognition.engine.errors import RecognitionError
from recognition.metrics import InferenceTask

# A live prediction is only useful while the student is still looking at that drawing: one
# queued longer ago (a backlog after a worker outage) is dropped unanswered. Checked here
# rather than with Celery's `expires`, whose time-zone-aware parsing cost a worker more per
# task than this whole check.
LIVE_PREDICTION_EXPIRES_S = 10


# Acknowledged on receipt: a live prediction lost with a worker is answered by the
# consumer's timeout, and skipping the late ack saves a broker round trip per stroke.
@shared_task(name="recognition.recognize_ink", ignore_result=True, acks_late=False)
def recognize_ink(
    *,
    reply_channel: str,
    seq: int,
    strokes: list[Any],
    charset: str | None,
    queued_at: float | None = None,
    guides: dict[str, float] | None = None,
) -> None:
    """Recognise the drawing as it stands after message `seq` and answer the socket.

    `queued_at` (Unix time) makes a prediction nobody waits for any more be skipped;
    `guides` (CONTRACTS section 8) decide case pairs.
    """
    with InferenceTask("recognize_ink").run() as measured:
        if queued_at is not None and time.time() - queued_at > LIVE_PREDICTION_EXPIRES_S:
            measured.outcome = "expired"
            return
        # Batched only where a thread pool runs several at once (INFERENCE_BATCH_SIZE).
        recognize = (
            services.ink_recognize_batched
            if settings.INFERENCE_BATCH_SIZE > 1
            else services.ink_recognize
        )
        try:
            recognition = recognize(strokes=strokes, charset=charset, source="live", guides=guides)
        except RecognitionError as exc:
            measured.outcome = "error"
            send_to_channel(
                reply_channel,
                {"type": "prediction.failed", "seq": seq, "code": exc.code, "message": exc.message},
            )
            return
        measured.model_version = recognition.model_version
        answer = recognition_answer(recognition)
        send_to_channel(reply_channel, {"type": "prediction.ready", "seq": seq, **answer})


@shared_task(name=training.TRAIN_TASK, ignore_result=True)
def train_model_version(*, version_id: int) -> None:
    """Train, export and evaluate a queued model version (minutes to hours)."""
    training.model_train(version_id=version_id)


@worker_ready.connect
def _fail_stale_trainings(**_: Any) -> None:
    training.model_fail_stale_trainings()
