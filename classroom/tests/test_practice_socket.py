"""`/ws/practice/<exercise_id>/`: practising an exercise over the real stack (ASGI
application, Redis channel layer, a real Celery worker, PostgreSQL)."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from classroom.models import Attempt
from classroom.tests.factories import ExerciseFactory
from recognition.tests.samples import unipen_test_samples
from recognition.tests.sockets import ORIGIN, next_of_type, open_socket, receive, session_headers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture
def exercise(classroom):
    return ExerciseFactory.create(
        classroom=classroom, title="Digits", characters="38", repetitions=1, order="as_written"
    )


async def login(client, user):
    return await database_sync_to_async(session_headers)(client, user)


def path_of(exercise):
    return f"/ws/practice/{exercise.pk}/"


async def draw(communicator, strokes, first_seq=1):
    seq = first_seq
    for stroke in strokes:
        await communicator.send_json_to({"type": "stroke", "seq": seq, "points": stroke})
        seq += 1
    return seq


def attempts():
    return list(Attempt.objects.order_by("id"))


async def test_a_submit_stores_a_recognised_attempt_and_names_the_next_character(
    client, student, exercise, celery_worker
):
    three = unipen_test_samples(labels="3", per_label=1)[0]["strokes"]
    communicator, connected = await open_socket(await login(client, student), path_of(exercise))
    assert connected
    seq = await draw(communicator, three)
    await communicator.send_json_to({"type": "submit", "seq": seq})
    result = await next_of_type(communicator, "result", timeout=10)
    await communicator.disconnect()

    stored = await database_sync_to_async(attempts)()
    assert len(stored) == 1
    attempt = stored[0]
    assert result == {**result, "seq": seq, "attempt_id": attempt.pk, "target": "3",
                      "label": "3", "correct": True, "next_target": "8", "done": False}  # fmt: skip
    assert 0 <= result["score"] <= 100 and result["score"] == attempt.score
    assert [c["name"] for c in result["checks"]][:2] == ["legible", "orientation"]
    assert result["checks"] == attempt.checks and result["passed"] is True
    assert attempt.status == Attempt.Status.RECOGNIZED
    assert attempt.student_id == student.pk and attempt.exercise_id == exercise.pk
    assert attempt.ink == {"strokes": three}
    assert attempt.model_version and attempt.candidates and bytes(attempt.image)[:4] == b"\x89PNG"
    assert attempt.recognition_latency_ms is not None and attempt.time_taken_ms is not None


async def test_a_wrong_character_is_tried_again_with_a_demonstration_then_left_for_later(
    client, student, exercise, celery_worker
):
    exercise.tries = 2
    await database_sync_to_async(exercise.save)()
    eight = unipen_test_samples(labels="8", per_label=2)
    communicator, _ = await open_socket(await login(client, student), path_of(exercise))
    results, seq = [], 1
    for sample in eight:  # the target is "3"
        seq = await draw(communicator, sample["strokes"], first_seq=seq)
        await communicator.send_json_to({"type": "submit", "seq": seq, "target": "3"})
        results.append(await next_of_type(communicator, "result", timeout=10))
        seq += 1
    await communicator.disconnect()
    first, second = results
    assert first["target"] == "3" and first["label"] == "8" and first["correct"] is False
    assert first["checks"][0] == {**first["checks"][0], "name": "legible", "ok": False}
    assert (first["next_target"], first["try_again"], first["passed"]) == ("3", True, False)
    demo = first["demonstration"]
    assert demo["strokes"] and all(len(p) == 2 for s in demo["strokes"] for p in s)
    assert 0 <= demo["stroke"] < len(demo["strokes"])
    assert (second["next_target"], second["try_again"]) == ("8", False)  # "3" comes back later


async def test_a_dot_or_a_scribble_is_refused_and_not_counted(client, student, exercise):
    communicator, _ = await open_socket(await login(client, student), path_of(exercise))
    await communicator.send_json_to({"type": "stroke", "seq": 1, "points": [[50, 50], [52, 51]]})
    await communicator.send_json_to({"type": "submit", "seq": 2})
    dot = await next_of_type(communicator, "error")
    zigzag = [[10 + 80 * (i % 2), 10 + i * 0.2] for i in range(400)]
    await communicator.send_json_to({"type": "clear", "seq": 3})
    await communicator.send_json_to({"type": "stroke", "seq": 4, "points": zigzag})
    await communicator.send_json_to({"type": "submit", "seq": 5})
    scribble = await next_of_type(communicator, "error")
    await communicator.disconnect()
    assert (dot["code"], dot["seq"]) == ("just_a_dot", 2)
    assert (scribble["code"], scribble["seq"]) == ("scribble", 5)
    assert await database_sync_to_async(attempts)() == []


async def test_submitting_the_same_drawing_twice_stores_one_attempt(
    client, student, exercise, celery_worker
):
    three = unipen_test_samples(labels="3", per_label=1)[0]["strokes"]
    headers = await login(client, student)
    ids = []
    for _ in range(2):  # e.g. the answer was lost with the connection and the page re-sends
        communicator, _ = await open_socket(headers, path_of(exercise))
        seq = await draw(communicator, three)
        await communicator.send_json_to({"type": "submit", "seq": seq})
        ids.append((await next_of_type(communicator, "result", timeout=10))["attempt_id"])
        await communicator.disconnect()
    assert ids[0] == ids[1]
    assert len(await database_sync_to_async(attempts)()) == 1


async def test_an_empty_submit_is_refused_and_stores_nothing(client, student, exercise):
    communicator, _ = await open_socket(await login(client, student), path_of(exercise))
    await communicator.send_json_to({"type": "submit", "seq": 1})
    error = await receive(communicator)
    await communicator.disconnect()
    assert error["code"] == "empty_ink"
    assert await database_sync_to_async(attempts)() == []


async def test_with_the_worker_down_the_attempt_is_kept_and_recognised_later(
    client, student, exercise, inference_paused, settings
):
    from hwr_site.celery import app

    three = unipen_test_samples(labels="3", per_label=1)[0]["strokes"]
    communicator, _ = await open_socket(await login(client, student), path_of(exercise))
    seq = await draw(communicator, three)
    await communicator.send_json_to({"type": "submit", "seq": seq})
    saved = await next_of_type(communicator, "result", timeout=8)
    assert (saved["status"], saved["seq"], saved["target"]) == ("saved", seq, "3")
    assert saved["label"] is None and saved["correct"] is None and saved["score"] is None
    stored = await database_sync_to_async(attempts)()
    assert [a.pk for a in stored] == [saved["attempt_id"]]
    assert stored[0].status == Attempt.Status.PENDING
    assert stored[0].ink == {"strokes": three}

    await database_sync_to_async(app.control.add_consumer)("inference", reply=True)
    late = await next_of_type(communicator, "result", timeout=15)
    await communicator.disconnect()
    assert late["late"] is True and late["attempt_id"] == saved["attempt_id"]
    assert late["status"] == "recognized"
    attempt = (await database_sync_to_async(attempts)())[0]
    assert attempt.status == Attempt.Status.RECOGNIZED and attempt.correct is True


@pytest.mark.parametrize("who", ["anonymous", "other_student", "teacher", "staff"])
async def test_only_the_class_students_may_practise(
    client, student, exercise, other_student, teacher, staff, who
):
    users = {"other_student": other_student, "teacher": teacher, "staff": staff}
    headers = [ORIGIN] if who == "anonymous" else await login(client, users[who])
    communicator, connected = await open_socket(headers, path_of(exercise))
    assert connected
    closed = await communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4401 if who == "anonymous" else 4403}


async def test_an_archived_exercise_cannot_be_practised(client, student, exercise):
    exercise.archived = True
    await database_sync_to_async(exercise.save)()
    communicator, _ = await open_socket(await login(client, student), path_of(exercise))
    assert (await communicator.receive_output(timeout=5))["code"] == 4403


async def test_an_unknown_exercise_is_not_allowed(client, student):
    communicator, _ = await open_socket(await login(client, student), "/ws/practice/999999/")
    assert (await communicator.receive_output(timeout=5))["code"] == 4403
    await asyncio.sleep(0)


async def test_the_server_not_the_page_decides_what_a_drawing_is_scored_against(
    client, student, exercise
):
    eight = unipen_test_samples(labels="8", per_label=1)[0]["strokes"]
    communicator, _ = await open_socket(await login(client, student), path_of(exercise))
    seq = await draw(communicator, eight)  # the server picks "3"; the page claims "8"
    await communicator.send_json_to({"type": "submit", "seq": seq, "target": "8"})
    refused = await next_of_type(communicator, "error", timeout=10)
    await communicator.disconnect()
    assert (refused["code"], refused["next_target"]) == ("target_changed", "3")
    assert await database_sync_to_async(attempts)() == []


async def test_submits_are_limited_per_student_across_all_their_sockets(
    client, student, exercise, settings
):
    settings.SUBMITS_PER_MINUTE = 2
    three = unipen_test_samples(labels="3", per_label=3)
    headers = await login(client, student)
    first, _ = await open_socket(headers, path_of(exercise))
    second, _ = await open_socket(headers, path_of(exercise))
    for n, socket in enumerate((first, second)):
        seq = await draw(socket, three[n]["strokes"])
        await socket.send_json_to(
            {"type": "submit", "seq": seq, "submission_id": f"drawing-{n:04}"}
        )
        await next_of_type(socket, "result", timeout=10)  # stored ("saved" or recognised)
    seq = await draw(first, three[2]["strokes"], first_seq=100)
    await first.send_json_to({"type": "submit", "seq": seq, "submission_id": "drawing-0009"})
    refused = await next_of_type(first, "error", timeout=10)
    await first.disconnect()
    await second.disconnect()
    assert refused["code"] == "rate_limited" and 0 < refused["retry_after"] <= 60
    assert len(await database_sync_to_async(attempts)()) == 2


async def test_a_submission_id_makes_re_sends_one_attempt(client, student, exercise, celery_worker):
    three = unipen_test_samples(labels="3", per_label=2)
    headers = await login(client, student)
    ids = []
    for sample in three:  # e.g. the canvas was rescaled before the re-send: other numbers
        communicator, _ = await open_socket(headers, path_of(exercise))
        seq = await draw(communicator, sample["strokes"])
        await communicator.send_json_to(
            {"type": "submit", "seq": seq, "submission_id": "drawing-0001"}
        )
        ids.append((await next_of_type(communicator, "result", timeout=10))["attempt_id"])
        await communicator.disconnect()
    assert ids[0] == ids[1]
    assert len(await database_sync_to_async(attempts)()) == 1


@pytest.mark.parametrize(
    ("extra", "code"),
    [({"target": "z"}, "bad_target"), ({"submission_id": "no spaces!"}, "bad_submission_id")],
)
async def test_a_bad_submit_field_is_refused_and_stores_nothing(
    client, student, exercise, extra, code
):
    communicator, _ = await open_socket(await login(client, student), path_of(exercise))
    await communicator.send_json_to({"type": "stroke", "seq": 1, "points": [[0, 0], [5, 9]]})
    await communicator.send_json_to({"type": "submit", "seq": 2, **extra})
    assert (await next_of_type(communicator, "error"))["code"] == code
    await communicator.disconnect()
    assert await database_sync_to_async(attempts)() == []


async def test_with_the_broker_down_drawing_goes_on_and_a_submit_is_still_stored(
    client, student, exercise, broker_down
):
    headers = await login(client, student)
    communicator, _ = await open_socket(headers, path_of(exercise))
    await communicator.send_json_to({"type": "stroke", "seq": 1, "points": [[0, 0], [5, 40]]})
    error = await next_of_type(communicator, "error", timeout=10)
    assert error["code"] == "recognizer_unavailable" and error["seq"] == 1
    await communicator.send_json_to({"type": "submit", "seq": 2})
    saved = await next_of_type(communicator, "result", timeout=10)
    assert saved["status"] == "saved" and saved["attempt_id"] and saved["seq"] == 2
    await communicator.disconnect()
    stored = await database_sync_to_async(attempts)()
    assert [a.pk for a in stored] == [saved["attempt_id"]]
    assert stored[0].status == Attempt.Status.PENDING


async def test_a_word_is_written_letter_by_letter_each_letter_an_attempt(
    client, student, classroom, celery_worker
):
    word = await database_sync_to_async(ExerciseFactory.create)(
        classroom=classroom, kind="words", words="38", characters="38", repetitions=1
    )
    three, eight = (s["strokes"] for s in unipen_test_samples(labels="38", per_label=1))
    communicator, _ = await open_socket(await login(client, student), path_of(word))
    seq = await draw(communicator, three)
    await communicator.send_json_to({"type": "submit", "seq": seq, "target": "3"})
    first = await next_of_type(communicator, "result", timeout=10)
    seq = await draw(communicator, eight, first_seq=seq + 1)
    await communicator.send_json_to({"type": "submit", "seq": seq, "target": "8"})
    second = await next_of_type(communicator, "result", timeout=10)
    await communicator.disconnect()

    assert (first["target"], first["passed"], first["next_target"]) == ("3", True, "8")
    assert first["word"] == {"text": "38", "index": 1}
    assert first["progress"] == {"done": 0, "total": 1, "unit": "words"}
    assert (second["target"], second["correct"], second["done"]) == ("8", True, True)
    assert second["progress"] == {"done": 1, "total": 1, "unit": "words"}
    stored = await database_sync_to_async(attempts)()
    assert [(a.target, a.word, a.word_write, a.letter_index) for a in stored] == [
        ("3", "38", 1, 0),
        ("8", "38", 1, 1),
    ]
