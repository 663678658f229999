"""The Celery application; queue names live in `hwr_site.queues`."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwr_site.settings")

app = Celery("hwr_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from hwr_site import worker_metrics  # noqa: E402, F401 - connects its signal handlers


@signals.worker_process_init.connect  # a prefork pool's child, once it is set up
@signals.worker_ready.connect  # the main process (which runs the tasks of a solo pool)
def _freeze_startup_heap(**_: object) -> None:
    from hwr_site.startup import freeze_startup_heap

    freeze_startup_heap()
