"""When a delivery's next try runs. With a broker it is a Celery task with an ETA on the
`discord` queue; in embedded mode (no Redis) a timer in this process runs it. Either way a
retry waits as a scheduled task: no thread sleeps through a backoff or a rate limit.

Tasks are named, not imported, so services and tasks can both schedule through this module
without an import cycle (the same way recognition/training.py queues training)."""

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from hwr_site.celery import app as celery_app

logger = logging.getLogger(__name__)

DELIVER_TASK = "chat.deliver_to_discord"
ANSWER_TASK = "chat.answer_interaction"


def run_in_process(delay_s: float, work: Callable[[], object]) -> threading.Timer:
    """Run `work` on a timer thread after `delay_s` (embedded mode)."""

    def run() -> None:
        try:
            work()
        except Exception:
            logger.exception("in-process chat task failed")
        finally:
            close_old_connections()

    timer = threading.Timer(max(delay_s, 0.0), run)
    timer.daemon = True
    timer.start()
    return timer


def schedule_delivery(delivery_id: int, eta: datetime) -> None:
    """The delivery's try at `eta` (at once if past)."""
    kwargs = {"delivery_id": delivery_id}
    if settings.CELERY_TASK_ALWAYS_EAGER:
        delay = (eta - timezone.now()).total_seconds()
        run_in_process(delay, lambda: celery_app.tasks[DELIVER_TASK].apply(kwargs=kwargs))
        return
    try:
        celery_app.send_task(DELIVER_TASK, kwargs=kwargs, eta=eta, retry=False)
    except Exception:  # broker down: the minute's sweep queues it again
        logger.exception("could not schedule delivery %s", delivery_id)


def schedule_interaction_answer(kwargs: dict[str, object]) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # After the deferred answer has gone back to Discord.
        run_in_process(0.5, lambda: celery_app.tasks[ANSWER_TASK].apply(kwargs=kwargs))
        return
    celery_app.send_task(ANSWER_TASK, kwargs=kwargs, retry=False)
