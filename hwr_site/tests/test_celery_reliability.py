"""Celery's reliability settings, and what they buy: a task whose pool process dies
mid-task goes back to the queue and is run again, instead of being lost."""

import os
import sys

import pytest
import redis

from bench.harness import process, wait_until
from conftest import ARTIFACTS_DIR, _service_env
from hwr_site.celery import app

QUEUE = "tests-worker-lost"  # only the worker started here consumes it


def test_tasks_are_acknowledged_after_they_ran_one_at_a_time():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


@pytest.mark.worker
def test_a_task_whose_pool_process_dies_is_run_again(tmp_path, redis_url, django_db_setup):
    redis.Redis.from_url(redis_url).delete(QUEUE)
    log_path = ARTIFACTS_DIR / "celery-worker-lost.log"
    worker_cmd = [
        sys.executable, "-m", "celery", "-A", "hwr_site", "worker", "-Q", QUEUE,
        "--pool", "prefork", "--concurrency", "1", "--include", "hwr_site.tests.worker_tasks",
        "--hostname", f"test-lost-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
        "--loglevel", "INFO",
    ]  # fmt: skip
    with process(worker_cmd, _service_env(redis_url), log_path, stop_timeout=20) as worker:
        name = f"test-lost-{os.getpid()}@"
        wait_until(
            lambda: any(h.startswith(name) for r in app.control.ping(timeout=0.5) or [] for h in r),
            worker, 60, "Celery worker",
        )  # fmt: skip
        app.send_task("tests.die_once", args=[str(tmp_path)], queue=QUEUE)
        done = tmp_path / "done"
        wait_until(done.exists, worker, 60, f"the task run again (see {log_path})")
    runs = sorted(p.name for p in tmp_path.glob("started-*"))
    assert len(runs) == 2  # killed once, then run to the end by a new pool process
    assert f"started-{done.read_text()}" in runs
    assert "WorkerLostError" in log_path.read_text()
