"""Django's ASGI handler with the synchronous middleware chain and the view in one pooled
thread hop, static files on the event loop first (`FASTPATH_HTTP`; why and what it costs:
docs/decisions/008-lean-live-path.md)."""

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import set_script_prefix
from servestatic.middleware import ServeStaticMiddleware


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self, threads: int | None = None) -> None:
        BaseHandler.__init__(self)
        # Threads start on first use; none is bound to an event loop. Borrowed and given
        # back on the event loop's thread only (one loop at a time, as under any ASGI server).
        self._idle = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"http-{n}")
            for n in range(threads or settings.HTTP_THREADS)
        ]
        self._waiting: collections.deque[asyncio.Future[ThreadPoolExecutor]] = collections.deque()
        self.load_middleware(is_async=False)  # settings.MIDDLEWARE: all synchronous
        # As Django does for every middleware: an error becomes a logged 500 response.
        self.static_files = cast(
            Callable[[HttpRequest], Awaitable[HttpResponseBase]],
            convert_exception_to_response(ServeStaticMiddleware(self.get_response_in_thread)),
        )

    @contextlib.asynccontextmanager
    async def _borrowed_thread(self) -> AsyncIterator[ThreadPoolExecutor]:
        """One of the threads, for as long as the synchronous part of a request runs."""
        if self._idle:
            thread = self._idle.pop()
        else:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                thread = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._give_back(waiter.result())
                raise
        try:
            yield thread
        finally:
            self._give_back(thread)

    def _give_back(self, thread: ThreadPoolExecutor) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done() and not waiter.get_loop().is_closed():
                waiter.set_result(thread)
                return
        self._idle.append(thread)

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        """Django's `ASGIHandler.handle`, less its two extra thread hops a request.

        Django sends request_started in a thread hop of its own, and closes the response
        (request_finished) in another after sending it. Here both happen in the request's one
        hop, around the chain (`respond`), when the response's body is already in memory;
        a streaming or file response is closed after sending, as Django does.
        """
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            assert error_response is not None
            await signals.request_started.asend(sender=self.__class__, scope=scope)
            body_file.close()
            await self.send_response(error_response, send)
            await sync_to_async(error_response.close)()
            return

        async def process_request(request: HttpRequest, send: Any) -> HttpResponseBase:
            response = await self.run_get_response(request)
            with contextlib.suppress(asyncio.CancelledError):  # the client went away
                await self.send_response(response, send)
            return response

        # As Django: a disconnect while the response is made cancels making it.
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request(request, send)),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            response = cast(HttpResponseBase, tasks[1].result())
        except asyncio.CancelledError:
            # The client went away. A chain already running closes what it makes (`respond`).
            request.abandoned = True  # type: ignore[attr-defined]
            if not getattr(request, "responding", False):
                await signals.request_finished.asend(sender=self.__class__)
        else:
            if not response.closed:
                await sync_to_async(response.close)()
        body_file.close()

    def respond(self, request: HttpRequest) -> HttpResponseBase:
        """The synchronous part of a request, in its thread: what WSGI would run."""
        request.responding = True  # type: ignore[attr-defined]
        signals.request_started.send(sender=self.__class__, scope=request.scope)  # type: ignore[attr-defined]
        response = self.get_response(request)
        if not response.streaming or getattr(request, "abandoned", False):
            response._handler_class = self.__class__  # type: ignore[attr-defined]
            response.close()  # sends request_finished
        return response

    async def get_response_in_thread(self, request: HttpRequest) -> HttpResponseBase:
        # Every thread-sensitive call the chain makes runs on this one thread, as under
        # Django's own handler. Reading the body and sending the response hold no thread.
        async with self._borrowed_thread() as thread, ThreadSensitiveContext(executor=thread):
            return await sync_to_async(self.respond, thread_sensitive=True)(request)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await self.static_files(request)
