"""When a delivery's next try runs. With a broker it is a Celery task with an ETA on the
`discord` queue; in embedded mode (no Redis) a timer in this process runs it. Either way a
retry waits as a scheduled task: no thread sleeps through a backoff or a rate limit."""

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)


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
    from chat.tasks import deliver_to_discord

    if settings.CELERY_TASK_ALWAYS_EAGER:
        from chat.services import delivery_attempt

        delay = (eta - timezone.now()).total_seconds()
        run_in_process(delay, lambda: delivery_attempt(delivery_id=delivery_id))
        return
    try:
        deliver_to_discord.apply_async(kwargs={"delivery_id": delivery_id}, eta=eta, retry=False)
    except Exception:  # broker down: the minute's sweep queues it again
        logger.exception("could not schedule delivery %s", delivery_id)


def schedule_interaction_answer(kwargs: dict[str, object]) -> None:
    from chat.tasks import answer_interaction

    if settings.CELERY_TASK_ALWAYS_EAGER:
        # After the deferred answer has gone back to Discord.
        run_in_process(0.5, lambda: answer_interaction.apply(kwargs=kwargs))
        return
    answer_interaction.apply_async(kwargs=kwargs, retry=False)
