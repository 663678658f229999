"""One error shape for the whole API: {"error": {"code": str, "message": str}}."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from hwr_site.errors import DomainError, as_domain_error

__all__ = ["DomainError", "exception_handler"]


def _error(code: str, message: str, status: int, **extra: Any) -> Response:
    return Response({"error": {"code": code, "message": message, **extra}}, status=status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    error = as_domain_error(exc)  # ours, or a registered library error (the engine's)
    if error is not None:
        answer = _error(error.code, error.message, error.status)
        if error.retry_after_s is not None:
            answer["Retry-After"] = str(error.retry_after_s)
        return answer
    # Django's own (get_object_or_404, PermissionDenied) in the API's error shape too.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    detail = response.data
    if isinstance(exc, exceptions.Throttled):
        limited = _error("rate_limited", str(detail["detail"]), 429)
        if "Retry-After" in response:
            limited["Retry-After"] = response["Retry-After"]
        return limited
    if isinstance(detail, dict) and set(detail) == {"detail"}:
        codes = exc.get_codes()
        code = codes.get("detail", "invalid") if isinstance(codes, dict) else str(codes)
        return _error(str(code), str(detail["detail"]), response.status_code)
    return _error("invalid", "Some fields are not valid.", response.status_code, fields=detail)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 handler: JSON under /api/, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "not_found", "message": "No such resource."}}, status=404
        )
    return defaults.page_not_found(request, exception)
