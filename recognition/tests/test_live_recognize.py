"""The free-drawing socket `/ws/recognize/` through the real stack: the ASGI application
with its origin and session checks, the Redis channel layer and a real Celery worker."""

import base64
import json
import time
from typing import cast

import pytest
import redis
from asgiref.sync import sync_to_async

from recognition.engine.ink import MAX_STROKES
from recognition.tests.samples import GUIDES, placed, unipen_test_samples
from recognition.tests.sockets import ORIGIN, next_of_type, open_socket, receive, session_headers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture
def headers(client, user):
    return session_headers(client, user)


async def test_it_closes_with_4401_when_not_logged_in():
    communicator, connected = await open_socket([ORIGIN])
    assert connected
    output = await communicator.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": 4401}


async def test_it_refuses_a_foreign_origin(headers):
    foreign = [h for h in headers if h[0] != b"origin"] + [(b"origin", b"http://evil.example")]
    _, connected = await open_socket(foreign)
    assert not connected


async def test_it_predicts_real_test_split_characters_stroke_by_stroke(headers, celery_worker):
    # Characters whose shape names them in isolation (no o/0, l/1/I, c/C ambiguity).
    samples = unipen_test_samples(labels="2345678ABEFHKMNRabdeghknr", per_label=1)
    communicator, connected = await open_socket(headers)
    assert connected
    seq = 0
    right = 0
    for sample in samples:
        seq += 1
        await communicator.send_json_to({"type": "clear", "seq": seq})
        for stroke in sample["strokes"]:
            seq += 1
            await communicator.send_json_to({"type": "stroke", "seq": seq, "points": stroke})
        while True:
            frame = await next_of_type(communicator, "prediction")
            if frame["seq"] == seq:
                break
        assert len(frame["candidates"]) >= 3
        assert frame["model_version"]
        right += sample["label"] in [c["label"] for c in frame["candidates"][:3]]
    await communicator.disconnect()
    assert right >= len(samples) - 2, f"{right}/{len(samples)} in the top 3"


async def test_predictions_come_in_order_and_never_older_after_newer(headers, celery_worker):
    sample = unipen_test_samples(labels="B", per_label=1)[0]
    communicator, _ = await open_socket(headers)
    seqs: list[int] = []
    for seq, stroke in enumerate(sample["strokes"] * 3, start=1):
        await communicator.send_json_to({"type": "stroke", "seq": seq, "points": stroke})
    last = len(sample["strokes"]) * 3
    while not seqs or seqs[-1] != last:
        seqs.append((await next_of_type(communicator, "prediction"))["seq"])
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    await communicator.disconnect()


def take_queued_live_tasks(drawings: list[list]) -> list[dict]:
    """Take the live predictions of these drawings off the broker's inference queue, as the
    kwargs a worker would run them with, in the order of `drawings`. The queue may hold
    other tasks (left by earlier tests), in any order."""
    from hwr_site.celery import app

    broker = redis.Redis.from_url(app.conf.broker_url)
    found: dict[int, tuple[bytes, dict]] = {}
    deadline = time.monotonic() + 5
    while len(found) < len(drawings) and time.monotonic() < deadline:
        for raw in cast(list[bytes], broker.lrange("inference", 0, -1)):
            envelope = json.loads(raw)
            if envelope["headers"]["task"] != "recognition.recognize_ink":
                continue
            _args, kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
            if kwargs["strokes"] in drawings:
                found[drawings.index(kwargs["strokes"])] = (raw, kwargs)
        time.sleep(0.02)
    assert len(found) == len(drawings), "the live tasks were not queued"
    for raw, _kwargs in found.values():
        broker.lrem("inference", 1, raw.decode())
    return [found[i][1] for i in range(len(drawings))]


def queued_live_tasks_of(drawings: list[list]) -> list[dict]:
    """The live tasks on the inference queue whose drawing starts one of `drawings`."""
    from hwr_site.celery import app

    broker = redis.Redis.from_url(app.conf.broker_url)
    found = []
    for raw in cast(list[bytes], broker.lrange("inference", 0, -1)):
        envelope = json.loads(raw)
        if envelope["headers"]["task"] != "recognition.recognize_ink":
            continue
        _args, kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        if any(kwargs["strokes"] == drawings[:n] for n in range(2, len(drawings) + 1)):
            found.append(kwargs)
    return found


async def test_a_socket_has_one_drawing_with_the_recogniser_and_the_newest_goes_next(
    headers, inference_paused
):
    from recognition.tasks import recognize_ink

    strokes = [[[0, 0], [0, 50]], [[10, 0], [10, 50]], [[20, 0], [20, 50]], [[30, 0], [30, 50]]]
    communicator, _ = await open_socket(headers)
    for seq, stroke in enumerate(strokes, start=1):
        await communicator.send_json_to({"type": "stroke", "seq": seq, "points": stroke})
    take = sync_to_async(take_queued_live_tasks, thread_sensitive=False)
    [first] = await take([strokes[:1]])
    # Strokes 2 and 3 are stale before any worker could take them: never queued.
    assert not await sync_to_async(queued_live_tasks_of, thread_sensitive=False)(strokes)
    await sync_to_async(recognize_ink.apply)(kwargs=first)
    assert (await next_of_type(communicator, "prediction"))["seq"] == 1
    [newest] = await take([strokes])  # the whole drawing, as it stands after message 4
    assert newest["seq"] == 4
    await sync_to_async(recognize_ink.apply)(kwargs=newest)
    assert (await next_of_type(communicator, "prediction"))["seq"] == 4
    await communicator.disconnect()


async def test_an_older_answer_after_a_newer_one_is_dropped(headers, settings, inference_paused):
    from recognition.tasks import recognize_ink

    settings.RECOGNIZER_TIMEOUT_S = 0.5
    strokes = unipen_test_samples(labels="4", per_label=1)[0]["strokes"]
    assert len(strokes) >= 2
    communicator, _ = await open_socket(headers)
    for seq, stroke in enumerate(strokes[:2], start=1):
        await communicator.send_json_to({"type": "stroke", "seq": seq, "points": stroke})
    # Off the thread-sensitive executor: the consumer may need it meanwhile (Channels' stock
    # dispatch closes old database connections there before every message).
    take = sync_to_async(take_queued_live_tasks, thread_sensitive=False)
    # The first drawing times out unanswered, so the second goes to the recogniser too.
    first, second = await take([strokes[:1], strokes[:2]])
    assert (first["seq"], second["seq"]) == (1, 2)
    errors = {(await next_of_type(communicator, "error"))["seq"] for _ in range(2)}
    assert errors == {1, 2}  # both waited past the timeout: the student was told
    # The worker's real task answers the socket, newest drawing first.
    await sync_to_async(recognize_ink.apply)(kwargs=second)
    assert (await next_of_type(communicator, "prediction"))["seq"] == 2
    await sync_to_async(recognize_ink.apply)(kwargs=first)
    assert await communicator.receive_nothing(timeout=1)  # the old answer is never sent
    await communicator.disconnect()


async def test_undo_and_clear_update_the_prediction(headers, celery_worker):
    communicator, _ = await open_socket(headers)
    await communicator.send_json_to({"type": "stroke", "seq": 1, "points": [[0, 0], [0, 50]]})
    assert (await next_of_type(communicator, "prediction"))["candidates"]
    await communicator.send_json_to({"type": "undo", "seq": 2})
    frame = await next_of_type(communicator, "prediction")
    assert frame == {**frame, "seq": 2, "candidates": [], "rejected": False}
    await communicator.send_json_to({"type": "clear", "seq": 3})
    assert (await next_of_type(communicator, "prediction"))["seq"] == 3
    await communicator.disconnect()


async def test_an_empty_drawing_names_the_model_version_answering_the_socket(
    headers, celery_worker
):
    from channels.db import database_sync_to_async

    from recognition.selectors import active_model_version

    communicator, _ = await open_socket(headers)
    await communicator.send_json_to({"type": "clear", "seq": 1})
    first = await next_of_type(communicator, "prediction")
    assert first["model_version"] == await database_sync_to_async(active_model_version)()
    await communicator.send_json_to({"type": "stroke", "seq": 2, "points": [[0, 0], [0, 50]]})
    drawn = await next_of_type(communicator, "prediction")
    await communicator.send_json_to({"type": "clear", "seq": 3})
    cleared = await next_of_type(communicator, "prediction")
    assert (cleared["seq"], cleared["candidates"]) == (3, [])
    assert cleared["model_version"] == drawn["model_version"]
    await communicator.disconnect()


BAD_MESSAGES = [
    ("not json", "bad_json"),
    ("[1, 2]", "bad_message"),
    (json.dumps({"type": "dance", "seq": 1}), "unknown_type"),
    (json.dumps({"type": "stroke", "seq": "one", "points": [[1, 2]]}), "bad_seq"),
    (json.dumps({"type": "stroke", "seq": 1, "points": "abc"}), "bad_format"),
    (json.dumps({"type": "stroke", "seq": 1, "points": []}), "bad_format"),
    (json.dumps({"type": "stroke", "seq": 1, "points": [["x", 2]]}), "bad_format"),
    (json.dumps({"type": "stroke", "seq": 1, "points": [[1e9, 2]]}), "bad_coordinate"),
    (json.dumps({"type": "stroke", "seq": 1, "points": [[1, 2]] * 4001}), "too_many_points"),
    (json.dumps({"type": "submit", "seq": 1}), "unknown_type"),
]


@pytest.mark.parametrize(("frame", "code"), BAD_MESSAGES)
async def test_bad_messages_get_an_error_frame_and_the_socket_stays_open(
    headers, celery_worker, frame, code
):
    communicator, _ = await open_socket(headers)
    await communicator.send_to(text_data=frame)
    error = await receive(communicator)
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["message"]
    await communicator.send_json_to({"type": "stroke", "seq": 5, "points": [[0, 0], [9, 9]]})
    assert (await next_of_type(communicator, "prediction"))["seq"] == 5
    await communicator.disconnect()


async def test_a_binary_frame_gets_an_error(headers):
    communicator, _ = await open_socket(headers)
    await communicator.send_to(bytes_data=b"\x00\x01")
    assert (await receive(communicator))["code"] == "bad_message"
    await communicator.disconnect()


async def test_seq_must_increase(headers, celery_worker):
    communicator, _ = await open_socket(headers)
    await communicator.send_json_to({"type": "stroke", "seq": 4, "points": [[0, 0], [5, 5]]})
    await next_of_type(communicator, "prediction")
    await communicator.send_json_to({"type": "clear", "seq": 4})
    assert (await receive(communicator))["code"] == "bad_seq"
    await communicator.disconnect()


async def test_too_many_strokes_are_refused(headers, celery_worker):
    communicator, _ = await open_socket(headers)
    refused = MAX_STROKES + 1
    for seq in range(1, refused + 1):
        await communicator.send_json_to({"type": "stroke", "seq": seq, "points": [[seq, 0]]})
    errors: list[dict] = []
    while not any(frame["seq"] == refused for frame in errors):
        frame = await receive(communicator)
        if frame["type"] == "error":
            errors.append(frame)
    # Only the stroke past the limit is refused; the drawing keeps the others and goes on.
    too_many = [frame["seq"] for frame in errors if frame["code"] == "too_many_strokes"]
    assert too_many == [refused]
    await communicator.send_json_to({"type": "undo", "seq": refused + 1})
    while (await next_of_type(communicator, "prediction"))["seq"] < refused + 1:
        pass  # answers to strokes before the limit
    await communicator.disconnect()


async def test_it_says_recognizer_unavailable_when_no_worker_answers(headers, inference_paused):
    communicator, _ = await open_socket(headers)
    await communicator.send_json_to({"type": "stroke", "seq": 1, "points": [[0, 0], [5, 40]]})
    frame = await receive(communicator, timeout=6)  # RECOGNIZER_TIMEOUT_S is 2 s
    assert (frame["type"], frame["code"], frame["seq"]) == ("error", "recognizer_unavailable", 1)
    # The timeout's answer (queued but never answered), not the broker's (not queued at all).
    assert "did not answer in time" in frame["message"]
    await communicator.send_json_to({"type": "undo", "seq": 2})
    assert (await next_of_type(communicator, "prediction"))["seq"] == 2
    await communicator.disconnect()


async def test_an_unreachable_broker_is_reported_at_once(headers, settings, broker_down):
    settings.RECOGNIZER_TIMEOUT_S = 60  # the answer must not be the timeout's
    communicator, _ = await open_socket(headers)
    await communicator.send_json_to({"type": "stroke", "seq": 1, "points": [[0, 0], [5, 40]]})
    # Well before the timeout: the fast path knows in milliseconds, Celery's own after its
    # connection retries (about 6 s).
    frame = await receive(communicator, timeout=20)
    assert (frame["type"], frame["code"], frame["seq"]) == ("error", "recognizer_unavailable", 1)
    await communicator.send_json_to({"type": "stroke", "seq": 2, "points": [[9, 0], [9, 40]]})
    assert (await receive(communicator, timeout=20))["seq"] == 2  # drawing goes on
    await communicator.disconnect()


async def test_a_flood_of_messages_is_refused_and_the_socket_stays_open(headers, celery_worker):
    communicator, _ = await open_socket(headers)
    for seq in range(1, 201):
        await communicator.send_json_to({"type": "undo", "seq": seq})
    codes: list[str] = []
    while len(codes) < 200:
        frame = await receive(communicator)
        codes.append(frame.get("code") or frame["type"])
    assert "rate_limited" in codes
    assert codes.count("prediction") >= 80
    await communicator.disconnect()


async def test_guides_on_the_first_message_decide_the_case_of_an_o(headers, celery_worker):
    strokes = unipen_test_samples(labels="o", per_label=1)[0]["strokes"]
    small = placed(strokes, top=GUIDES["x_height"], bottom=GUIDES["baseline"])
    tall = placed(strokes, top=GUIDES["cap_height"], bottom=GUIDES["baseline"])
    communicator, _ = await open_socket(headers)
    seq, read = 0, []
    for ink in (small, tall):
        seq += 1
        await communicator.send_json_to({"type": "clear", "seq": seq, "guides": GUIDES})
        for stroke in ink:
            seq += 1
            await communicator.send_json_to({"type": "stroke", "seq": seq, "points": stroke})
        while (frame := await next_of_type(communicator, "prediction"))["seq"] != seq:
            pass
        top = [c["label"] for c in frame["candidates"] if c["label"] in "oO0"]
        read.append(top[0])
    await communicator.disconnect()
    assert read == ["o", "O"]


async def test_bad_guides_get_an_error_frame(headers, celery_worker):
    communicator, _ = await open_socket(headers)
    bad = {"baseline": 1, "x_height": 2, "cap_height": 3}
    await communicator.send_json_to({"type": "stroke", "seq": 1, "points": [[0, 0]], "guides": bad})
    error = await receive(communicator)
    assert (error["type"], error["code"], error["seq"]) == ("error", "bad_guides", 1)
    await communicator.disconnect()
