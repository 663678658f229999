"""Inference and training count themselves where they run (here: in this process)."""

import time
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from classroom.tasks import recognize_attempt
from classroom.tests.factories import AttemptFactory
from recognition import services, training
from recognition.models import ModelVersion
from recognition.selectors import active_recognizer, forget_active_model
from recognition.tasks import recognize_ink
from recognition.tests.samples import unipen_test_samples

pytestmark = pytest.mark.django_db


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def version(db) -> Iterator[str]:
    forget_active_model()
    services.model_register_shipped()
    yield active_recognizer().version
    forget_active_model()


def test_the_loaded_model_reads_1_under_its_version(version):
    assert sample("inkwell_model_loaded", version=version) == 1


def test_a_live_prediction_counts_as_an_ok_task_of_its_model_version(version):
    labels = {"task": "recognize_ink", "model_version": version}
    before = sample("inkwell_inference_tasks_total", outcome="ok", **labels)
    timed = sample("inkwell_inference_task_seconds_count", **labels)
    strokes = unipen_test_samples(labels="3", per_label=1)[0]["strokes"]
    recognize_ink.apply(
        kwargs={"reply_channel": "nobody", "seq": 1, "strokes": strokes, "charset": None}
    )
    assert sample("inkwell_inference_tasks_total", outcome="ok", **labels) == before + 1
    assert sample("inkwell_inference_task_seconds_count", **labels) == timed + 1


def test_a_live_prediction_nobody_waits_for_counts_as_expired(version):
    labels = {"task": "recognize_ink", "model_version": "", "outcome": "expired"}
    before = sample("inkwell_inference_tasks_total", **labels)
    recognize_ink.apply(
        kwargs={"reply_channel": "nobody", "seq": 1, "strokes": [[[0, 0], [1, 1]]],
                "charset": None, "queued_at": time.time() - 60}
    )  # fmt: skip
    assert sample("inkwell_inference_tasks_total", **labels) == before + 1


def test_a_submitted_attempt_counts_under_recognize_attempt(version):
    three = unipen_test_samples(labels="3", per_label=1)[0]["strokes"]
    attempt = AttemptFactory.create(
        target="3", exercise__characters="38", ink={"strokes": three}, status="pending"
    )
    labels = {"task": "recognize_attempt", "model_version": version, "outcome": "ok"}
    before = sample("inkwell_inference_tasks_total", **labels)
    recognize_attempt.apply(kwargs={"attempt_id": attempt.pk})
    assert sample("inkwell_inference_tasks_total", **labels) == before + 1


def test_a_training_run_that_fails_counts_as_failed(version):
    # Queued with data that is gone by the time it runs (the start refuses a missing source).
    queued = ModelVersion.objects.create(
        name="2",
        status="queued",
        params={"epochs": 1},
        data_sources={"files": ["/nowhere/ink.jsonl.gz"]},
    )
    before = sample("inkwell_training_runs_total", outcome="failed")
    assert training.model_train(version_id=queued.pk).status == "failed"
    assert sample("inkwell_training_runs_total", outcome="failed") == before + 1


def test_the_model_reads_0_after_a_failed_load_and_1_once_it_loads_again(version, tmp_path):
    active = ModelVersion.objects.get(name=version)
    ModelVersion.objects.filter(pk=active.pk).update(artifact_dir=str(tmp_path / "gone"))
    forget_active_model()
    with pytest.raises(Exception, match="model"):
        active_recognizer()
    assert sample("inkwell_model_loaded", version=version) == 0
    forget_active_model()
    ModelVersion.objects.filter(pk=active.pk).update(artifact_dir=active.artifact_dir)
    active_recognizer()
    assert sample("inkwell_model_loaded", version=version) == 1
