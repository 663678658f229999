from collections.abc import Collection, Iterator
from typing import Any

from django.apps import AppConfig


def _verified_samples(
    *, exclude_verifiers: Collection[int] = ()
) -> Iterator[tuple[str, list[Any], str, int | None]]:
    from classroom.selectors import verified_training_attempts

    rows = verified_training_attempts(exclude_verifiers=exclude_verifiers)
    for label, strokes, student_id, verifier in rows:
        yield label, strokes, f"classroom-{student_id}", verifier


def _verifiers() -> Iterator[tuple[int | None, str, int, int]]:
    from classroom.selectors import training_verifiers

    for v in training_verifiers():
        yield v.user_id, v.name, v.verdicts, v.relabels


class ClassroomConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "classroom"

    def ready(self) -> None:
        from classroom import metrics, sessions  # noqa: F401 - sessions connects the login signal
        from recognition.training import register_training_source

        metrics.register()
        # Retraining may include teacher-verified attempts (issue 6); recognition asks
        # for them through this hook rather than importing the classroom app.
        register_training_source("classroom", _verified_samples, _verifiers)
