"""Operations endpoints: liveness, readiness (naming what is down) and metrics."""

import asyncio
import hmac
import logging
import uuid
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView

from hwr_site.celery import app as celery_app

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    # A publish reaches Redis or fails. A send-and-receive round trip would leave a Redis
    # subscription behind on every probe: the pub/sub layer only unsubscribes a channel
    # when a receive on it is cancelled.
    async def publish() -> None:
        probe = f"readyz.{uuid.uuid4().hex}"
        await asyncio.wait_for(layer.send(probe, {"type": "readyz.ping"}), timeout=2)

    async_to_sync(publish)()


def _check_broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # embedded mode: tasks run in-process, there is no broker to reach
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "channel_layer": _check_channel_layer,
    "broker": _check_broker,
}


def register_check(name: str, check: Callable[[], None]) -> None:
    """Add a readiness check (an app's own, such as the recognition app's model)."""
    CHECKS[name] = check


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    failing: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            # Names only: details (hosts, addresses) go to the log, not to anonymous callers.
            logger.warning("readiness check %s failed: %s", name, exc)
            failing[name] = type(exc).__name__
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ok", "checks": sorted(CHECKS)})


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, only for `Authorization: Bearer <METRICS_TOKEN>`. Without a
    token set it is a 404 unless DEBUG is on (a development server)."""
    token = settings.METRICS_TOKEN
    if not token and not settings.DEBUG:
        # Off rather than open: a site that runs no Prometheus need not invent a secret.
        return JsonResponse({"error": {"code": "not_found", "message": "Not found."}}, status=404)
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            response = JsonResponse(
                {"error": {"code": "metrics_token", "message": "A metrics token is required."}},
                status=401,
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return ExportToDjangoView(request)


OPS_VIEWS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
    "/metrics": metrics,
}


class OpsEndpointsMiddleware:
    """Answers the operations endpoints ahead of the host check.

    Kubernetes probes and Prometheus call a pod by its address, which no ALLOWED_HOSTS entry
    names; these views build no URL from the Host header, so skipping the check is safe.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = OPS_VIEWS.get(request.path_info)
        return view(request) if view is not None else self.get_response(request)
