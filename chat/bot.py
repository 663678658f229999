"""The bot of each room: `/help`, `/progress`, `/next`, `/status`. The same answers serve
the room and Discord's slash commands."""

import logging
import time
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from classroom.models import Classroom, User
from classroom.selectors import classroom_exercises, progress_for, student_exercises

logger = logging.getLogger(__name__)

HELP = (
    "I answer these: /help (this list) · /progress (your own figures) · "
    "/next (the next exercise due) · /status (teachers: how the recogniser is doing)."
)
WORKERS_SEEN_KEY = "chat:workers-seen"
WORKER_WINDOW_S = 60


@dataclass(frozen=True)
class Answer:
    body: str
    # Public answers (and the command that asked) are seen by the room; private ones
    # only by the person who asked.
    public: bool


def answer(*, user: User, classroom: Classroom, text: str) -> Answer:
    """The bot's answer to a command typed in the room; unknown commands get the help."""
    name = text.strip().split()[0].lower().lstrip("/") if text.strip() else ""
    if name == "help":
        return Answer(HELP, public=False)
    if name == "progress":
        return Answer(progress_text(student=user, classroom=classroom), public=False)
    if name == "next":
        return Answer(next_text(user=user, classroom=classroom), public=True)
    if name == "status":
        if classroom.teacher_id != user.pk:
            return Answer("Only the teacher can ask for /status.", public=False)
        return Answer(status_text(), public=False)
    return Answer(f"I don't know /{name}. {HELP}", public=False)


def progress_text(*, student: User, classroom: Classroom) -> str:
    """A student's own figures in this class's current exercises."""
    if student.pk == classroom.teacher_id:
        return (
            "/progress shows a student their own figures. The class dashboard shows everyone's;"
            " in Discord, ask /progress student:<name>."
        )
    own = [e for e in student_exercises(student=student) if e.exercise.classroom_id == classroom.pk]
    name = student.first_name or student.username
    if not own:
        return f"{name} has no exercises in {classroom.name} yet."
    parts = [
        f"{e.exercise.title}: {e.progress.done}/{e.progress.total}"
        + (" ✓" if e.progress.complete else "")
        for e in own
    ]
    return f"{name}'s progress: " + " · ".join(parts)


def next_text(*, user: User, classroom: Classroom) -> str:
    """The next exercise due in the class (for a student, the next they have not finished)."""
    exercises = list(classroom_exercises(classroom=classroom))
    if user.pk != classroom.teacher_id and exercises:
        progress = progress_for(exercises=exercises, students=[user])
        exercises = [e for e in exercises if not progress[(e.pk, user.pk)].complete]
    if not exercises:
        return "Nothing is due: every exercise is done. Well done!"
    nxt = exercises[0]  # soonest due first, undated last (the model's ordering)
    due = (
        f", due {timezone.localtime(nxt.due_at):%a %d %b %H:%M}" if nxt.due_at else ", no due date"
    )
    what = (
        nxt.words if nxt.kind == nxt.Kind.WORDS else "your name" if nxt.is_words else nxt.characters
    )
    return f"Next: {nxt.title} ({what}){due}."


def _workers_seen() -> int:
    """Workers that answered a ping within the last minute (remembered across asks)."""
    from hwr_site.celery import app

    now = time.time()
    seen: dict[str, float] = cache.get(WORKERS_SEEN_KEY) or {}
    try:
        for reply in app.control.ping(timeout=0.5) or []:
            for name in reply:
                seen[name] = now
    except Exception:
        logger.warning("could not ping the workers", exc_info=True)
    seen = {name: at for name, at in seen.items() if now - at <= WORKER_WINDOW_S}
    cache.set(WORKERS_SEEN_KEY, seen, WORKER_WINDOW_S * 2)
    return len(seen)


def _queue_depth() -> int | None:
    import redis

    from hwr_site import queues

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1)
        return int(cast(int, client.llen(queues.INFERENCE)))
    except redis.RedisError:
        return None


def status_text() -> str:
    """Active model version, inference queue depth, workers seen in the last minute."""
    from recognition.selectors import active_model_version

    version = active_model_version()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return f"Model {version} · embedded mode: recognition runs in the web process, no queue."
    depth = _queue_depth()
    queued = "unknown (broker unreachable)" if depth is None else str(depth)
    workers = _workers_seen()
    return f"Model {version} · inference queue: {queued} · workers in the last minute: {workers}"
