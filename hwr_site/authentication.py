"""API token authentication that checks a token against the database once per few seconds.

DRF's `TokenAuthentication` looks the token and its user up on every request; on the
recognition endpoint that query cost more than recognising the drawing. A valid token is
remembered per process for `API_TOKEN_CACHE_SECONDS` (0 turns this off). Deleting a token or
saving its user (deactivating, changing the password) forgets it at once in the process that
made the change, and everywhere else within those seconds. Invalid tokens are never cached.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from cachetools import TTLCache
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

MAX_CACHED_TOKENS = 10_000

_lock = threading.Lock()
_cache: TTLCache[str, tuple[Any, Token]] | None = None
_cache_ttl: float | None = None


def _clock() -> float:
    return time.monotonic()


def _tokens() -> TTLCache[str, tuple[Any, Token]]:
    global _cache, _cache_ttl
    ttl = float(settings.API_TOKEN_CACHE_SECONDS)
    if _cache is None or _cache_ttl != ttl:
        _cache = TTLCache(maxsize=MAX_CACHED_TOKENS, ttl=ttl, timer=lambda: _clock())
        _cache_ttl = ttl
    return _cache


def forget_tokens(**_: Any) -> None:
    """Drop every remembered token (signal receiver; also for tests)."""
    with _lock:
        if _cache is not None:
            _cache.clear()


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        if settings.API_TOKEN_CACHE_SECONDS <= 0:
            return super().authenticate_credentials(key)
        with _lock:
            hit = _tokens().get(key)
        if hit is None:
            hit = super().authenticate_credentials(key)  # raises AuthenticationFailed
            with _lock:
                _tokens()[key] = hit
        user, token = hit
        # A copy per request: views may set attributes on request.user.
        return copy.copy(user), token


post_delete.connect(forget_tokens, sender=Token, dispatch_uid="forget-api-tokens-on-delete")
post_save.connect(
    forget_tokens, sender=get_user_model(), dispatch_uid="forget-api-tokens-on-user-save"
)
