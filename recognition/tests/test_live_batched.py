"""The live path with batching on (INFERENCE_BATCH_SIZE > 1): a real inference worker on
Celery's thread pool recognises many students' strokes in one batch, and every answer goes
to the socket whose drawing it is, as the unbatched worker would give it."""

import asyncio
import urllib.request

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from recognition import services
from recognition.answers import PREDICTION_FIELDS, prediction_of, recognition_answer
from recognition.tests.samples import GUIDES, placed, unipen_test_samples
from recognition.tests.sockets import next_of_type, open_socket, session_headers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

LABELS = "2345678ABEFHKMNRabdeghkn"  # a different character on each socket


@pytest.fixture
def students(django_user_model):
    """Headers of many logged-in students, each with a session of their own."""
    users = [
        django_user_model.objects.create_user(f"kid{i}", password="pw-12345678")
        for i in range(len(LABELS))
    ]
    return [session_headers(Client(), user) for user in users]


def batch_sizes_seen(metrics_port: int) -> dict[str, float]:
    """The worker's `inkwell_inference_batch_size` histogram: bucket -> batches so far."""
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return {
        line.split('le="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("inkwell_inference_batch_size_bucket")
    }


async def test_every_stroke_of_many_students_is_answered_on_its_own_socket_in_batches(
    students, batched_inference_worker
):
    samples = unipen_test_samples(labels=LABELS, per_label=1)
    sockets = [(await open_socket(headers))[0] for headers in students]
    rounds = max(len(s["strokes"]) for s in samples)
    expected: dict[tuple[int, int], dict] = {}
    received: dict[tuple[int, int], dict] = {}
    for n in range(rounds):
        drawing = [(i, s["strokes"][: n + 1]) for i, s in enumerate(samples)]
        drawing = [(i, strokes) for i, strokes in drawing if len(strokes) == n + 1]
        # Every student's stroke at once: the worker finds them waiting together.
        await asyncio.gather(*[
            sockets[i].send_json_to({"type": "stroke", "seq": n + 1, "points": strokes[-1]})
            for i, strokes in drawing
        ])  # fmt: skip
        for i, strokes in drawing:
            alone = await sync_to_async(services.ink_recognize)(strokes=strokes, source="test")
            expected[i, n + 1] = prediction_of(recognition_answer(alone))
        frames = await asyncio.gather(*[
            next_of_type(sockets[i], "prediction", timeout=10) for i, _ in drawing
        ])  # fmt: skip
        for (i, _), frame in zip(drawing, frames, strict=True):
            received[i, frame["seq"]] = frame
    for socket in sockets:
        await socket.disconnect()

    assert set(received) == set(expected)  # every stroke answered, each on its own socket
    for key, frame in received.items():
        assert {k: frame[k] for k in PREDICTION_FIELDS} == expected[key], key
    sizes = batch_sizes_seen(batched_inference_worker)
    assert sizes["+Inf"] >= 1
    assert sizes["+Inf"] > sizes["1.0"], f"no batch held more than one drawing: {sizes}"


async def test_a_batched_worker_keeps_each_students_guides(students, batched_inference_worker):
    o = unipen_test_samples(labels="o", per_label=1)[0]["strokes"][:1]
    small = placed(o, top=GUIDES["x_height"], bottom=GUIDES["baseline"])
    tall = placed(o, top=GUIDES["cap_height"], bottom=GUIDES["baseline"])
    asks = [(small, GUIDES), (tall, GUIDES), (tall, None), (small, GUIDES)]
    sockets = [(await open_socket(headers))[0] for headers in students[: len(asks)]]
    await asyncio.gather(*[
        socket.send_json_to({"type": "stroke", "seq": 1, "points": strokes[0],
                             **({"guides": guides} if guides else {})})
        for socket, (strokes, guides) in zip(sockets, asks, strict=True)
    ])  # fmt: skip
    frames = await asyncio.gather(*[next_of_type(s, "prediction", timeout=10) for s in sockets])
    for socket in sockets:
        await socket.disconnect()
    for (strokes, guides), frame in zip(asks, frames, strict=True):
        want = await sync_to_async(services.ink_recognize)(
            strokes=strokes, guides=guides, source="test"
        )
        assert frame["candidates"][0]["label"] == want.label
    assert [f["candidates"][0]["label"] for f in frames[:2]] == ["o", "O"]
