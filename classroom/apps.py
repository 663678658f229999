from collections.abc import Iterator
from typing import Any

from django.apps import AppConfig


def _verified_samples() -> Iterator[tuple[str, list[Any], str]]:
    from classroom.selectors import verified_training_attempts

    for label, strokes, student_id in verified_training_attempts():
        yield label, strokes, f"classroom-{student_id}"


class ClassroomConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "classroom"

    def ready(self) -> None:
        from classroom import metrics
        from recognition.training import register_training_source

        metrics.register()
        # Retraining may include teacher-verified attempts (issue 6); recognition asks
        # for them through this hook rather than importing the classroom app.
        register_training_source("classroom", _verified_samples)
