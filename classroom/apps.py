from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "classroom"

    def ready(self) -> None:
        from classroom import metrics, sessions  # noqa: F401 - sessions connects the login signal

        metrics.register()
