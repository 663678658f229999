"""ASGI entry point: HTTP and websockets from one server process."""

import os
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwr_site.settings")
django.setup(set_prefix=False)

from hwr_site.startup import (  # noqa: E402
    check_debug,
    freeze_startup_heap,
    import_views,
    tune_switch_interval,
)

check_debug()
tune_switch_interval()
import_views()

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from hwr_site.static import with_static_files  # noqa: E402

# HTTP: Django's synchronous handler (the middleware chain and the view in one thread, as
# under WSGI) on a bounded pool of HTTP_THREADS threads, static files on the event loop
# first. Django's own ASGI handler hops threads per middleware: docs/decisions/009.
django_http_app = with_static_files(
    WSGIMiddleware(get_wsgi_application(), workers=settings.HTTP_THREADS)  # type: ignore[arg-type]
)

from hwr_site.bulkhead import PasswordBulkhead  # noqa: E402
from hwr_site.limits import RequestSizeLimit  # noqa: E402
from hwr_site.probes import HealthzOnLoop  # noqa: E402
from hwr_site.routing import websocket_urlpatterns  # noqa: E402

http_app: Any = PasswordBulkhead(
    RequestSizeLimit(django_http_app, settings.MAX_REQUEST_BYTES),
    paths=settings.PASSWORD_PATHS,
    slots=settings.PASSWORD_SLOTS,
    wait_s=settings.PASSWORD_WAIT_S,
    refusal_delay_s=settings.PASSWORD_REFUSAL_DELAY_S,
)
if settings.HEALTHZ_ON_LOOP:
    http_app = HealthzOnLoop(http_app)

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
freeze_startup_heap()  # last: everything above is built once per process
