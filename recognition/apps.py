from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _register_shipped_model(sender: AppConfig, **kwargs: Any) -> None:
    from recognition.services import model_register_shipped

    model_register_shipped()


class RecognitionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recognition"

    def ready(self) -> None:
        # A fresh install serves the model shipped in the repository as its first version.
        post_migrate.connect(_register_shipped_model, sender=self)
