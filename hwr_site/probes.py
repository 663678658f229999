"""`GET /healthz` answered on the event loop, before Django.

A request to Django waits for one of `HTTP_THREADS` threads; a login flood (password
hashing) or slow uploads held them all and health checks queued behind that work for
seconds. The liveness probe says only that the process is up and its loop turning, so it
needs no thread, no middleware and no database. `HEALTHZ_ON_LOOP=false` sends it through
Django again (`hwr_site.ops.healthz`, which answers the same).
"""

from typing import Any

BODY = b'{"status": "ok"}'
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
    (b"cache-control", b"max-age=0, no-cache, no-store, must-revalidate, private"),
    (b"x-content-type-options", b"nosniff"),
]


class HealthzOnLoop:
    def __init__(self, app: Any, path: str = "/healthz") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != self.path
            or scope["method"] not in ("GET", "HEAD")
        ):
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else BODY}
        )
