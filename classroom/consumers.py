"""`/ws/practice/<exercise_id>/`: practising an exercise; `submit` stores an attempt."""

import asyncio
import logging
import math
import re
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DatabaseError

from classroom import access, live, selectors, services
from classroom.formation import not_a_try
from classroom.models import Attempt, Exercise
from classroom.results import saved_result
from hwr_site.ratelimits import window_hit
from hwr_site.realtime.consumer import CLOSE_NOT_ALLOWED, FrameError, RealtimeConsumer
from recognition.consumers import InkConsumer

logger = logging.getLogger(__name__)
SUBMISSION_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


class PracticeConsumer(InkConsumer):
    message_types = InkConsumer.message_types | {"submit"}

    async def authorize(self, user: Any) -> int | None:
        exercise_id = self.scope["url_route"]["kwargs"]["exercise_id"]
        try:
            self.exercise: Exercise = await database_sync_to_async(access.exercise_to_practise)(
                user=user, pk=exercise_id
            )
        except access.AccessError:
            return CLOSE_NOT_ALLOWED
        self.student = user
        # "Another round" of a finished exercise: its characters again, in order.
        self.again = b"again=1" in self.scope.get("query_string", b"")
        self.drawing_started: float | None = None
        self.place: selectors.WordPlace | None = None  # words: the letter of the word
        self.submits: dict[int, asyncio.TimerHandle] = {}
        if settings.CELERY_TASK_ALWAYS_EAGER:
            await self.queue_pending()
        await self.advance()
        return None

    async def queue_pending(self) -> None:
        """Embedded mode has no worker start or beat to catch up on attempts whose
        recognition failed: do it for this student when they come back to practise."""
        from classroom.tasks import queue_pending_attempts

        await database_sync_to_async(queue_pending_attempts.apply)(
            kwargs={"min_age_s": 0, "student_id": self.student.pk}
        )

    def charset(self) -> str | None:
        return selectors.practice_charset(exercise=self.exercise)

    async def advance(self, *, avoid: str | None = None, after_id: int | None = None) -> None:
        """Choose the next character (`selectors.practice_next_target`: the same one again
        after an attempt that did not pass, while tries are left; in a words exercise
        `selectors.word_next`, the next letter of the word); once the exercise is done, keep
        practising its first."""
        target, self.place, self.progress = await database_sync_to_async(self._next_target)(
            avoid, after_id
        )
        self.done = target is None
        self.target = target or self.exercise.characters[0]

    def _next_target(
        self, avoid: str | None, after_id: int | None
    ) -> tuple[str | None, selectors.WordPlace | None, dict[str, Any]]:
        if self.exercise.is_words:
            place = selectors.word_next(
                student=self.student, exercise=self.exercise, again=self.again
            )
            words = self.exercise.words_for(self.student)
            total = len(words) * self.exercise.repetitions
            left = len(selectors.word_plan(student=self.student, exercise=self.exercise))
            progress = {"done": total - left, "total": total, "unit": "words"}
            return (place.letter if place else None), place, progress
        after = Attempt.objects.filter(pk=after_id).first() if after_id is not None else None
        target = selectors.practice_next_target(
            student=self.student, exercise=self.exercise, avoid=avoid, after=after, again=self.again
        )
        left = len(selectors.practice_plan(student=self.student, exercise=self.exercise))
        total = self.exercise.total_writes
        return target, None, {"done": total - left, "total": total}

    def _word(self) -> dict[str, Any]:
        """The word being written, for the frames of a words exercise."""
        return (
            {"word": self.place.as_dict() if self.place else None} if self.exercise.is_words else {}
        )

    async def closed(self, code: int) -> None:
        await super().closed(code)
        for handle in getattr(self, "submits", {}).values():
            handle.cancel()

    async def handle(self, kind: str, seq: int, content: dict[str, Any]) -> None:
        if kind == "submit":
            await self.submit(seq, content)
            return
        if kind == "stroke" and not self.strokes:
            self.drawing_started = time.monotonic()
        await super().handle(kind, seq, content)

    async def submit(self, seq: int, content: dict[str, Any]) -> None:
        if not self.strokes:
            raise FrameError("empty_ink", "Draw the character before submitting.")
        refused = not_a_try(self.strokes, self.guides)
        if refused is not None:  # not stored, not counted: the drawing stays to clear
            raise FrameError(*refused)
        # The server decides what a drawing is scored against: a page that shows another
        # character (after a reconnect, or a crafted client) is told which, and stores
        # nothing. An id for this drawing makes re-sends store one attempt.
        shown = content.get("target")
        if shown is not None:
            if not isinstance(shown, str) or shown not in self.exercise.characters:
                raise FrameError("bad_target", "target must be one of the exercise's characters")
            if shown != self.target:
                await self.send_json(
                    {
                        "type": "error",
                        "seq": seq,
                        "code": "target_changed",
                        "message": f"Write {self.target!r} now; nothing was saved.",
                        "next_target": self.target,
                        **self._word(),
                    }
                )
                return
        submission_id = content.get("submission_id")
        if submission_id is not None and not (
            isinstance(submission_id, str) and SUBMISSION_ID.fullmatch(submission_id)
        ):
            raise FrameError("bad_submission_id", "submission_id must be 8-64 letters, digits, -")
        # Per student, across all their sockets: more sockets buy no more submits.
        wait = await sync_to_async(window_hit, thread_sensitive=False)(
            f"submits:{self.student.pk}", limit=settings.SUBMITS_PER_MINUTE, window_s=60
        )
        if wait is not None and settings.RATE_LIMITS_ENABLED:
            seconds = max(1, math.ceil(wait))
            await self.send_json(
                {
                    "type": "error",
                    "seq": seq,
                    "code": "rate_limited",
                    "message": f"That is a lot of drawings in a minute: wait {seconds} s.",
                    "retry_after": seconds,
                }
            )
            return
        taken = None
        if self.drawing_started is not None:
            taken = int((time.monotonic() - self.drawing_started) * 1000)
        try:
            attempt, _created = await database_sync_to_async(services.attempt_submit)(
                student=self.student,
                exercise=self.exercise,
                target=self.target,
                strokes=self.strokes,
                time_taken_ms=taken,
                submission_id=submission_id,
                guides=self.guides,
                place=self.place,
            )
        except DatabaseError:
            # The drawing stays on the socket: submitting again (same submission_id) stores
            # it once when the database is back.
            logger.warning("could not store an attempt", exc_info=True)
            raise FrameError(
                "not_saved", "Your drawing could not be saved just now; submit it again."
            ) from None
        # Stored: from here on nothing the student drew can be lost.
        self.strokes = []
        self.drawing_started = None
        self._settle(seq)  # live predictions of the submitted drawing are moot now
        self.last_sent_seq = seq
        self.submits[seq] = asyncio.get_running_loop().call_later(
            settings.RECOGNIZER_TIMEOUT_S,
            lambda: asyncio.ensure_future(self.submit_timed_out(seq, attempt)),
        )
        await self.queue_recognition(attempt, seq)

    async def queue_recognition(self, attempt: Attempt, seq: int) -> None:
        from classroom.tasks import recognize_attempt

        kwargs = {
            "attempt_id": attempt.pk,
            "reply_channel": self.channel_name,
            "seq": seq,
            "queued_at": time.time(),
        }
        try:
            if settings.CELERY_TASK_ALWAYS_EAGER:
                ran = await database_sync_to_async(recognize_attempt.apply)(kwargs=kwargs)
                if ran.result is False:  # stays pending: say it is saved now, not at the timeout
                    await self.submit_timed_out(seq, attempt)
            else:
                await sync_to_async(recognize_attempt.apply_async, thread_sensitive=False)(
                    kwargs=kwargs, retry=False
                )
        except Exception:  # broker down: the attempt is stored; the periodic sweep queues it
            logger.exception("could not queue recognition of attempt %s", attempt.pk)

    async def submit_timed_out(self, seq: int, attempt: Attempt) -> None:
        """No answer in time: the drawing is stored, so say `saved` and move on."""
        if self.submits.pop(seq, None) is None:
            return
        await self.advance(avoid=self.target)
        await self.send_json(
            {
                "type": "result",
                "seq": seq,
                **saved_result(attempt),
                "message": "Your drawing is saved. It will be checked as soon as the "
                "recogniser is back; carry on with the next one.",
                "next_target": self.target,
                "done": self.done,
                "progress": self.progress,
                **self._word(),
            }
        )

    async def attempt_recognized(self, event: dict[str, Any]) -> None:
        seq = event["seq"]
        result = {k: v for k, v in event.items() if k not in {"type", "seq"}}
        handle = self.submits.pop(seq, None)
        if handle is None:
            # Late: the student was already told it is saved and has moved on.
            await self.send_json({"type": "result", "seq": seq, "late": True, **result})
            return
        handle.cancel()
        before = self.place
        await self.advance(after_id=result["attempt_id"])
        same = self.place == before if self.exercise.is_words else self.target == result["target"]
        try_again = not result["passed"] and not self.done and same
        await self.send_json(
            {
                "type": "result",
                "seq": seq,
                **result,
                "next_target": self.target,
                "done": self.done,
                "try_again": try_again,
                "progress": self.progress,
                **self._word(),
            }
        )


class ClassLiveConsumer(RealtimeConsumer):
    """`/ws/classes/<class_id>/live/`: the class's attempts as they are recognised, for its
    "Live now" panel (its teacher, and staff, as on the dashboard). Receives nothing."""

    rate_burst = None  # it ignores what it receives

    async def authorize(self, user: Any) -> int | None:
        classroom_id = self.scope["url_route"]["kwargs"]["class_id"]
        try:
            classroom = await database_sync_to_async(access.classroom_to_watch)(
                user=user, pk=classroom_id
            )
        except access.AccessError:
            return CLOSE_NOT_ALLOWED
        self.group = live.group_name(classroom.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        return None

    async def closed(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def attempt_recognized(self, event: dict[str, Any]) -> None:
        await self.send_json(live.attempt_frame(event))
