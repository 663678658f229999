"""`/ws/classes/<class_id>/chat/`: a class's room (CONTRACTS section 6).

Access is decided before `accept()` with the rule every entry point shares. A message is
stored first and only then announced to the room's group; each socket numbers what it has
sent (room numbers have no gaps), so a group send that was dropped shows up as a gap and is
read from the database: every message exactly once, in order. A client that reconnects
with `after=<last id>` gets everything it missed first.

Client frames: `message` {body, client_id}; `history` {before} (load earlier); for the
teacher `remove` {id}, `mute` {student_id, minutes}, `unmute` {student_id}, `close`, `open`.
"""

import asyncio
import logging
import random
from typing import Any
from urllib.parse import parse_qs

from channels.db import DatabaseSyncToAsync
from django.conf import settings

from chat import selectors, services
from chat.models import Message
from classroom.models import Classroom, User
from hwr_site.realtime.consumer import CLOSE_NOT_ALLOWED, FrameError, RealtimeConsumer

# Frames a connection may send (messages have their own per-person limit in the service).
RATE_BURST = 60
RATE_PER_S = 5.0
# The most missed messages one reconnect is sent (a longer absence starts from history).
CATCH_UP_MAX = 1000
# Presence changes of a room within this long leave a server process as one announcement: a
# class of 30 arriving at once is then a few presence frames for each socket, not one for each
# arrival (30 x 30 frames, and 30 reads of the roster, all at the same moment).
PRESENCE_COALESCE_S = 0.25
logger = logging.getLogger(__name__)
# Room id -> this process's announcement waiting to go.
_presence_announcements: dict[int, "asyncio.Task[None]"] = {}


def database_sync_to_async(function: Any) -> Any:
    """Channels' database_sync_to_async, on the loop's thread pool rather than the one
    thread a process shares: a room's messages wait on PostgreSQL, and 30 sockets waiting
    in line behind each other made the fan-out slow. Each thread has its own connection
    (from the pool); messages of one room are still numbered one at a time (the row lock)."""
    return DatabaseSyncToAsync(function, thread_sensitive=False)


class ChatConsumer(RealtimeConsumer):
    max_frame_bytes = 16 * 1024
    # Counted by name in inkwell_ws_messages_total (hwr_site/realtime/consumer.py).
    message_types = frozenset({"message", "history", "remove", "mute", "unmute", "close", "open"})
    rate_burst = RATE_BURST
    rate_per_s = RATE_PER_S

    async def authorize(self, user: User) -> int | None:
        classroom_id = self.scope["url_route"]["kwargs"]["class_id"]
        classroom = await database_sync_to_async(selectors.readable_room)(
            user=user, classroom_id=classroom_id
        )
        if classroom is None:
            return CLOSE_NOT_ALLOWED
        self.user: User = user
        self.classroom: Classroom = classroom
        self.group = selectors.room_group(classroom.pk)
        self.last_number = 0
        self.delivering = asyncio.Lock()
        self.presence: list[dict[str, Any]] = []
        self.heartbeat: asyncio.Task[None] | None = None
        return None

    async def opened(self) -> None:
        # Join first, then read: whatever is committed after the read arrives as an event
        # (or as a gap, read again); events wait in this consumer's queue meanwhile.
        await self.channel_layer.group_add(self.group, self.channel_name)
        after = self._after()
        async with self.delivering:
            state, backlog, last_number = await database_sync_to_async(self._backlog)(after)
            await self.send_json(state)
            for frame in backlog:
                await self.send_json(frame)
            self.last_number = last_number
        await self._presence_changed(joined=True)
        self.heartbeat = asyncio.ensure_future(self._heartbeat())

    def _after(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode())
        raw = (query.get("after") or [""])[0]
        return int(raw) if raw.isdigit() else None

    def _backlog(self, after: int | None) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
        last_number = selectors.room_last_number(room_id=self.classroom.pk)
        if after is None:
            messages = selectors.room_history(user=self.user, room_id=self.classroom.pk)
        else:
            messages = selectors.messages_after(
                user=self.user, room_id=self.classroom.pk, after_id=after
            )[:CATCH_UP_MAX]
        state = selectors.room_state(user=self.user, classroom=self.classroom).frame()
        state["earlier"] = after is None and len(messages) >= selectors.HISTORY_SIZE
        last_number = max([last_number, *(m.number for m in messages)])
        return state, [selectors.message_frame(m) for m in messages], last_number

    async def closed(self, code: int) -> None:
        if not self.admitted:
            return
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await database_sync_to_async(selectors.presence_leave)(
            classroom_id=self.classroom.pk, user_id=self.user.pk
        )
        await self._presence_changed(joined=False)

    # Presence

    async def _presence_changed(self, *, joined: bool) -> None:
        if joined:
            await database_sync_to_async(selectors.presence_touch)(
                classroom_id=self.classroom.pk, user_id=self.user.pk
            )
        pending = _presence_announcements.get(self.classroom.pk)
        if (
            pending is not None
            and not pending.done()
            and pending.get_loop() is asyncio.get_running_loop()
        ):
            return  # it reads who is here when it goes, this change included
        _presence_announcements[self.classroom.pk] = asyncio.ensure_future(
            self._announce_presence()
        )

    async def _announce_presence(self) -> None:
        """Who is here, to the room's group, once for every change in the last moment."""
        classroom = self.classroom
        await asyncio.sleep(PRESENCE_COALESCE_S)
        if _presence_announcements.get(classroom.pk) is asyncio.current_task():
            del _presence_announcements[classroom.pk]  # a change from now on goes again
        try:
            here = await database_sync_to_async(selectors.room_presence)(classroom=classroom)
            await self.channel_layer.group_send(
                selectors.room_group(classroom.pk), {"type": "chat.presence", "here": here}
            )
        except Exception:  # the heartbeats tell everyone soon enough
            logger.warning("could not announce who is in room %s", classroom.pk, exc_info=True)

    async def _heartbeat(self) -> None:
        """Refresh this person's presence; notice who vanished with a dead process; read
        any message whose announcement was lost."""
        while True:
            # Jittered: a class that arrived together would otherwise beat together, every
            # socket's reads in the same few milliseconds, for the whole lesson.
            await asyncio.sleep(settings.CHAT_PRESENCE_HEARTBEAT_S * random.uniform(0.75, 1.25))
            try:
                here, last = await database_sync_to_async(self._beat)()
                if here != self.presence:
                    self.presence = here
                    await self.send_json({"type": "presence", "here": here})
                if last > self.last_number:
                    async with self.delivering:
                        await self._catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:  # the next beat tries again
                logger.warning("chat heartbeat failed", exc_info=True)

    def _beat(self) -> tuple[list[dict[str, Any]], int]:
        selectors.presence_touch(classroom_id=self.classroom.pk, user_id=self.user.pk)
        return (
            selectors.room_presence(classroom=self.classroom),
            selectors.room_last_number(room_id=self.classroom.pk),
        )

    # Receiving

    async def receive_frame(self, content: dict[str, Any]) -> None:
        kind = content.get("type")
        user, classroom = self.user, self.classroom
        run = database_sync_to_async
        if kind == "message":
            await run(services.message_post)(
                user=user,
                classroom=classroom,
                body=content.get("body"),
                client_id=content.get("client_id"),
            )
        elif kind == "history":
            await self._history(content.get("before"))
        elif kind == "remove":
            await run(services.message_remove)(
                teacher=user, classroom=classroom, message_id=content.get("id")
            )
        elif kind == "mute":
            await run(services.student_mute)(
                teacher=user,
                classroom=classroom,
                student_id=content.get("student_id"),
                minutes=content.get("minutes"),
            )
        elif kind == "unmute":
            await run(services.student_unmute)(
                teacher=user, classroom=classroom, student_id=content.get("student_id")
            )
        elif kind in ("close", "open"):
            await run(services.room_set_closed)(
                teacher=user, classroom=classroom, closed=kind == "close"
            )
        else:
            raise FrameError("unknown_type", f"unknown message type {kind!r}")

    async def _history(self, before: Any) -> None:
        if isinstance(before, bool) or not isinstance(before, int):
            raise FrameError("bad_message", "before must be a message id")

        def read() -> list[Message]:
            return selectors.room_history(user=self.user, room_id=self.classroom.pk, before=before)

        messages = await database_sync_to_async(read)()
        await self.send_json(
            {
                "type": "history",
                "messages": [selectors.message_frame(m) for m in messages],
                "earlier": len(messages) >= selectors.HISTORY_SIZE,
            }
        )

    # Events of the room's group, named after their type

    async def chat_message(self, event: dict[str, Any]) -> None:
        async with self.delivering:
            number = event["number"]
            if number <= self.last_number:
                return  # already sent (read from the database after a gap)
            if number > self.last_number + 1:
                await self._catch_up()  # an announcement was lost: read what it said
                if number <= self.last_number:
                    return
            self.last_number = number
            if selectors.sees(
                user_id=self.user.pk,
                author_id=event["author_id"],
                recipient_id=event["recipient_id"],
            ):
                await self.send_json(event["frame"])

    async def _catch_up(self) -> None:
        def read() -> tuple[int, list[Message]]:
            last = selectors.room_last_number(room_id=self.classroom.pk)
            return last, selectors.messages_after_number(
                user=self.user, room_id=self.classroom.pk, number=self.last_number
            )

        last, messages = await database_sync_to_async(read)()
        for message in messages:
            await self.send_json(selectors.message_frame(message))
        self.last_number = max([self.last_number, last, *(m.number for m in messages)])

    async def chat_removed(self, event: dict[str, Any]) -> None:
        if selectors.sees(
            user_id=self.user.pk, author_id=event["author_id"], recipient_id=event["recipient_id"]
        ):
            await self.send_json({"type": "removed", "id": event["id"]})

    async def chat_state(self, event: dict[str, Any]) -> None:
        state = await database_sync_to_async(selectors.room_state)(
            user=self.user, classroom=self.classroom
        )
        await self.send_json(state.frame())

    async def chat_presence(self, event: dict[str, Any]) -> None:
        if event["here"] == self.presence:
            return  # nothing new for this socket (a second tab, or another process's news)
        self.presence = event["here"]
        await self.send_json({"type": "presence", "here": event["here"]})
