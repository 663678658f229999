"""One error shape for the whole API: {"error": {"code": str, "message": str}}."""

from typing import Any

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
        return _error(error.code, error.message, error.status)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    detail = response.data
    if isinstance(detail, dict) and set(detail) == {"detail"}:
        codes = exc.get_codes()
        code = codes.get("detail", "invalid") if isinstance(codes, dict) else str(codes)
        return _error(str(code), str(detail["detail"]), response.status_code)
    return _error("invalid", "Some fields are not valid.", response.status_code, fields=detail)
