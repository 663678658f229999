"""ASGI entry point: HTTP and websockets from one server process."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwr_site.settings")
django.setup(set_prefix=False)

from typing import Any  # noqa: E402

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402

django_http_app: Any
if settings.FASTPATH_HTTP:
    from hwr_site.fastpath.http import SyncChainASGIHandler

    django_http_app = SyncChainASGIHandler()
elif settings.HTTP_STOCK == "a2wsgi":
    from a2wsgi import WSGIMiddleware
    from django.core.wsgi import get_wsgi_application

    wsgi: Any = get_wsgi_application()
    django_http_app = WSGIMiddleware(wsgi, workers=settings.HTTP_THREADS)
else:
    django_http_app = ASGIHandler()  # Django's own

from hwr_site.limits import RequestSizeLimit  # noqa: E402
from hwr_site.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": RequestSizeLimit(django_http_app, settings.MAX_REQUEST_BYTES),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
