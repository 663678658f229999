"""Django's HTTP handling for the ASGI server: static files on the event loop, then the
middleware chain and the view in one worker thread.

Django's own `ASGIHandler` runs a synchronous middleware's every method in a worker thread:
each of our middlewares (security, sessions, CSRF, auth, messages, ...) cost two thread hops
a request, and the synchronous DRF views one more. Under load that chain cost more than the
requests themselves (docs/benchmarks.md). Here Django builds the synchronous chain it builds
under WSGI, and the chain and the view run in one thread hop (the request_started receivers
and closing the response still take one hop each, as in Django's handler). Django gives every
request a thread of its own, started and joined per request; here a request borrows one of a
fixed set of threads (`HTTP_THREADS`) for its whole life instead, through asgiref's
`ThreadSensitiveContext(executor=...)`, and waits while all are busy. Static files are
answered before the chain by ServeStatic's (async-only) middleware, configured from the
settings as usual; settings.py gives them the headers SecurityMiddleware gives the rest.
Everything else (reading the body, the request object, disconnects, streaming the response)
is Django's ASGI code as is. Only the ASGI application serves static files (`make run` and
deployments use it); `runserver` and the WSGI entry point do not.
"""

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable, Callable
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
        self.threads = threads or settings.HTTP_THREADS
        # Per event loop (tests run several one after another); a loop's threads end with it.
        self._idle: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Queue[ThreadPoolExecutor]
        ] = weakref.WeakKeyDictionary()
        self.load_middleware(is_async=False)  # settings.MIDDLEWARE: all synchronous
        # As Django does for every middleware: an error becomes a logged 500 response.
        self.static_files = cast(
            Callable[[HttpRequest], Awaitable[HttpResponseBase]],
            convert_exception_to_response(ServeStaticMiddleware(self.get_response_in_thread)),
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        idle = self._idle.get(loop := asyncio.get_running_loop())
        if idle is None:
            idle = self._idle[loop] = asyncio.Queue()
            for n in range(self.threads):
                idle.put_nowait(ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"http-{n}"))
        thread = await idle.get()
        try:
            # Every thread-sensitive call of this request (signals, the chain, closing the
            # response) runs on this one thread, as under Django's own handler.
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            idle.put_nowait(thread)

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
            await signals.request_finished.asend(sender=self.__class__)
        else:
            if not response.closed:
                await sync_to_async(response.close)()
        body_file.close()

    def respond(self, request: HttpRequest) -> HttpResponseBase:
        """The synchronous part of a request, in its thread: what WSGI would run."""
        signals.request_started.send(sender=self.__class__, scope=request.scope)  # type: ignore[attr-defined]
        response = self.get_response(request)
        if not response.streaming:
            response._handler_class = self.__class__  # type: ignore[attr-defined]
            response.close()  # sends request_finished
        return response

    async def get_response_in_thread(self, request: HttpRequest) -> HttpResponseBase:
        # thread_sensitive: the request's own thread, as Django gives every sync view.
        return await sync_to_async(self.respond, thread_sensitive=True)(request)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await self.static_files(request)
