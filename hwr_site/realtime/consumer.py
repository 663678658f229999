"""`RealtimeConsumer`: the base of every websocket consumer (CONTRACTS sections 5 and 6).

A subclass overrides at most these:

- `async authorize(user) -> int | None`: called before `accept()` for a logged-in user (an
  anonymous one is closed with 4401 first). Return None to let them in, or a closing code
  (`CLOSE_NOT_ALLOWED`). Set what the connection needs on `self` here (it runs once).
- `async opened()`: after `accept()`; send a backlog, join groups.
- `async receive_frame(content: dict)`: one decoded JSON object from the client, already
  checked against `max_frame_bytes` and the rate limit (`rate_burst`, `rate_per_s`; a
  class attribute of None turns it off).
- `async closed(code)`: clean-up (leave groups, cancel timers); runs for refused sockets too.

Raise `FrameError(code, message)` (or any `hwr_site.errors.DomainError`, or an error type
registered there) from `receive_frame` to answer an error frame; the socket stays open.
`send_error(code, message, seq)` sends one directly, `send_json(content)` any frame.
Handlers of channel-layer events are methods named after the event type, as in Channels
(`attempt.recognized` -> `attempt_recognized`). Touch the ORM only through
`database_sync_to_async` (with `FASTPATH_DISPATCH` Channels' per-message
`close_old_connections` is skipped, `hwr_site.fastpath.dispatch`).
"""

import json
import time
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from prometheus_client import Counter, Gauge

from hwr_site.errors import DomainError, as_domain_error
from hwr_site.fastpath.dispatch import dispatch as fastpath_dispatch

CLOSE_NOT_LOGGED_IN = 4401
CLOSE_NOT_ALLOWED = 4403
# A frame never needs more than the whole drawing's worth of points.
MAX_FRAME_BYTES = 256 * 1024
# A person draws a few strokes a second; a burst allowance covers a reconnect's re-send.
RATE_BURST = 160
RATE_PER_S = 20.0

SOCKET_ERRORS = Counter("inkwell_live_errors_total", "Error frames sent on sockets", ["code"])
# By route: a consumer class's `route` (default: its name without "Consumer", lower case).
WS_CONNECTIONS = Gauge("inkwell_ws_connections", "Open websockets", ["route"])
WS_MESSAGES = Counter("inkwell_ws_messages_total", "Frames received, by type", ["route", "type"])
WS_ERROR_FRAMES = Counter("inkwell_ws_error_frames_total", "Error frames sent", ["route", "code"])


class FrameError(DomainError):
    """A frame the consumer answers with an error frame; the socket stays open."""


def frame_seq(content: Any) -> int | None:
    """The frame's `seq` when it is a non-negative integer, for the error frame's `seq`."""
    seq = content.get("seq") if isinstance(content, dict) else None
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        return None
    return seq


class RealtimeConsumer(AsyncWebsocketConsumer):
    route: str = ""  # the metrics' label; set for each subclass below
    # The frame types counted by name; any other is counted as "other" (label values stay
    # few whatever a client sends), a frame that is not a JSON object as "invalid".
    message_types: frozenset[str] = frozenset()
    max_frame_bytes: int = MAX_FRAME_BYTES
    rate_burst: int | None = RATE_BURST
    rate_per_s: float = RATE_PER_S
    admitted = False  # a refused socket is closing: what its client still sends is ignored

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "route" not in cls.__dict__:
            cls.route = cls.__name__.removesuffix("Consumer").lower()

    async def authorize(self, user: Any) -> int | None:
        """None to admit this logged-in user, else the code to close the socket with."""
        return None

    async def opened(self) -> None:
        """After `accept()`."""

    async def receive_frame(self, content: dict[str, Any]) -> None:
        """One JSON object from the client."""

    async def closed(self, code: int) -> None:
        """When the socket is gone (also after a refusal)."""

    # The Channels side: subclasses leave these alone.

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            refusal: int | None = CLOSE_NOT_LOGGED_IN
        else:
            refusal = await self.authorize(user)
        if refusal is not None:
            # Accepted first, so that the client gets the closing code (CONTRACTS section 5).
            await self.accept()
            await self.close(code=refusal)
            return
        self.allowance = float(self.rate_burst or 0)
        self.allowance_at = time.monotonic()
        self.admitted = True
        # The children looked up once a socket: a frame costs a dict lookup and an inc.
        self._frames: dict[str, Any] = {
            kind: WS_MESSAGES.labels(route=self.route, type=kind)
            for kind in (*self.message_types, "other", "invalid")
        }
        WS_CONNECTIONS.labels(route=self.route).inc()
        await self.accept()
        await self.opened()

    async def disconnect(self, code: int) -> None:
        if self.admitted:
            WS_CONNECTIONS.labels(route=self.route).dec()
        await self.closed(code)

    async def dispatch(self, message: dict[str, Any]) -> None:
        if settings.FASTPATH_DISPATCH:
            await fastpath_dispatch(self, message)
        else:
            await super().dispatch(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.admitted:
            return
        content: Any = None
        try:
            try:
                content = self._decode(text_data)
            except FrameError:
                self._frames["invalid"].inc()
                raise
            kind = content.get("type")
            self._frames.get(kind if isinstance(kind, str) else "", self._frames["other"]).inc()
            self._spend_allowance()
            await self.receive_frame(content)
        except Exception as exc:
            error = as_domain_error(exc)
            if error is None:
                raise
            await self.send_error(error.code, error.message, frame_seq(content))

    def _decode(self, text_data: str | None) -> dict[str, Any]:
        if text_data is None:
            raise FrameError("bad_message", "send JSON text frames")
        if len(text_data) > self.max_frame_bytes:
            raise FrameError(
                "message_too_large", f"a frame holds at most {self.max_frame_bytes} bytes"
            )
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: nested too deep to parse
            raise FrameError("bad_json", "the message is not valid JSON") from None
        if not isinstance(content, dict):
            raise FrameError("bad_message", "the message must be a JSON object")
        return content

    def _spend_allowance(self) -> None:
        """Token bucket: a flood of frames is refused instead of flooding the workers."""
        if self.rate_burst is None:
            return
        now = time.monotonic()
        self.allowance = min(
            self.rate_burst, self.allowance + (now - self.allowance_at) * self.rate_per_s
        )
        self.allowance_at = now
        if self.allowance < 1:
            raise FrameError("rate_limited", "Too many messages; slow down.")
        self.allowance -= 1

    async def send_error(self, code: str, message: str, seq: int | None = None) -> None:
        """An error frame (CONTRACTS section 5); the socket stays open."""
        SOCKET_ERRORS.labels(code=code).inc()
        WS_ERROR_FRAMES.labels(route=self.route, code=code).inc()
        await self.send_json({"type": "error", "seq": seq, "code": code, "message": message})

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content))
