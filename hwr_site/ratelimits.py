"""Rate limits: one table of what is limited, and one answer when a limit is reached.

- Logging in: django-axes locks an account, and separately an address, out after
  `AXES_FAILURE_LIMIT` wrong passwords for `AXES_COOLOFF_TIME` (`lockout_response`).
- Forms that create or unlock accounts (sign-up, password reset, join codes):
  `FormRateLimitMiddleware`, with django-ratelimit's counters in the cache, per client
  address (and per logged-in user where that is the better key).
- A class's sign-in page (picture and word logins): per class, per address and per card,
  counted by the page itself (`limit_hit`, `limit_used_up`), as its keys live in its URL.
- `POST /api/v1/recognize`: per token or user (`RecognizeThrottle`).
- Practice submits: per student, across all their sockets (`classroom.consumers`).

Each answers 429 with `Retry-After`: JSON under /api/, a page for people, an error frame
on a socket.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle


@dataclass(frozen=True)
class FormLimit:
    """POSTs to paths starting with `prefix`: at most `rate` (django-ratelimit's form, such
    as "10/h") per `key` ("ip", or "user_or_ip")."""

    name: str
    prefix: str
    rate: str
    key: str = "ip"


def too_many(request: HttpRequest, retry_after_s: float, what: str) -> HttpResponse:
    """The 429 every limit answers: JSON for the API, a friendly page for people."""
    seconds = max(1, math.ceil(retry_after_s))
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "error": {
                    "code": "rate_limited",
                    "message": f"Too many {what}; try again in {seconds} s.",
                    "retry_after": seconds,
                }
            },
            status=429,
        )
    else:
        minutes = max(1, round(seconds / 60))
        body = render_to_string(
            "rate_limited.html", {"what": what, "minutes": minutes}, request=request
        )
        response = HttpResponse(body, status=429)
    response["Retry-After"] = str(seconds)
    return response


def lockout_response(
    request: HttpRequest, original_response: Any, credentials: Any
) -> HttpResponse:
    """django-axes' answer to a locked-out login (AXES_LOCKOUT_CALLABLE)."""
    return too_many(request, settings.AXES_COOLOFF_TIME.total_seconds(), "sign-in attempts")


class FormRateLimitMiddleware:
    """Counts POSTs to the paths of `settings.FORM_RATE_LIMITS` and refuses the excess."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limits = [FormLimit(*row) for row in settings.FORM_RATE_LIMITS]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and settings.RATE_LIMITS_ENABLED:
            for limit in self.limits:
                if request.path.startswith(limit.prefix):
                    usage = get_usage(request, group=limit.name, key=limit.key,
                                      rate=limit.rate, method="POST", increment=True)  # fmt: skip
                    if usage and usage["should_limit"]:
                        return too_many(request, usage["time_left"], "tries")
                    break
        return self.get_response(request)


def _usage(request: HttpRequest, group: str, key: str, rate: str, increment: bool) -> Any:
    value = (lambda _group, _request: key) if key.startswith("=") else key
    return get_usage(request, group=group, key=value, rate=rate, increment=increment)


def limit_hit(request: HttpRequest, *, group: str, key: str, rate: str) -> float | None:
    """Count this request against `rate` in `group` (django-ratelimit's counters): None while
    within it, else the seconds until it clears. `key` is django-ratelimit's ("ip"), or a
    value of the caller's after "=" ("=class:42")."""
    if not settings.RATE_LIMITS_ENABLED:
        return None
    usage = _usage(request, group, key, rate, increment=True)
    return max(1, usage["time_left"]) if usage and usage["should_limit"] else None


def limit_used_up(request: HttpRequest, *, group: str, key: str, rate: str) -> float | None:
    """Like `limit_hit` without counting: the seconds to wait once `rate`'s hits are all used
    (a count of failures, which the caller adds with `limit_hit` when one happens)."""
    if not settings.RATE_LIMITS_ENABLED:
        return None
    usage = _usage(request, group, key, rate, increment=False)
    return max(1, usage["time_left"]) if usage and usage["count"] >= usage["limit"] else None


def window_hit(key: str, *, limit: int, window_s: int) -> float | None:
    """Count one hit on `key` in the current fixed window of `window_s` seconds; None while
    within `limit`, else the seconds until the window ends. One cache round trip (two on a
    window's first hit)."""
    now = time.time()
    window = int(now // window_s)
    slot = f"rl:{key}:{window}"
    if cache.add(slot, 1, timeout=window_s + 1):
        count = 1
    else:
        try:
            count = cache.incr(slot)
        except ValueError:  # expired between add and incr
            cache.add(slot, 1, timeout=window_s + 1)
            count = 1
    if count <= limit:
        return None
    return (window + 1) * window_s - now


class RecognizeThrottle(BaseThrottle):
    """`POST /api/v1/recognize`: at most `RECOGNIZE_PER_MINUTE` a minute per token (or user)."""

    def allow_request(self, request: Any, view: Any) -> bool:
        limit = settings.RECOGNIZE_PER_MINUTE
        if not limit or not settings.RATE_LIMITS_ENABLED:
            return True
        token = getattr(request, "auth", None)
        who = (
            f"token:{getattr(token, 'pk', token)}"
            if token is not None
            else f"user:{request.user.pk}"
        )
        self.retry_after = window_hit(f"recognize:{who}", limit=limit, window_s=60)
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after
