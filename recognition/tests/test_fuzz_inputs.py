"""hypothesis over what strangers can send: the ink parser, the image decoder and the live
socket's message handling. No exception escapes; every bad input gets a stable code."""

import io
import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from recognition.engine.errors import ImageError, InkError
from recognition.engine.ink import parse_ink
from recognition.engine.preprocessing import image_to_raster
from recognition.tests.sockets import open_socket, receive, session_headers

INK_CODES = {"bad_format", "empty_ink", "too_many_strokes", "too_many_points", "bad_coordinate"}
IMAGE_CODES = {"not_an_image", "image_too_large", "decompression_bomb", "busy"}
SOCKET_CODES = INK_CODES | {
    "bad_message", "message_too_large", "bad_json", "bad_seq", "unknown_type", "rate_limited",
    "recognizer_unavailable",
}  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=30,
)
numbers = st.integers(min_value=-(10**400), max_value=10**400) | st.floats(allow_nan=False)
points = st.lists(st.lists(numbers | json_values, min_size=0, max_size=4), max_size=8)
strokes = st.lists(points | json_values, max_size=6)


@settings(max_examples=150, deadline=None)
@given(payload=st.one_of(json_values, strokes, st.fixed_dictionaries({"strokes": strokes})))
def test_the_ink_parser_accepts_or_names_what_is_wrong(payload):
    try:
        ink = parse_ink(payload)
    except InkError as exc:
        assert exc.code in INK_CODES
    else:
        assert ink.strokes


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 0, 0, 255)).save(out, "PNG")
    return out.getvalue()


@st.composite
def damaged_images(draw) -> bytes:
    data = bytearray(png_bytes())
    for _ in range(draw(st.integers(0, 6))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))])


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200) | damaged_images())
def test_the_image_decoder_reads_or_names_what_is_wrong(data):
    try:
        raster = image_to_raster(data)
    except ImageError as exc:
        assert exc.code in IMAGE_CODES
    else:
        assert raster.shape == (28, 28)


frames = st.one_of(
    st.text(min_size=1, max_size=30),  # the test communicator cannot send an empty frame
    st.just("[" * 5000 + "]" * 5000),
    st.builds(json.dumps, json_values),
    st.builds(
        json.dumps,
        st.fixed_dictionaries(
            {"type": st.sampled_from(["stroke", "undo", "clear", "submit", "x"]) | json_values},
            optional={"seq": st.integers(-2, 10**6) | json_values, "points": points | json_values},
        ),
    ),
)


async def drive(headers, sent: list[str]) -> list[dict]:
    communicator, connected = await open_socket(headers)
    assert connected
    replies = []
    for frame in sent:
        await communicator.send_to(text_data=frame)
    # A frame the socket can answer at once, with a seq above any sent: once it is back,
    # every earlier answer (error frames come at once) has arrived, and the socket is open.
    await communicator.send_json_to({"type": "clear", "seq": 10**7})
    while True:
        reply = await receive(communicator)
        if reply.get("seq") == 10**7:
            break
        replies.append(reply)
    await communicator.disconnect()
    return replies


@pytest.mark.django_db(transaction=True)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(sent=st.lists(frames, min_size=1, max_size=6))
def test_the_live_socket_answers_every_frame_and_stays_open(client, django_user_model, sent):
    user = django_user_model.objects.get_or_create(username="fuzz-pat")[0]
    headers = session_headers(client, user)
    channel_layers.backends.clear()  # a Redis layer is bound to the loop of its first use
    replies = async_to_sync(drive)(headers, sent)
    for reply in replies:
        assert reply["type"] in ("prediction", "error"), reply
        if reply["type"] == "error":
            assert reply["code"] in SOCKET_CODES, reply


async def nested_frame_then_a_valid_one(headers, path: str, frame: str) -> tuple[dict, dict]:
    communicator, connected = await open_socket(headers, path)
    assert connected
    await communicator.send_to(text_data=frame)
    error = await receive(communicator)
    await communicator.send_json_to({"type": "clear", "seq": 1})
    after = await receive(communicator)
    await communicator.disconnect()
    return error, after


NESTED_FRAMES = {
    "5000-deep list": "[" * 5000 + "]" * 5000,
    "100k-deep list": "[" * 100_000 + "]" * 100_000,  # 200,000 bytes: under the frame limit
    "40k-deep object": '{"a":' * 40_000 + "1" + "}" * 40_000,  # 240,001 bytes
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("frame", NESTED_FRAMES.values(), ids=NESTED_FRAMES.keys())
def test_a_deeply_nested_frame_is_bad_json_and_the_socket_stays_open(
    client, django_user_model, frame
):
    from hwr_site.realtime.consumer import MAX_FRAME_BYTES

    assert len(frame) <= MAX_FRAME_BYTES
    user = django_user_model.objects.create_user(username="deep-pat")
    headers = session_headers(client, user)
    error, after = async_to_sync(nested_frame_then_a_valid_one)(headers, "/ws/recognize/", frame)
    assert (error["type"], error["code"], error["seq"]) == ("error", "bad_json", None)
    assert (after["type"], after["seq"], after["candidates"]) == ("prediction", 1, [])
