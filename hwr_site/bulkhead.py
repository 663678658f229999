"""Requests that check a password get a few of the HTTP threads, never all of them.

Password hashing is meant to be slow (PBKDF2, ~0.3 s of a core). Every Django request runs
on one of `HTTP_THREADS` threads, so 32 clients sending wrong passwords held all of them and
everyone else waited behind the hashing. Requests to the paths that hash (`POST` to the
log-in, sign-up and password pages) wait here, on the event loop, for one of
`PASSWORD_SLOTS` slots before they reach Django: the other threads stay free for pages and
the API, and hashing takes at most that many cores. One that waits longer than `wait_s` is
answered 503 with `Retry-After`. `PASSWORD_SLOTS=0` turns it off.

A refusal (429: locked out or rate limited) leaves its slot at once but is sent only after
`refusal_delay_s`, waited on the loop. Refusing is cheap (django-axes answers before the
form runs), so 32 clients sending again as soon as they are answered looped 150 to 190
times a second through the slot and the event loop (docs/benchmarks.md, "Login flood").
"""

import asyncio
from collections.abc import Iterable
from typing import Any

BUSY_BODY = (
    b"<!doctype html><title>Busy</title><p>Many people are signing in right now. "
    b"Please wait a few seconds and try again.</p>"
)


class PasswordBulkhead:
    def __init__(
        self,
        app: Any,
        *,
        paths: Iterable[str],
        slots: int,
        wait_s: float,
        refusal_delay_s: float = 0.0,
    ) -> None:
        self.app = app
        self.paths = tuple(paths)
        self.slots = slots
        self.wait_s = wait_s
        self.refusal_delay_s = refusal_delay_s
        self._semaphore: asyncio.Semaphore | None = None  # made on the server's loop

    def _guards(self, scope: dict[str, Any]) -> bool:
        return (
            self.slots > 0
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].startswith(self.paths)
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not self._guards(scope):
            await self.app(scope, receive, send)
            return
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.slots)
        try:
            await asyncio.wait_for(self._semaphore.acquire(), self.wait_s)
        except TimeoutError:
            await self._busy(send)
            return
        held: list[dict[str, Any]] = []

        async def send_or_hold(message: dict[str, Any]) -> None:
            refused = message["type"] == "http.response.start" and message["status"] == 429
            if held or (refused and self.refusal_delay_s > 0):
                held.append(message)  # a refusal's start and its body
            else:
                await send(message)

        try:
            await self.app(scope, receive, send_or_hold)
        finally:
            self._semaphore.release()
        if held:
            await asyncio.sleep(self.refusal_delay_s)
            for message in held:
                await send(message)

    async def _busy(self, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"retry-after", b"5"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": BUSY_BODY})
