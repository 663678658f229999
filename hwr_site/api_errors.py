"""One error shape for the whole API: {"error": {"code": str, "message": str}}."""

from typing import Any

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from recognition.engine.errors import ModelError, RecognitionError


class DomainError(Exception):
    """An error the caller can fix; `code` is stable, `message` is for people."""

    status = 400

    def __init__(self, message: str, *, code: str = "invalid", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def _error(code: str, message: str, status: int, **extra: Any) -> Response:
    return Response({"error": {"code": code, "message": message, **extra}}, status=status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return _error(exc.code, exc.message, exc.status)
    if isinstance(exc, ModelError):  # the server's model, not the caller's input
        return _error(exc.code, "The recogniser is not available right now.", 503)
    if isinstance(exc, RecognitionError):
        return _error(exc.code, exc.message, 400)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    detail = response.data
    if isinstance(detail, dict) and set(detail) == {"detail"}:
        codes = exc.get_codes()
        code = codes.get("detail", "invalid") if isinstance(codes, dict) else str(codes)
        return _error(str(code), str(detail["detail"]), response.status_code)
    return _error("invalid", "Some fields are not valid.", response.status_code, fields=detail)
