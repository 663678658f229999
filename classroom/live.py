"""The class live panel ("Live now", `/ws/classes/<class_id>/live/`): its group and shapes.

`recognize_attempt` publishes one `attempt.recognized` event per recognised attempt to the
class's group; `ClassLiveConsumer` sends it on as an `attempt` frame. Both use this module.
"""

import logging
from typing import Any

from classroom.models import Attempt
from classroom.results import attempt_result
from hwr_site.realtime.replies import send_to_group

logger = logging.getLogger(__name__)

EVENT = "attempt.recognized"
FRAME = "attempt"


def group_name(classroom_id: int) -> str:
    """The channel-layer group of the class's live panels."""
    return f"class-{classroom_id}-live"


def attempt_event(attempt: Attempt) -> dict[str, Any]:
    """The event for one recognised attempt: its result, and who wrote it on what."""
    student = attempt.student
    return {
        "type": EVENT,
        **attempt_result(attempt),
        "student_id": student.pk,
        "student_name": str(student),
        "exercise_id": attempt.exercise_id,
        "created_at": attempt.created_at.isoformat(),
    }


def attempt_frame(event: dict[str, Any]) -> dict[str, Any]:
    """The frame the panel's socket sends for an event."""
    return {**event, "type": FRAME}


def publish_attempt(attempt: Attempt) -> None:
    """Tell the class's live panels; a failure here must not re-run recognition."""
    try:
        send_to_group(group_name(attempt.exercise.classroom_id), attempt_event(attempt))
    except Exception:  # the student already has the answer; the panel catches up on reload
        logger.exception("could not tell class of attempt %s", attempt.pk)
