"""Live recognition over websockets (CONTRACTS section 5).

The consumer keeps the drawing of its connection, validates every message, and sends each
change of the drawing to a Celery task on the `inference` queue. The task answers straight
to this consumer's channel; answers older than one already sent are dropped.
"""

import asyncio
import functools
import logging
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from prometheus_client import Histogram

from hwr_site import queues
from hwr_site.realtime.consumer import FrameError, RealtimeConsumer
from hwr_site.realtime.publishing import TaskPublisher
from recognition.answers import prediction_of
from recognition.engine.guides import Guides, parse_guides
from recognition.engine.ink import check_added_stroke

logger = logging.getLogger(__name__)

LIVE_LATENCY = Histogram(
    "inkwell_live_prediction_seconds",
    "From a drawing message received to its prediction sent back",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2),
)


@functools.cache
def live_tasks() -> TaskPublisher:
    """This process's publisher of `recognize_ink` tasks."""
    from hwr_site.celery import app
    from recognition.tasks import recognize_ink

    return TaskPublisher(app, recognize_ink.name, queues.INFERENCE)


def _seq_of(content: dict[str, Any]) -> int:
    seq = content.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise FrameError("bad_seq", "seq must be a non-negative integer")
    return seq


class InkConsumer(RealtimeConsumer):
    """Base of the drawing sockets: the drawing, its messages, and live predictions."""

    message_types: frozenset[str] = frozenset({"stroke", "undo", "clear"})

    async def opened(self) -> None:
        self.strokes: list[list[list[float]]] = []
        self.last_seq = -1
        self.last_sent_seq = -1
        self.received_at: dict[int, float] = {}
        self.timeouts: dict[int, asyncio.TimerHandle] = {}
        self.sending: set[asyncio.Future[None]] = set()
        self.model_version: str | None = None  # of the last prediction sent on this socket
        self.guides: Guides | None = None  # the canvas's guide lines, from the messages
        self.in_flight: int | None = None  # the drawing with the recogniser now
        self.deferred: int | None = None  # the newest drawing, waiting for that answer

    def charset(self) -> str | None:
        """Candidates allowed on this socket; None for all 62 classes."""
        return None

    async def closed(self, code: int) -> None:
        for handle in getattr(self, "timeouts", {}).values():
            handle.cancel()
        for sending in getattr(self, "sending", set()):
            sending.cancel()

    # Receiving

    async def receive_frame(self, content: dict[str, Any]) -> None:
        seq = _seq_of(content)
        if seq <= self.last_seq:
            raise FrameError("bad_seq", f"seq must increase: {seq} after {self.last_seq}")
        kind = content.get("type")
        if not isinstance(kind, str) or kind not in self.message_types:
            raise FrameError("unknown_type", f"unknown message type {str(kind)[:40]!r}")
        if "guides" in content:  # on the first message, or on each (CONTRACTS section 8)
            self.guides = parse_guides(content["guides"])
        self.last_seq = seq
        self.received_at[seq] = time.monotonic()
        await self.handle(kind, seq, content)

    async def handle(self, kind: str, seq: int, content: dict[str, Any]) -> None:
        if kind == "stroke":
            self.add_stroke(content.get("points"))
        elif kind == "undo":
            if self.strokes:
                self.strokes.pop()
        elif kind == "clear":
            self.strokes = []
        await self.predict(seq)

    def add_stroke(self, points: Any) -> None:
        if not isinstance(points, list) or not points:
            raise FrameError("bad_format", "a stroke needs a non-empty list of points")
        drawn = sum(len(s) for s in self.strokes)
        check_added_stroke(points, strokes_before=len(self.strokes), points_before=drawn)
        self.strokes.append(points)

    # Predictions

    async def predict(self, seq: int) -> None:
        if not self.strokes:
            await self.send_prediction(seq, {"candidates": [], "rejected": False})
            return
        timeout = settings.RECOGNIZER_TIMEOUT_S
        self.timeouts[seq] = asyncio.get_running_loop().call_later(
            timeout, lambda: asyncio.ensure_future(self.recognizer_timed_out(seq))
        )
        if self.in_flight is not None:
            # One drawing per socket with the recogniser at a time. Otherwise, whenever the
            # workers fall behind, the queue fills with drawings that are stale before a
            # worker takes them and every student waits behind them. The newest drawing goes
            # when the answer comes (CONTRACTS section 3: an older prediction may be skipped).
            self.deferred = seq
            return
        await self._queue_prediction(seq)

    async def _queue_prediction(self, seq: int) -> None:
        from recognition.tasks import recognize_ink

        self.in_flight = seq
        kwargs = {
            "reply_channel": self.channel_name,
            "seq": seq,
            "strokes": list(self.strokes),
            "charset": self.charset(),
            "queued_at": time.time(),
        }
        if self.guides is not None:
            kwargs["guides"] = self.guides.as_dict()
        timeout = settings.RECOGNIZER_TIMEOUT_S
        if seq not in self.timeouts:  # it waited past its time: a new one, or it waits forever
            self.timeouts[seq] = asyncio.get_running_loop().call_later(
                timeout, lambda: asyncio.ensure_future(self.recognizer_timed_out(seq))
            )
        if settings.CELERY_TASK_ALWAYS_EAGER:
            # Embedded mode: the task runs in-process.
            try:
                await sync_to_async(recognize_ink.apply, thread_sensitive=False)(kwargs=kwargs)
            except Exception:
                logger.warning("could not run a live prediction", exc_info=True)
                await self._unavailable(seq)
            return

        # kwargsrepr: Celery's logs would otherwise repr the whole drawing.
        live_tasks().send_soon(
            kwargs,
            kwargsrepr=f"{{'seq': {seq}}}",
            within_s=timeout,  # later, the client was already told at the timeout
            on_error=lambda exc: self._not_queued(seq, exc),
        )

    def _not_queued(self, seq: int, exc: BaseException) -> None:
        logger.warning("could not queue a live prediction", exc_info=exc)
        sending = asyncio.ensure_future(self._unavailable(seq))
        self.sending.add(sending)  # a reference until it is done
        sending.add_done_callback(self.sending.discard)

    async def _unavailable(self, seq: int) -> None:
        # The broker is unreachable: say so now rather than after the timeout.
        if self.in_flight == seq:
            self.in_flight = None
        if seq in self.timeouts:  # not answered, and the timeout has not said so
            self._settle(seq)
            await self.send_error(
                "recognizer_unavailable", "The recogniser cannot be reached; keep drawing.", seq
            )
        await self._predict_deferred()

    async def recognizer_timed_out(self, seq: int) -> None:
        self.timeouts.pop(seq, None)
        if self.in_flight == seq:
            self.in_flight = None  # its answer, if it ever comes, is still taken
        if self.last_sent_seq < seq:
            await self.send_error(
                "recognizer_unavailable",
                "The recogniser did not answer in time; keep drawing.",
                seq,
            )
        await self._predict_deferred()

    async def prediction_ready(self, event: dict[str, Any]) -> None:
        await self.send_prediction(event["seq"], prediction_of(event))
        await self._predict_deferred()

    async def prediction_failed(self, event: dict[str, Any]) -> None:
        self._settle(event["seq"])
        await self.send_error(event["code"], event["message"], event["seq"])
        await self._predict_deferred()

    async def _predict_deferred(self) -> None:
        """The newest drawing, held while an older one was with the recogniser, goes now."""
        if self.in_flight is None and self.deferred is not None:
            seq, self.deferred = self.deferred, None
            await self._queue_prediction(seq)

    def _settle(self, seq: int) -> None:
        """Forget the timers of every message this answer covers."""
        for pending in [s for s in self.timeouts if s <= seq]:
            self.timeouts.pop(pending).cancel()
        for pending in [s for s in self.received_at if s <= seq]:
            started = self.received_at.pop(pending)
            if pending == seq:
                LIVE_LATENCY.observe(time.monotonic() - started)
        if self.in_flight is not None and self.in_flight <= seq:
            self.in_flight = None
        if self.deferred is not None and self.deferred <= seq:
            self.deferred = None

    async def send_prediction(self, seq: int, body: dict[str, Any]) -> None:
        self._settle(seq)
        if seq <= self.last_sent_seq:
            return  # a newer drawing was already answered: never send an older one after it
        self.last_sent_seq = seq
        if "model_version" in body:
            self.model_version = body["model_version"]
        else:
            # An empty drawing, answered here: no model saw it. Name the one that answered
            # this socket last, without a thread hop per "clear".
            if self.model_version is None:
                from recognition.selectors import active_model_version

                self.model_version = await database_sync_to_async(active_model_version)()
            body["model_version"] = self.model_version
        await self.send_json({"type": "prediction", "seq": seq, **body})


class RecognizeConsumer(InkConsumer):
    """`/ws/recognize/`: free drawing for anyone logged in; nothing is stored."""
