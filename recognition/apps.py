from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _register_shipped_model(sender: AppConfig, **kwargs: Any) -> None:
    from recognition.services import model_register_shipped

    model_register_shipped()


def _check_model() -> None:
    from recognition.selectors import active_recognizer

    active_recognizer()


class RecognitionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recognition"

    def ready(self) -> None:
        # A fresh install serves the model shipped in the repository as its first version.
        post_migrate.connect(_register_shipped_model, sender=self)
        # The engine is a plain library: its errors become domain errors here, so that every
        # entry point (API, sockets) answers them in its own form.
        from hwr_site import errors, ops
        from recognition.engine.errors import ImageBusyError, ModelError, RecognitionError

        errors.register(RecognitionError, status=400)
        # The server's load, not the input: a decode waits its turn for a while first.
        errors.register(ImageBusyError, status=503, retry_after_s=2)
        # The server's model, not the caller's input.
        errors.register(
            ModelError, status=503, message="The recogniser is not available right now."
        )
        # /readyz names the model when it cannot load.
        ops.register_check("model", _check_model)
