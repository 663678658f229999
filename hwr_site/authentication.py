"""API token authentication that checks a token against the database once per few seconds.

DRF's `TokenAuthentication` looks the token and its user up on every request; on the
recognition endpoint that query cost more than recognising the drawing. A valid token is
remembered per process for `API_TOKEN_CACHE_SECONDS` (0 turns this off). Deleting a token
(also from the admin, through DRF's `TokenProxy`) or saving its user (deactivating, a new
password) forgets it at once in the process that made the change, and again when that
change commits; other processes see it within those seconds. Invalid tokens are never cached.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from cachetools import TTLCache
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

MAX_CACHED_TOKENS = 10_000

_lock = threading.Lock()
_cache: TTLCache[str, tuple[Any, Token]] | None = None
_cache_ttl: float | None = None
# Bumped by every forget: a lookup that started before a revocation is not cached after it.
_generation = 0


def _clock() -> float:
    return time.monotonic()


def _tokens() -> TTLCache[str, tuple[Any, Token]]:
    global _cache, _cache_ttl
    ttl = float(settings.API_TOKEN_CACHE_SECONDS)
    if _cache is None or _cache_ttl != ttl:
        _cache = TTLCache(maxsize=MAX_CACHED_TOKENS, ttl=ttl, timer=lambda: _clock())
        _cache_ttl = ttl
    return _cache


def forget_tokens(user_id: Any = None) -> None:
    """Drop the remembered tokens of one user, or of everyone."""
    global _generation
    with _lock:
        _generation += 1
        if _cache is None:
            return
        if user_id is None:
            _cache.clear()
            return
        for key, (user, _token) in list(_cache.items()):
            if user.pk == user_id:
                _cache.pop(key, None)


def _forget_now_and_on_commit(user_id: Any) -> None:
    forget_tokens(user_id)
    # A request between the signal and the commit can still read the old row and cache it.
    transaction.on_commit(lambda: forget_tokens(user_id))


def _token_deleted(sender: Any, instance: Any, **_: Any) -> None:
    if isinstance(instance, Token):  # Token, and the admin's TokenProxy
        _forget_now_and_on_commit(instance.user_id)


def _user_saved(sender: Any, instance: Any, update_fields: Any = None, **_: Any) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # every session login saves last_login; it changes nothing about tokens
    _forget_now_and_on_commit(instance.pk)


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        if settings.API_TOKEN_CACHE_SECONDS <= 0:
            return super().authenticate_credentials(key)
        with _lock:
            hit = _tokens().get(key)
            generation = _generation
        if hit is None:
            hit = super().authenticate_credentials(key)  # raises AuthenticationFailed
            with _lock:
                if generation == _generation:
                    _tokens()[key] = hit
        # Copies per request: views may set attributes on request.user or request.auth.
        user, token = copy.copy(hit[0]), copy.copy(hit[1])
        token.user = user
        return user, token


post_delete.connect(_token_deleted, dispatch_uid="forget-api-token-on-delete")
post_save.connect(
    _user_saved, sender=get_user_model(), dispatch_uid="forget-api-tokens-on-user-save"
)
