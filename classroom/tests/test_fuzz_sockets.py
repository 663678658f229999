"""hypothesis over the classroom sockets' message handling (`/ws/practice/`, the teacher's
`/ws/classes/<id>/live/`): random frames, each answered with a reply or an error frame of a
stable code; no exception escapes and the socket stays open."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from classroom.tests.factories import ExerciseFactory
from hwr_site.realtime.consumer import MAX_FRAME_BYTES
from recognition.tests.fuzzing import (
    DECODE_CODES,
    json_values,
    odd_frames,
    typed_frames,
    undecodable,
)
from recognition.tests.sockets import open_socket, receive, session_headers
from recognition.tests.test_fuzz_inputs import NESTED_FRAMES, nested_frame_then_a_valid_one

pytestmark = pytest.mark.django_db(transaction=True)

INK_CODES = {"bad_format", "empty_ink", "too_many_strokes", "too_many_points", "bad_coordinate"}
PRACTICE_CODES = INK_CODES | DECODE_CODES | {
    "bad_seq", "unknown_type", "rate_limited", "recognizer_unavailable", "bad_guides",
    "bad_target", "target_changed", "bad_submission_id", "not_saved", "just_a_dot", "scribble",
}  # fmt: skip
HUGE_GUIDES = (
    '{"type": "clear", "seq": 1, "guides": {"baseline": 1%s, "x_height": 1, "cap_height": 0}}'
    % ("0" * 400)
)
SENTINEL = 10**30  # a seq above any a frame here carries, in practice

points = st.lists(st.lists(st.integers(-5, 300) | json_values, max_size=3), max_size=6)
guides = st.fixed_dictionaries(
    {"baseline": json_values, "x_height": json_values, "cap_height": json_values}
)
practice_frames = odd_frames | typed_frames(
    ["stroke", "undo", "clear", "submit", "x"],
    seq=st.integers(-2, 10**6),
    points=points,
    target=st.sampled_from(["3", "8", "x", "\x00"]),
    submission_id=st.text(max_size=70),
    guides=guides,
)


async def drive_practice(headers, path, sent):
    communicator, connected = await open_socket(headers, path)
    assert connected
    for frame in sent:
        await communicator.send_to(text_data=frame)
    # Answered at once, after every earlier frame: once it is back, the socket is open and
    # every error frame for what came before has arrived.
    await communicator.send_json_to({"type": "clear", "seq": SENTINEL})
    replies = []
    while (reply := await receive(communicator, timeout=10)).get("seq") != SENTINEL:
        replies.append(reply)
    await communicator.disconnect()
    return replies


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(sent=st.lists(practice_frames, min_size=1, max_size=6))
@example(sent=[HUGE_GUIDES])  # once dropped the socket: the int does not fit a float
def test_the_practice_socket_answers_every_frame_and_stays_open(client, student, classroom, sent):
    exercise = ExerciseFactory.create(classroom=classroom, characters="38", repetitions=1)
    headers = session_headers(client, student)
    channel_layers.backends.clear()  # a Redis layer is bound to the loop of its first use
    replies = async_to_sync(drive_practice)(headers, f"/ws/practice/{exercise.pk}/", sent)
    for reply in replies:
        assert reply["type"] in ("prediction", "result", "error"), reply
        if reply["type"] == "error":
            assert reply["code"] in PRACTICE_CODES, reply
    not_read = [r for r in replies if r["type"] == "error" and r["code"] in DECODE_CODES]
    assert len(not_read) == sum(undecodable(f, MAX_FRAME_BYTES) for f in sent)


async def drive_live(headers, path, sent, expected_errors):
    communicator, connected = await open_socket(headers, path)
    assert connected
    for frame in [*sent, "not json"]:
        await communicator.send_to(text_data=frame)
    # The last frame's error comes after every earlier frame's: the socket is still open.
    replies = [await receive(communicator, timeout=10) for _ in range(expected_errors + 1)]
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()
    return replies


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(sent=st.lists(odd_frames | typed_frames(["attempt", "x"], seq=json_values), max_size=6))
def test_the_live_class_socket_answers_only_what_it_cannot_read_and_stays_open(
    client, teacher, classroom, sent
):
    # It receives nothing: a JSON object is ignored, anything else is an error frame.
    headers = session_headers(client, teacher)
    channel_layers.backends.clear()
    expected = sum(undecodable(f, MAX_FRAME_BYTES) for f in sent)
    path = f"/ws/classes/{classroom.pk}/live/"
    replies = async_to_sync(drive_live)(headers, path, sent, expected)
    assert all(r["type"] == "error" and r["code"] in DECODE_CODES for r in replies), replies
    assert replies[-1]["code"] == "bad_json"


@pytest.mark.parametrize("frame", NESTED_FRAMES.values(), ids=NESTED_FRAMES.keys())
def test_a_deeply_nested_frame_on_the_practice_socket_is_bad_json_and_it_stays_open(
    client, student, exercise, frame
):
    headers = session_headers(client, student)
    path = f"/ws/practice/{exercise.pk}/"
    error, after = async_to_sync(nested_frame_then_a_valid_one)(headers, path, frame)
    assert (error["type"], error["code"], error["seq"]) == ("error", "bad_json", None)
    assert (after["type"], after["seq"], after["candidates"]) == ("prediction", 1, [])
