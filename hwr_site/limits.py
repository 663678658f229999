"""ASGI guard: refuse request bodies over the limit before Django reads them.

uvicorn sets no limit of its own, so without this an anonymous multi-gigabyte POST would be
read. A declared `Content-Length` over the limit is refused at once. A body streamed without
one (chunked) is read here up to the limit, refused beyond it, and handed on with its length
declared, since Django's WSGI handler (under a2wsgi) reads only a declared length.
"""

import json
from typing import Any

Scope = dict[str, Any]


class RequestSizeLimit:
    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = list(scope.get("headers") or [])
        length = dict(headers).get(b"content-length")
        if length is not None:
            if length.isdigit() and int(length) > self.max_bytes:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return dict(await receive())  # only a disconnect is left to come

        declared = [*headers, (b"content-length", str(len(body)).encode())]
        await self.app({**scope, "headers": declared}, replay, send)

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
