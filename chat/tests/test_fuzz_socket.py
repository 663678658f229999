"""hypothesis over the class room socket's message handling (`/ws/classes/<id>/chat/`):
every random frame gets a reply (the message it posted, the history it asked for) or an
error frame with a stable code; no exception escapes and the socket stays open."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat.consumers import ChatConsumer
from chat.tests.sockets import join
from recognition.tests.fuzzing import (
    DECODE_CODES,
    json_values,
    odd_frames,
    typed_frames,
    undecodable,
)

pytestmark = pytest.mark.django_db(transaction=True)

CHAT_CODES = DECODE_CODES | {
    "unknown_type", "rate_limited", "empty_message", "message_too_long", "bad_client_id",
    "not_allowed", "muted", "room_closed", "archived", "no_such_message", "no_such_student",
    "bad_minutes",
}  # fmt: skip
REPLIES = ("error", "message", "history")  # presence and state frames come unasked

chat_frames = odd_frames | typed_frames(
    ["message", "history", "remove", "mute", "unmute", "close", "open", "x"],
    body=st.text(max_size=20),
    client_id=st.text(max_size=70),
    before=st.integers(-(10**20), 10**20),
    id=st.integers(-5, 10**20),
    student_id=st.integers(-5, 10**20),
    minutes=st.integers(-5, 10**6) | json_values,
)


async def drive(client, student, classroom_id, sent):
    communicator = await join(client, student, classroom_id)
    for frame in [*sent, json.dumps({"type": "history", "before": 0})]:
        await communicator.send_to(text_data=frame)
    replies: list[dict] = []
    # One reply a frame at least (a /command's bot answer is a second); the last frame's
    # reply arriving shows the socket stayed open. A frame left unanswered times out here.
    while len([r for r in replies if r["type"] in REPLIES]) < len(sent) + 1:
        replies.append(json.loads(await communicator.receive_from(timeout=10)))
    await communicator.disconnect()
    return [r for r in replies if r["type"] in REPLIES]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(sent=st.lists(chat_frames, min_size=1, max_size=6))
def test_the_room_socket_answers_every_frame_and_stays_open(client, student, classroom, sent):
    channel_layers.backends.clear()  # a Redis layer is bound to the loop of its first use
    replies = async_to_sync(drive)(client, student, classroom.pk, sent)
    for reply in replies:
        if reply["type"] == "error":
            assert reply["code"] in CHAT_CODES, reply
    not_read = [r for r in replies if r["type"] == "error" and r["code"] in DECODE_CODES]
    expected = sum(undecodable(f, ChatConsumer.max_frame_bytes) for f in sent)
    assert len(not_read) >= expected  # bad_message also names a bad body or id
