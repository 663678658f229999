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
    asked = client.post(CHANGELIST, {"action": "activate", "_selected_action": [worse.pk]})
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "scores below the active version 1" in page and "top1 50.0% against 80.0%" in page
    assert 'name="confirm_worse" value="yes"' in page
    assert ModelVersion.objects.get(pk=shipped.pk).status == "active"
    confirmed = client.post(
        CHANGELIST, {"action": "activate", "_selected_action": [worse.pk], "confirm_worse": "yes"}
    )
    assert confirmed.status_code == 302
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
def test_a_run_whose_data_went_away_fails_with_its_reason(shipped, celery_worker, tmp_path):
    gone = tmp_path / "ink.jsonl"  # there when the training was chosen, gone when it runs
    version = ModelVersion.objects.create(name="2", status="queued", params={"epochs": 1},
                                          data_sources={"files": [str(gone)]})  # fmt: skip
    training._queue_training(version.pk)
    done = wait_for(lambda: settled(version.pk), timeout=60)
    assert done.status == "failed"
    assert done.failure_reason == (
        f"Training data not found: {gone} (moved or deleted since the training was chosen)."
    )
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

    await switch("activate", ready.name)
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
    else:  # confirmed at once: the version this quick run makes scores below the shipped one
        response = client.post(
            CHANGELIST, {"action": action, "_selected_action": [pk], "confirm_worse": "yes"}
        )
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


# The train form, failures, marks


PENDIGITS = str(Path(settings.TRAINING_DATA_DIR) / "pendigits.jsonl.gz")


@pytest.mark.django_db
def test_the_train_form_names_the_splits_each_source_holds(client, admin_user, shipped):
    client.force_login(admin_user)
    page = client.get(TRAIN).content.decode()
    assert "pendigits.jsonl.gz (train, test; no val split, so not alone)" in page
    assert "unipen-1abc.jsonl.gz (train, val, test)" in page


@pytest.mark.django_db
def test_the_train_form_refuses_sources_without_a_val_split(client, admin_user, shipped):
    client.force_login(admin_user)
    response = client.post(TRAIN, {"sources": [PENDIGITS], "preset": "quick"})
    assert response.status_code == 200
    assert (
        "The chosen sources have no val split to score the new version on (pendigits.jsonl.gz "
        "holds train and test only). Add a source that has one, such as unipen-1abc.jsonl.gz."
    ) in response.content.decode()
    assert not ModelVersion.objects.exclude(pk=shipped.pk).exists()


@pytest.mark.django_db
def test_the_service_refuses_sources_without_a_val_split(admin_user, shipped):
    with pytest.raises(services.RegistryError) as error:
        training.model_training_start(user=admin_user, data=[PENDIGITS], include_classroom=False,
                                      epochs=1, max_samples=None, base_version=None)  # fmt: skip
    assert error.value.code == "bad_sources"


@pytest.mark.django_db
def test_pendigits_with_unipen_is_accepted(client, admin_user, shipped):
    client.force_login(admin_user)
    response = client.post(TRAIN, {"sources": [PENDIGITS, UNIPEN], "preset": "quick"})
    assert response.status_code == 302
    version = ModelVersion.objects.exclude(pk=shipped.pk).get()
    assert version.data_sources["files"] == [PENDIGITS, UNIPEN]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("preset", "params"),
    [("quick", {"epochs": 1, "max_samples": 2000}), ("full", {"epochs": 12, "max_samples": None}),
     ("custom", {"epochs": 3, "max_samples": 500})],
)  # fmt: skip
def test_a_preset_sets_the_epochs_and_the_sample_cap(client, admin_user, shipped, preset, params):
    client.force_login(admin_user)
    form = {"sources": [UNIPEN], "preset": preset, "epochs": 3, "max_samples": 500}
    assert client.post(TRAIN, form).status_code == 302
    version = ModelVersion.objects.exclude(pk=shipped.pk).get()
    assert {k: version.params[k] for k in params} == params


@pytest.mark.django_db
def test_a_custom_run_needs_its_epochs(client, admin_user, shipped):
    client.force_login(admin_user)
    response = client.post(TRAIN, {"sources": [UNIPEN], "preset": "custom"})
    assert "Say how many epochs a custom run trains for." in response.content.decode()


@pytest.mark.django_db
def test_a_failed_version_says_why_in_the_list_and_on_its_page(client, admin_user, shipped):
    reason = "The machine ran out of memory. Train on fewer samples (Max samples) or fewer sources."
    failed = ModelVersion.objects.create(name="2", status="failed", failure_reason=reason)
    client.force_login(admin_user)
    listed = client.get(CHANGELIST).content.decode()
    assert f'<div class="training-failure">{reason}</div>' in listed
    page = client.get(f"{CHANGELIST}{failed.pk}/change/").content.decode()
    assert f'<div class="training-failure">{reason}</div>' in page


@pytest.mark.django_db
def test_an_unexpected_error_is_told_as_such_with_its_message():
    reason = training._plain_reason(ValueError("not enough values to unpack"))
    expected = "The training stopped on an unexpected error (ValueError: not enough values to "
    assert reason.startswith(expected + "unpack). The training log has the details")


@pytest.mark.django_db
def test_metrics_show_as_tables_not_json(client, admin_user, shipped):
    client.force_login(admin_user)
    page = client.get(f"{CHANGELIST}{shipped.pk}/change/").content.decode()
    assert '<table class="metrics-comparison">' in page and "<td>class a</td>" in page
    assert '<table class="metrics-confusions">' in page
    assert "Scored on 9910 holdout characters (0 skipped)" in page
    assert '"per_class"' not in page and "&quot;per_class&quot;" not in page


@pytest.mark.django_db
def test_a_version_below_the_active_one_is_marked(client, admin_user, shipped):
    shipped.metrics = {**shipped.metrics, "top1": 0.8}
    shipped.save()
    worse = ModelVersion.objects.create(name="2", status="ready", metrics={"top1": 0.5})
    better = ModelVersion.objects.create(name="3", status="ready", metrics={"top1": 0.9})
    client.force_login(admin_user)
    mark = '<span class="below-active">Below the active version: top1 50.0% against 80.0%</span>'
    listed = client.get(CHANGELIST).content.decode()
    assert listed.count('class="below-active"') == 1 and mark in listed
    assert mark in client.get(f"{CHANGELIST}{worse.pk}/change/").content.decode()
    assert "below-active" not in client.get(f"{CHANGELIST}{better.pk}/change/").content.decode()


@pytest.mark.django_db
def test_a_better_version_is_activated_without_a_question(client, admin_user, shipped):
    shipped.metrics = {"top1": 0.8}
    shipped.save()
    better = ModelVersion.objects.create(name="2", status="ready", metrics={"top1": 0.9},
                                         artifact_dir=str(settings.SHIPPED_MODEL_DIR))  # fmt: skip
    client.force_login(admin_user)
    response = client.post(CHANGELIST, {"action": "activate", "_selected_action": [better.pk]})
    assert response.status_code == 302
    assert ModelVersion.objects.get(pk=better.pk).status == "active"
    assert LogEntry.objects.get().change_message == "Activated"


@pytest.mark.django_db
def test_staff_who_may_only_view_cannot_confirm_an_activation(client, shipped):
    from django.contrib.auth.models import Permission

    viewer = StaffFactory.create(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_modelversion"))
    worse = ModelVersion.objects.create(name="2", status="ready", metrics={"top1": 0.0})
    client.force_login(viewer)
    client.post(CHANGELIST, {"action": "activate", "_selected_action": [worse.pk],
                             "confirm_worse": "yes"})  # fmt: skip
    assert ModelVersion.objects.get(pk=shipped.pk).status == "active"
    assert ModelVersion.objects.get(pk=worse.pk).status == "ready"


@pytest.mark.django_db
def test_in_embedded_mode_a_training_whose_process_is_gone_is_marked_failed(settings, shipped):
    import os
    import socket
    import subprocess

    settings.CELERY_TASK_ALWAYS_EAGER = True
    ended = subprocess.Popen(["true"])
    ended.wait()
    here = socket.gethostname()
    gone = ModelVersion.objects.create(name="2", status="training",
                                       progress={"pid": ended.pid, "host": here,
                                                 "heartbeat": time.time()})  # fmt: skip
    alive = ModelVersion.objects.create(name="3", status="training",
                                        progress={"pid": os.getpid(), "host": here,
                                                  "heartbeat": time.time()})  # fmt: skip
    elsewhere = ModelVersion.objects.create(name="4", status="training",
                                            progress={"pid": ended.pid, "host": "another",
                                                      "heartbeat": time.time()})  # fmt: skip
    orphan = ModelVersion.objects.create(name="5", status="queued",
                                         progress={"queued_at": time.time() - 120})  # fmt: skip
    assert training.model_fail_stale_trainings() == 2
    statuses = dict(ModelVersion.objects.values_list("name", "status"))
    assert [statuses[v.name] for v in (gone, alive, elsewhere, orphan)] == [
        "failed", "training", "training", "failed"
    ]  # fmt: skip
    assert ModelVersion.objects.get(pk=gone.pk).failure_reason.startswith(
        "Stopped before it finished: its training process is gone"
    )
    assert ModelVersion.objects.get(pk=orphan.pk).failure_reason.startswith("It never started")
