"""ASGI guard: refuse request bodies over the limit before Django reads them.

Django's ASGI handler spools the whole body to a temporary file before any view runs, and
uvicorn sets no limit of its own, so without this an anonymous multi-gigabyte POST would
fill the disk.
"""

import json
from typing import Any

Scope = dict[str, Any]


class RequestTooLarge(Exception):
    """Raised from `receive` once a streamed body passes the limit."""


class RequestSizeLimit:
    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise RequestTooLarge
            return dict(message)

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except RequestTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        megabytes = self.max_bytes // (1024 * 1024)
        body = json.dumps(
            {
                "error": {
                    "code": "request_too_large",
                    "message": f"Requests are limited to {megabytes} MB.",
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body})
