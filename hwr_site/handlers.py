"""Django's HTTP handling for the ASGI server: static files on the event loop, then the
middleware chain and the view in one worker thread.

Django's own `ASGIHandler` runs a synchronous middleware's every method in a worker thread:
each of our middlewares (security, sessions, CSRF, auth, messages, ...) cost two thread hops
a request, and the synchronous DRF views one more. Under load that chain cost more than the
requests themselves (docs/benchmarks.md). Here Django builds the synchronous chain it builds
under WSGI, and the chain and the view run in one thread hop (the request_started receivers
and closing the response still take one hop each, as in Django's handler). Static files are
answered before the chain by ServeStatic's (async-only) middleware, configured from the
settings as usual; settings.py gives them the headers SecurityMiddleware gives the rest.
Everything else (reading the body, the request object, disconnects, streaming the response)
is Django's ASGI code as is. Only the ASGI application serves static files (`make run` and
deployments use it); `runserver` and the WSGI entry point do not.
"""

from collections.abc import Awaitable, Callable
from typing import cast

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from servestatic.middleware import ServeStaticMiddleware


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)  # settings.MIDDLEWARE: all synchronous
        # As Django does for every middleware: an error becomes a logged 500 response.
        self.static_files = cast(
            Callable[[HttpRequest], Awaitable[HttpResponseBase]],
            convert_exception_to_response(ServeStaticMiddleware(self.get_response_in_thread)),
        )

    async def get_response_in_thread(self, request: HttpRequest) -> HttpResponseBase:
        # thread_sensitive: the request's own thread, as Django gives every sync view.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await self.static_files(request)
