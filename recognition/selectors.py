"""Which model serves, and where its files are.

Every process (web or worker) asks `active_model_dir()` before it recognises; the answer
is kept in memory for `SWITCH_CHECK_S` and then re-read from the shared cache (Redis), so an
activation reaches every worker within about a second, with no restart.
"""

import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError

from recognition import metrics
from recognition.engine.runtime import Recognizer, load_recognizer
from recognition.models import ModelVersion

ACTIVE_CACHE_KEY = "recognition:active-model-dir"
ACTIVE_CACHE_TTL_S = 30
SWITCH_CHECK_S = 1.0

_lock = threading.Lock()
_memo: dict[str, object] = {"dir": None, "checked": 0.0}


def version_dir(version: ModelVersion) -> Path:
    """The folder of a version's files (relative paths live under MEDIA_ROOT)."""
    path = Path(version.artifact_dir)
    return path if path.is_absolute() else Path(settings.MEDIA_ROOT) / path


def _active_dir_from_database() -> Path:
    try:
        version = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
    except DatabaseError:
        version = None  # not migrated yet: the shipped model serves
    if version is None:
        return Path(settings.SHIPPED_MODEL_DIR)
    return version_dir(version)


def active_model_dir() -> Path:
    """The folder of the model that serves predictions now."""
    now = time.monotonic()
    with _lock:
        if _memo["dir"] is not None and now - float(_memo["checked"]) < SWITCH_CHECK_S:  # type: ignore[arg-type]
            return Path(str(_memo["dir"]))
    cached = cache.get(ACTIVE_CACHE_KEY)
    if cached is None:
        cached = str(_active_dir_from_database())
        # add, not set: an activation published meanwhile must not be overwritten.
        if not cache.add(ACTIVE_CACHE_KEY, cached, ACTIVE_CACHE_TTL_S):
            cached = cache.get(ACTIVE_CACHE_KEY) or cached
    with _lock:
        _memo.update(dir=cached, checked=now)
    return Path(cached)


def forget_active_model() -> None:
    """Make every process re-read the active version (called after an activation)."""
    cache.delete(ACTIVE_CACHE_KEY)
    with _lock:
        _memo.update(dir=None, checked=0.0)


def model_dir_for(version_or_path: str | None) -> Path:
    """Resolve a model given by version name or folder path; None means the active one."""
    if version_or_path is None:
        return active_model_dir()
    try:
        version = ModelVersion.objects.filter(name=version_or_path).first()
    except DatabaseError:
        version = None  # not migrated yet: only folders can be named
    if version is not None:
        return version_dir(version)
    candidate = Path(version_or_path)
    if candidate.is_dir():
        return candidate.resolve()
    raise ValueError(f"No model version or folder named {version_or_path!r}")


def active_recognizer() -> Recognizer:
    """The active model, loaded once per process and cached by version."""
    try:
        recognizer = load_recognizer(
            active_model_dir(), settings.INFERENCE_RUNTIME, settings.INFERENCE_PROVIDER
        )
    except Exception:
        metrics.model_load_failed()
        raise
    metrics.model_loaded(recognizer.version)
    return recognizer


def active_model_version() -> str:
    """The version name of the active model."""
    return active_recognizer().version


# The holdout score that decides whether a version is worse than the active one: the list
# marks it, and activating it needs a confirmation.
HEADLINE_METRIC = "top1"


def score_below_active(
    version: ModelVersion, active: ModelVersion | None
) -> tuple[float, float] | None:
    """(this, active) headline holdout scores when `version` scores below `active`; None
    when it does not, is the active one, or either has no score yet."""
    if active is None or active.pk == version.pk:
        return None
    mine = (version.metrics or {}).get(HEADLINE_METRIC)
    theirs = (active.metrics or {}).get(HEADLINE_METRIC)
    if not isinstance(mine, int | float) or not isinstance(theirs, int | float):
        return None
    return (float(mine), float(theirs)) if mine < theirs else None
