"""ASGI entry point: HTTP and websockets from one server process."""

import os
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwr_site.settings")
django.setup(set_prefix=False)

from hwr_site.startup import check_debug  # noqa: E402

check_debug()

from hwr_site.handlers import SyncChainASGIHandler  # noqa: E402

django_http_app = SyncChainASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from hwr_site.bulkhead import PasswordBulkhead  # noqa: E402
from hwr_site.limits import RequestSizeLimit  # noqa: E402
from hwr_site.probes import HealthzOnLoop  # noqa: E402
from hwr_site.routing import websocket_urlpatterns  # noqa: E402

http_app: Any = PasswordBulkhead(
    RequestSizeLimit(django_http_app, settings.MAX_REQUEST_BYTES),
    paths=settings.PASSWORD_PATHS,
    slots=settings.PASSWORD_SLOTS,
    wait_s=settings.PASSWORD_WAIT_S,
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
