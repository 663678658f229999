"""`hwr_site.fastpath.http.SyncChainASGIHandler` (the FASTPATH_HTTP fork), driven in-process
as an ASGI application: which thread runs each part of a request, in what order, and how
many requests run at once."""

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core import signals
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from hwr_site.fastpath.http import SyncChainASGIHandler

events: list[tuple[str, str]] = []
inside = {"now": 0, "most": 0}
inside_lock = threading.Lock()
release = threading.Event()


def _record(what: str) -> None:
    events.append((what, threading.current_thread().name))


def plain(request: HttpRequest) -> HttpResponse:
    _record("view")
    return HttpResponse(b"plain")


async def _parts() -> AsyncIterator[bytes]:
    yield b"one "
    yield b"two"


def streamed(request: HttpRequest) -> StreamingHttpResponse:
    _record("view")
    return StreamingHttpResponse(_parts())


def held(request: HttpRequest) -> HttpResponse:
    with inside_lock:
        inside["now"] += 1
        inside["most"] = max(inside["most"], inside["now"])
    release.wait(10)
    with inside_lock:
        inside["now"] -= 1
    _record("view")
    return HttpResponse(b"held")


urlpatterns = [path("plain", plain), path("streamed", streamed), path("held", held)]


@pytest.fixture(autouse=True)
def _routes_and_receivers() -> Iterator[None]:
    def started(**_: Any) -> None:
        _record("request_started")

    def finished(**_: Any) -> None:
        _record("request_finished")

    events.clear()
    inside.update(now=0, most=0)
    release.clear()
    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    with override_settings(ROOT_URLCONF=__name__):
        yield
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


async def get(app: SyncChainASGIHandler, route: str, body: bytes | None = b"") -> bytes:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": f"/{route}", "raw_path": f"/{route}".encode(),
        "query_string": b"", "root_path": "", "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }  # fmt: skip

    async def recorded(scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: Mapping[str, Any]) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                _record("sent")  # by the application, before anything it does afterwards

        await app(scope, receive, sending)

    talk = ApplicationCommunicator(recorded, scope)
    if body is not None:
        await talk.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await talk.receive_output(10)
    assert start["type"] == "http.response.start" and start["status"] == 200, start
    body = b""
    while True:
        message = await talk.receive_output(10)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await talk.wait(10)
    return body


async def test_a_request_starts_runs_and_finishes_on_one_pooled_thread():
    app = SyncChainASGIHandler(threads=2)
    assert await get(app, "plain") == b"plain"
    assert [what for what, _ in events] == ["request_started", "view", "request_finished", "sent"]
    threads = {thread for what, thread in events if what != "sent"}
    assert len(threads) == 1 and threads.pop().startswith("http-")


async def test_a_streaming_response_is_closed_after_it_is_sent():
    app = SyncChainASGIHandler(threads=2)
    assert await get(app, "streamed") == b"one two"
    assert [what for what, _ in events] == ["request_started", "view", "sent", "request_finished"]


async def test_requests_beyond_the_pool_wait_for_a_free_thread():
    app = SyncChainASGIHandler(threads=2)
    requests = [asyncio.ensure_future(get(app, "held")) for _ in range(5)]
    for _ in range(100):
        await asyncio.sleep(0.02)
        if inside["now"] == 2:
            break
    await asyncio.sleep(0.2)  # room for a third request to get in, were it let in
    assert inside["now"] == 2
    release.set()
    assert await asyncio.gather(*requests) == [b"held"] * 5
    assert inside["most"] == 2
    view_threads = {thread for what, thread in events if what == "view"}
    assert len(view_threads) == 2 and all(name.startswith("http-") for name in view_threads)


async def test_a_request_still_sending_its_body_holds_no_thread():
    app = SyncChainASGIHandler(threads=1)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/plain", "raw_path": b"/plain", "query_string": b"",
        "root_path": "", "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50001), "server": ("testserver", 80),
    }  # fmt: skip
    slow = ApplicationCommunicator(app, scope)
    await slow.send_input({"type": "http.request", "body": b"part", "more_body": True})
    assert await get(app, "plain") == b"plain"  # served while the upload goes on
    await slow.send_input({"type": "http.request", "body": b" rest", "more_body": False})
    assert (await slow.receive_output(10))["status"] == 200
