"""The one base of domain errors: a stable `code`, a `message` for people, an HTTP status.

Every app raises subclasses of `DomainError`; each entry point turns one into its own form
(the API's `{"error": {...}}`, a websocket error frame, an admin message). The recognition
engine is a plain library with its own `RecognitionError` (same `code`/`message`); the
recognition app registers it here (`register`), so this bottom layer names no app above it.
"""

from __future__ import annotations


class DomainError(Exception):
    """Something the caller can fix or must be told; `code` is stable."""

    status = 400
    retry_after_s: int | None = None  # for the load's errors: when trying again may work

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        retry_after_s: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        if retry_after_s is not None:
            self.retry_after_s = retry_after_s


# Exception types of libraries below the apps (the engine), with the HTTP status each maps to
# and, when set, the message shown instead of the exception's own.
_foreign: dict[type[Exception], tuple[int, str | None, int | None]] = {}


def register(
    kind: type[Exception],
    *,
    status: int = 400,
    message: str | None = None,
    retry_after_s: int | None = None,
) -> None:
    """Treat `kind` (which has `code` and `message` attributes) as a domain error;
    `retry_after_s` tells callers when to try again (the HTTP `Retry-After`)."""
    _foreign[kind] = (status, message, retry_after_s)


def as_domain_error(exc: BaseException) -> DomainError | None:
    """`exc` as a DomainError, or None when it is not one (a bug, an outage)."""
    if isinstance(exc, DomainError):
        return exc
    for kind in type(exc).__mro__:
        if kind in _foreign:
            status, message, retry_after_s = _foreign[kind]
            code = str(getattr(exc, "code", "invalid"))
            text = message or str(getattr(exc, "message", exc))
            error = DomainError(code, text, status=status, retry_after_s=retry_after_s)
            error.__cause__ = exc
            return error
    return None
