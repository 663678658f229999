"""Each Celery worker serves its own Prometheus metrics on `WORKER_METRICS_PORT`.

Started from the `worker_init` signal in the worker's main process, so every worker (pod,
container or systemd instance) is one scrape target. A solo pool (the inference workers:
one process, docs/decisions/008) serves the process's own registry. A prefork pool (default
and training workers) runs tasks in child processes: set `PROMETHEUS_MULTIPROC_DIR` to an
empty folder private to that worker, and the children's metrics are summed from it
(prometheus_client's multiprocess mode). Celery's own task events stay with Flower.
"""

import logging
import os
from pathlib import Path
from typing import Any

from celery.signals import worker_init, worker_process_shutdown
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

logger = logging.getLogger(__name__)


def _registry() -> CollectorRegistry:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return REGISTRY
    # Files of an earlier run of this worker would be summed in as live processes.
    Path(folder).mkdir(parents=True, exist_ok=True)
    for stale in Path(folder).glob("*.db"):
        stale.unlink()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


@worker_init.connect
def serve_worker_metrics(**_: Any) -> None:
    from django.conf import settings

    port = settings.WORKER_METRICS_PORT
    if not port:
        return
    start_http_server(port, addr=settings.WORKER_METRICS_ADDR, registry=_registry())
    logger.info("worker metrics on %s:%s", settings.WORKER_METRICS_ADDR, port)


@worker_process_shutdown.connect
def _forget_child(pid: int | None = None, **_: Any) -> None:
    if pid and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)
