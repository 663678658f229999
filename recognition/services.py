"""Recognition as the platform uses it: one entry for the web, the API, sockets and tasks."""

import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from prometheus_client import Counter, Histogram

from audit.services import audit_record
from hwr_site.api_errors import DomainError
from recognition import metrics
from recognition.engine.batching import MicroBatcher
from recognition.engine.export import read_model_card
from recognition.engine.formation import Assessment, assess
from recognition.engine.guides import Guides, apply_guides, parse_guides
from recognition.engine.ink import Ink, parse_ink
from recognition.engine.labels import parse_charset
from recognition.engine.runtime import Recognition
from recognition.models import ModelVersion
from recognition.selectors import HEADLINE_METRIC, active_recognizer, score_below_active

RECOGNITIONS = Counter(
    "inkwell_recognitions_total", "Characters recognised", ["source", "rejected"]
)
RECOGNITION_SECONDS = Histogram(
    "inkwell_recognition_seconds",
    "Time the recogniser took for one character",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1),
)


def _observe(recognition: Recognition, source: str) -> Recognition:
    RECOGNITIONS.labels(source=source, rejected=str(recognition.rejected).lower()).inc()
    RECOGNITION_SECONDS.observe(recognition.latency_ms / 1000)
    return recognition


def ink_recognize(
    *,
    strokes: Any,
    charset: str | None = None,
    source: str = "api",
    guides: Guides | dict[str, Any] | None = None,
) -> Recognition:
    """Recognise a drawing (CONTRACTS section 1) with the active model.

    With `guides` (CONTRACTS section 8, in the ink's coordinates) case pairs are decided by
    the drawing's size and position against the lines. Raises the engine's InkError /
    CharsetError / GuidesError for bad input.
    """
    allowed = parse_charset(charset)
    lines = parse_guides(guides)
    ink = parse_ink(strokes)
    recognition = _observe(active_recognizer().recognize(ink, charset=allowed), source)
    return apply_guides(recognition, ink, lines, allowed)


_batcher: MicroBatcher[tuple[Ink, str | None], Recognition] | None = None
_batcher_lock = threading.Lock()


def _recognize_batch(drawings: list[tuple[Ink, str | None]]) -> list[Recognition]:
    metrics.INFERENCE_BATCH_SIZE.observe(len(drawings))
    return active_recognizer().recognize_many(list(drawings))  # the model active now


def _live_batcher() -> MicroBatcher[tuple[Ink, str | None], Recognition]:
    global _batcher
    with _batcher_lock:
        if _batcher is None:
            _batcher = MicroBatcher(
                _recognize_batch,
                max_size=settings.INFERENCE_BATCH_SIZE,
                max_wait_s=settings.INFERENCE_BATCH_WAIT_MS / 1000,
            )
        return _batcher


def ink_recognize_batched(
    *,
    strokes: Any,
    charset: str | None = None,
    source: str = "live",
    guides: Guides | dict[str, Any] | None = None,
) -> Recognition:
    """`ink_recognize`, with the model run once for every drawing this process's threads
    are recognising at the same time (up to `INFERENCE_BATCH_SIZE`, the first waiting at
    most `INFERENCE_BATCH_WAIT_MS`): the same answer. Bad input raises here, before it
    could hold up anyone else's batch.
    """
    allowed = parse_charset(charset)
    lines = parse_guides(guides)
    ink = parse_ink(strokes)
    recognition = _observe(_live_batcher().submit((ink, allowed)), source)
    return apply_guides(recognition, ink, lines, allowed)


def ink_assess(
    *,
    strokes: Any,
    target: str,
    charset: str | None = None,
    guides: Guides | dict[str, Any] | None = None,
    source: str = "api",
) -> Assessment:
    """Recognise a drawing of `target` and assess it: the formation checks and the score
    (CONTRACTS section 8). `assessment.recognition` is the answer after the guides, as
    `ink_recognize` gives it. Raises TargetError (`bad_target`), InkError, CharsetError,
    GuidesError.
    """
    allowed = parse_charset(charset)
    lines = parse_guides(guides)
    ink = parse_ink(strokes)
    recognizer = active_recognizer()
    plain = _observe(recognizer.recognize(ink, charset=allowed), source)
    return assess(
        ink, target, recognizer=recognizer, guides=lines, recognition=plain, charset=allowed
    )


def image_recognize(*, data: bytes, charset: str | None = None) -> Recognition:
    """Recognise a photo or scan of one character. Raises ImageError / CharsetError."""
    allowed = parse_charset(charset)
    return _observe(active_recognizer().recognize_image(data, charset=allowed), "image")


# The model registry


class RegistryError(DomainError):
    """A registry action that cannot be done as asked."""


def model_register_shipped() -> ModelVersion | None:
    """Register the model shipped in the repository as the first, active version.

    Idempotent: does nothing once any version exists.
    """
    if ModelVersion.objects.exists():
        return None
    shipped = Path(settings.SHIPPED_MODEL_DIR)
    card = read_model_card(shipped)
    return ModelVersion.objects.create(
        name=str(card.get("version", "1")),
        status=ModelVersion.Status.ACTIVE,
        artifact_dir=str(shipped),
        model_card=card,
        metrics=card.get("metrics", {}).get("holdout", {}),
        data_sources=card.get("data", {}),
        params=card.get("training", {}),
        activated_at=timezone.now(),
        finished_at=timezone.now(),
    )


def _publish_active(version: ModelVersion) -> None:
    from recognition.selectors import ACTIVE_CACHE_KEY, ACTIVE_CACHE_TTL_S, version_dir

    cache.set(ACTIVE_CACHE_KEY, str(version_dir(version)), ACTIVE_CACHE_TTL_S)


def model_activate(
    *, version: ModelVersion, confirm_worse: bool = False, user: Any = None
) -> ModelVersion:
    """Make `version` the one every process serves (within about a second, no restart).

    A version that scores worse than the active one on the holdout needs `confirm_worse`.
    """
    try:
        with transaction.atomic():
            active = _activate_locked(version=version, confirm_worse=confirm_worse)
            audit_record(actor=user, action="model.activate", target=active,
                         confirm_worse=confirm_worse)  # fmt: skip
            return active
    except IntegrityError:  # another activation committed first
        raise RegistryError(
            "busy",
            "Another version was activated at the same moment; look again and retry.",
        ) from None


def _activate_locked(*, version: ModelVersion, confirm_worse: bool) -> ModelVersion:
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == ModelVersion.Status.ACTIVE:
        transaction.on_commit(lambda: _publish_active(version))
        return version
    if version.status not in {ModelVersion.Status.READY, ModelVersion.Status.RETIRED}:
        raise RegistryError(
            "not_activatable",
            f"Only a ready or retired version can be activated; this one is {version.status}.",
        )
    current = (
        ModelVersion.objects.select_for_update().filter(status=ModelVersion.Status.ACTIVE).first()
    )
    below = score_below_active(version, current)
    if below is not None and not confirm_worse:
        assert current is not None
        raise RegistryError(
            "worse_than_active",
            f"Version {version.name} scores worse than the active version {current.name} on "
            f"the holdout ({HEADLINE_METRIC} {below[0]:.3f} < {below[1]:.3f}); confirm to "
            "activate it anyway.",
        )
    if current is not None:
        current.status = ModelVersion.Status.RETIRED
        current.save(update_fields=["status"])
    version.status = ModelVersion.Status.ACTIVE
    version.activated_at = timezone.now()
    version.save(update_fields=["status", "activated_at"])
    transaction.on_commit(lambda: _publish_active(version))
    return version


def model_rollback(*, user: Any = None) -> ModelVersion:
    """Re-activate the version that was active before the current one."""
    previous = (
        ModelVersion.objects.filter(status=ModelVersion.Status.RETIRED, activated_at__isnull=False)
        .order_by("-activated_at")
        .first()
    )
    if previous is None:
        raise RegistryError(
            "nothing_to_roll_back",
            "There is no earlier version to roll back to.",
        )
    audit_record(actor=user, action="model.rollback", target=previous)
    return model_activate(version=previous, confirm_worse=True, user=user)
