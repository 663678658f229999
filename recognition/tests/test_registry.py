"""The model registry through Django admin, with a real Celery worker training, and workers
switching versions while a websocket stays connected."""

import asyncio
import json
import time
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.test import Client

from classroom.tests.factories import StaffFactory, StudentFactory, TeacherFactory
from recognition import services, training
from recognition.models import ModelVersion
from recognition.selectors import forget_active_model
from recognition.tests.sockets import next_of_type, open_socket, session_headers

CHANGELIST = "/admin/recognition/modelversion/"
TRAIN = "/admin/recognition/modelversion/train/"
UNIPEN = str(Path(settings.TRAINING_DATA_DIR) / "unipen-1abc.jsonl.gz")


@pytest.fixture
def shipped(db):
    forget_active_model()
    services.model_register_shipped()
    yield ModelVersion.objects.get(status=ModelVersion.Status.ACTIVE)
    forget_active_model()


@pytest.fixture
def admin_user(db):
    return StaffFactory.create(username="root", is_superuser=True)


def wait_for(predicate, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"still not true after {timeout}s")


def settled(version_id):
    version = ModelVersion.objects.get(pk=version_id)
    return version if version.status in {"ready", "failed"} else None


# Access


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "student", "teacher"])
@pytest.mark.parametrize("url", [CHANGELIST, TRAIN, "/admin/recognition/modelversion/1/progress/"])
def test_only_staff_reach_the_registry(client, who, url):
    users = {"student": StudentFactory, "teacher": TeacherFactory}
    if who in users:
        client.force_login(users[who].create())
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_staff_without_model_permissions_are_refused(client, shipped):
    client.force_login(StaffFactory.create(username="helper"))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(TRAIN).status_code == 403
    assert client.post("/admin/recognition/modelversion/rollback/").status_code == 403


@pytest.mark.django_db
def test_the_shipped_model_is_the_first_active_version(shipped):
    assert shipped.name == "1"
    assert Path(shipped.artifact_dir) == Path(settings.SHIPPED_MODEL_DIR)
    assert shipped.model_card["version"] == "1"


@pytest.mark.django_db
def test_the_registry_page_lists_versions_with_their_scores(client, admin_user, shipped):
    client.force_login(admin_user)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert "Train a new version" in response.content.decode()
    assert client.get(TRAIN).status_code == 200


# Activation rules


@pytest.mark.django_db
def test_a_worse_version_needs_a_confirmation(client, admin_user, shipped):
    shipped.metrics = {"top1": 0.8}
    shipped.save()
    worse = ModelVersion.objects.create(name="2", status="ready", metrics={"top1": 0.5},
                                        artifact_dir=str(settings.SHIPPED_MODEL_DIR))  # fmt: skip
    client.force_login(admin_user)
    client.post(CHANGELIST, {"action": "activate", "_selected_action": [worse.pk]})
    assert ModelVersion.objects.get(pk=shipped.pk).status == "active"
    client.post(CHANGELIST, {"action": "activate_even_if_worse", "_selected_action": [worse.pk]})
    assert ModelVersion.objects.get(pk=worse.pk).status == "active"
    assert ModelVersion.objects.get(pk=shipped.pk).status == "retired"
    messages = list(LogEntry.objects.values_list("change_message", flat=True))
    assert any("Activated (confirmed although worse)" in m for m in messages)


@pytest.mark.django_db
def test_a_failed_version_cannot_be_activated(shipped, admin_user):
    failed = ModelVersion.objects.create(name="2", status="failed")
    with pytest.raises(services.RegistryError) as error:
        services.model_activate(version=failed)
    assert error.value.code == "not_activatable"


@pytest.mark.django_db
def test_cancelling_a_queued_training_marks_it_failed_and_it_can_be_retried(shipped, admin_user):
    version = ModelVersion.objects.create(name="2", status="queued", params={"epochs": 1})
    training.model_training_cancel(version=version)
    version.refresh_from_db()
    assert version.status == "failed" and "Cancelled" in version.failure_reason
    training.model_training_retry(version=version)
    assert ModelVersion.objects.get(pk=version.pk).status == "queued"


@pytest.mark.django_db
def test_a_training_whose_worker_died_is_marked_failed(shipped):
    version = ModelVersion.objects.create(name="2", status="training",
                                          progress={"heartbeat": time.time() - 3600})  # fmt: skip
    assert training.model_fail_stale_trainings() == 1
    version.refresh_from_db()
    assert version.status == "failed" and "stopped reporting" in version.failure_reason


# End to end, with a real worker


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_run_with_missing_data_fails_with_its_reason(client, admin_user, shipped, celery_worker):
    version = training.model_training_start(user=admin_user, data=["/nowhere/ink.jsonl.gz"],
                                            include_classroom=False, epochs=1, max_samples=200,
                                            base_version=shipped)  # fmt: skip
    done = wait_for(lambda: settled(version.pk), timeout=60)
    assert done.status == "failed"
    assert "training data not found: /nowhere/ink.jsonl.gz" in done.failure_reason
    assert ModelVersion.objects.get(pk=shipped.pk).status == "active"


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
@pytest.mark.slow
async def test_train_activate_and_roll_back_while_a_socket_stays_connected(
    client, admin_user, shipped, celery_worker
):
    def start_training():
        client.force_login(admin_user)
        response = client.post(TRAIN, {"sources": [UNIPEN], "epochs": 1, "max_samples": 300})
        assert response.status_code == 302, response.content
        return ModelVersion.objects.exclude(pk=shipped.pk).get()

    version = await database_sync_to_async(start_training)()
    ready = await database_sync_to_async(wait_for)(lambda: settled(version.pk), timeout=240)
    assert ready.status == "ready", ready.failure_reason
    assert {"top1", "top3", "top1_35", "rejected", "per_class"} <= set(ready.metrics)
    assert (Path(settings.MEDIA_ROOT) / ready.artifact_dir / "model.tflite").is_file()
    assert {"epoch", "loss", "accuracy", "val_accuracy", "seconds_left"} <= set(ready.progress)
    assert "1 epochs" not in ready.training_log and "epoch 1/1" in ready.training_log

    def admin_pages() -> tuple[dict, str]:
        progress = client.get(f"/admin/recognition/modelversion/{ready.pk}/progress/").json()
        page = client.get(f"/admin/recognition/modelversion/{ready.pk}/change/").content.decode()
        return progress, page

    progress, page = await database_sync_to_async(admin_pages)()
    assert progress["status"] == "ready"
    assert 'class="metrics-comparison"' in page and "<td>class a</td>" in page

    student = await database_sync_to_async(StudentFactory.create)(username="watcher")
    headers = await database_sync_to_async(session_headers)(Client(), student)
    communicator, _ = await open_socket(headers)
    seq = 0

    async def version_seen() -> str:
        nonlocal seq
        seq += 1
        await communicator.send_json_to({"type": "clear", "seq": seq})
        seq += 1
        await communicator.send_json_to({"type": "stroke", "seq": seq, "points": [[0, 0], [9, 40]]})
        while True:
            frame = await next_of_type(communicator, "prediction", timeout=5)
            if frame["seq"] == seq:
                return frame["model_version"]

    assert await version_seen() == "1"

    async def switch(action: str, expected: str) -> None:
        await database_sync_to_async(action_as_admin)(client, action, ready.pk)
        for _ in range(300):  # how soon is bench_live.py --switch's to measure
            if await version_seen() == expected:
                return
            await asyncio.sleep(0.1)  # a person's pace, within the socket's message budget
        raise AssertionError(f"the workers never switched to version {expected}")

    await switch("activate_even_if_worse", ready.name)
    await switch("rollback", "1")
    await communicator.disconnect()

    def logged() -> list[str]:
        return list(LogEntry.objects.order_by("id").values_list("change_message", flat=True))

    assert await database_sync_to_async(logged)() == [
        "Started training",
        "Activated (confirmed although worse)",
        "Rolled back to this version",
    ]


def action_as_admin(client, action, pk):
    if action == "rollback":
        response = client.post("/admin/recognition/modelversion/rollback/")
    else:
        response = client.post(CHANGELIST, {"action": action, "_selected_action": [pk]})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/recognition/modelversion/")


@pytest.mark.django_db
def test_verified_attempts_of_classes_that_allow_it_become_training_data(tmp_path):
    from classroom.tests.factories import AttemptFactory, ClassroomFactory, ExerciseFactory

    teacher = TeacherFactory.create()
    allowing = ExerciseFactory.create(classroom=ClassroomFactory.create(allow_training_use=True))
    private = ExerciseFactory.create(classroom=ClassroomFactory.create(allow_training_use=False))
    strokes = [[[0, 0, 0], [0, 30, 40]]]
    AttemptFactory.create(exercise=allowing, target="d", verified=True, verified_label="b",
                          correct=False, ink={"strokes": strokes}, verified_by=teacher)  # fmt: skip
    AttemptFactory.create(exercise=allowing, target="a", verified=False)
    AttemptFactory.create(exercise=private, target="c", verified=True, verified_label="c",
                          correct=True, verified_by=teacher)  # fmt: skip
    path, verdicts = training._classroom_training_file(tmp_path, exclude_verifiers=())
    assert path is not None
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["label"], r["strokes"], r["split"], r["source"]) for r in rows] == [
        ("b", strokes, "train", "classroom")
    ]
    assert rows[0]["verified_by"] == teacher.pk and verdicts == {str(teacher.pk): 1}


@pytest.mark.django_db
def test_an_admin_sees_who_gave_the_verdicts_and_can_leave_a_teachers_out(tmp_path, admin_client):
    from classroom.tests.factories import AttemptFactory, ClassroomFactory, ExerciseFactory

    trusted = TeacherFactory.create(first_name="Ms Quill")
    doubtful = TeacherFactory.create(first_name="Mr Sly")
    exercise = ExerciseFactory.create(classroom=ClassroomFactory.create(allow_training_use=True))
    AttemptFactory.create(exercise=exercise, target="a", predicted_label="a", verified=True,
                          correct=True, verified_by=trusted)  # fmt: skip
    for _ in range(3):  # relabels: another character than the recogniser read
        AttemptFactory.create(exercise=exercise, target="a", predicted_label="a", verified=True,
                              verified_label="q", correct=False, verified_by=doubtful)  # fmt: skip
    page = admin_client.get("/admin/recognition/modelversion/train/").content.decode()
    assert "Mr Sly: 3 verdicts, 3 relabels" in page
    assert "Ms Quill: 1 verdicts, 0 relabels" in page

    path, verdicts = training._classroom_training_file(tmp_path, exclude_verifiers=[doubtful.pk])
    assert path is not None
    labels = [json.loads(line)["label"] for line in path.read_text().splitlines()]
    assert labels == ["a"] and verdicts == {str(trusted.pk): 1}
