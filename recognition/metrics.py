"""Prometheus metrics of inference and training, counted in the process that does the work
(a web process for the API, an inference worker for live and submitted drawings, the
training worker for runs; workers serve theirs as hwr_site/worker_metrics.py says)."""

import contextlib
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

INFERENCE_TASKS = Counter(
    "inkwell_inference_tasks_total",
    "Inference tasks run (outcome: ok, error, expired)",
    ["task", "model_version", "outcome"],
)
INFERENCE_SECONDS = Histogram(
    "inkwell_inference_task_seconds",
    "Time inside an inference task, by model version",
    ["task", "model_version"],
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
INFERENCE_BATCH_SIZE = Histogram(
    "inkwell_inference_batch_size",
    "Live predictions recognised in one batch (INFERENCE_BATCH_SIZE > 1)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
MODEL_LOADED = Gauge(
    "inkwell_model_loaded",
    "1 while the process has its active model loaded, 0 after a failed load",
    ["version"],
    multiprocess_mode="liveall",
)
TRAINING_RUNS = Counter(
    "inkwell_training_runs_total",
    "Training runs finished (outcome: succeeded, failed)",
    ["outcome"],
)

_loaded: dict[str, str | bool] = {"version": "", "ok": False}  # what this process reports


def model_loaded(version: str) -> None:
    """The active model `version` is loaded (called on every use: cheap when unchanged)."""
    if _loaded["ok"] and _loaded["version"] == version:
        return
    if _loaded["version"] != version:
        with contextlib.suppress(KeyError):  # never reported
            MODEL_LOADED.remove(_loaded["version"])
    _loaded.update(version=version, ok=True)
    MODEL_LOADED.labels(version=version).set(1)


def model_load_failed() -> None:
    """Loading the active model failed: the version this process had (if any) reads 0."""
    _loaded["ok"] = False
    MODEL_LOADED.labels(version=str(_loaded["version"])).set(0)


class InferenceTask:
    """Times one inference task; `model_version` is set by the task once known."""

    def __init__(self, task: str) -> None:
        self.task = task
        self.model_version = ""
        self.outcome = "ok"

    @contextmanager
    def run(self) -> Iterator["InferenceTask"]:
        started = time.perf_counter()
        try:
            yield self
        except BaseException:
            self.outcome = "error"
            raise
        finally:
            if self.outcome != "expired":
                INFERENCE_SECONDS.labels(task=self.task, model_version=self.model_version).observe(
                    time.perf_counter() - started
                )
            INFERENCE_TASKS.labels(
                task=self.task, model_version=self.model_version, outcome=self.outcome
            ).inc()
