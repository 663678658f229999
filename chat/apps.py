from django.apps import AppConfig


class ChatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat"

    def ready(self) -> None:
        # signals connects the receivers; tasks registers what chat.scheduling runs by name,
        # in web processes too (a worker finds them by autodiscovery; embedded mode runs
        # them in-process).
        from chat import metrics, signals, tasks  # noqa: F401

        metrics.register_backlog()
