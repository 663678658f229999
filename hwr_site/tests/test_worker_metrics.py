"""A Celery worker serves its own metrics on WORKER_METRICS_PORT, with a solo pool (the
inference workers) and with a prefork pool in prometheus_client's multiprocess mode."""

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from bench.harness import free_port
from conftest import ARTIFACTS_DIR, REPO_ROOT, _service_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
        return response.read().decode()


@pytest.mark.parametrize("pool", ["solo", "prefork"])
def test_a_worker_serves_the_metrics_of_the_tasks_it_ran(pool, redis_url, tmp_path):
    from hwr_site.celery import app

    port, queue = free_port(), f"metrics-{pool}-{os.getpid()}"
    extra = {"WORKER_METRICS_PORT": str(port), "WORKER_METRICS_ADDR": "127.0.0.1"}
    if pool == "prefork":
        extra["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path)
    log_path = ARTIFACTS_DIR / f"celery-worker-metrics-{pool}.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hwr_site", "worker", "-Q", queue,
             "--pool", pool, "--concurrency", "2", "--hostname", f"{queue}@%h",
             "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            cwd=REPO_ROOT, env=_service_env(redis_url, **extra), stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            # A live prediction queued a minute ago: the worker skips it, counting it expired.
            app.send_task("recognition.recognize_ink", queue=queue, kwargs={
                "reply_channel": "nobody", "seq": 1, "strokes": [[[0, 0], [1, 1]]],
                "charset": None, "queued_at": time.time() - 60})  # fmt: skip
            wanted = (
                'inkwell_inference_tasks_total{model_version="",outcome="expired",'
                'task="recognize_ink"} 1.0'
            )
            deadline, body = time.monotonic() + 60, ""
            while wanted not in body:
                assert worker.poll() is None and time.monotonic() < deadline, (
                    f"not in the worker's metrics; see {log_path}\n{body}"
                )
                time.sleep(0.5)
                try:
                    body = scrape(f"http://127.0.0.1:{port}/metrics")
                except OSError:
                    body = ""
        finally:
            worker.terminate()
            worker.wait(timeout=20)
