"""The Celery application; queue names live in `hwr_site.queues`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwr_site.settings")

app = Celery("hwr_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from hwr_site import worker_metrics  # noqa: E402, F401 - connects its signal handlers
