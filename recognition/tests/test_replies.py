"""Replies from synchronous task code to consumers, through the real Redis pub/sub layer."""

import asyncio
import socket
import time

import pytest
import redis
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import override_settings

from hwr_site.realtime.replies import send_to_channel, send_to_group

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


async def test_a_reply_reaches_one_channel_and_a_group_send_every_member(redis_url):
    layer = get_channel_layer()
    assert type(layer).__name__ == "RedisPubSubChannelLayer"
    one, two = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("class-7", one)
    await layer.group_add("class-7", two)
    answer = {"type": "prediction.ready", "seq": 3, "candidates": [{"label": "7", "p": 0.9}]}
    await asyncio.to_thread(send_to_channel, one, answer)
    assert await asyncio.wait_for(layer.receive(one), 5) == answer
    await asyncio.to_thread(send_to_group, "class-7", {"type": "attempt.recorded", "id": 1})
    for member in (one, two):
        received = await asyncio.wait_for(layer.receive(member), 5)
        assert received == {"type": "attempt.recorded", "id": 1}


async def test_an_unreachable_redis_raises_within_the_timeout(redis_url):
    # A port that accepts connections and never answers: only the timeout ends the wait.
    silent = socket.create_server(("127.0.0.1", 0))
    layers = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{silent.getsockname()[1]}/0"]},
        }
    }
    with silent, override_settings(CHANNEL_LAYERS=layers):
        from channels.layers import channel_layers

        channel_layers.backends.clear()
        # The fast path's socket timeout, or the stock path's wait around the layer's send.
        expected = redis.exceptions.TimeoutError if settings.FASTPATH_REPLIES else TimeoutError
        with pytest.raises(expected):
            await asyncio.to_thread(send_to_channel, "specific.x", {"type": "t"}, 0.5)


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
async def test_another_layer_gets_the_message_through_its_own_api():
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await asyncio.to_thread(send_to_channel, channel, {"type": "t", "n": 1})
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "t", "n": 1}


@pytest.mark.django_db
async def test_a_live_prediction_queued_too_long_ago_is_dropped(redis_url):
    from recognition.tasks import LIVE_PREDICTION_EXPIRES_S, recognize_ink

    layer = get_channel_layer()
    channel = await layer.new_channel()
    drawing = {"reply_channel": channel, "strokes": [[[0, 0], [5, 40]]], "charset": None}
    stale = time.time() - LIVE_PREDICTION_EXPIRES_S - 1
    await asyncio.to_thread(recognize_ink.run, seq=1, queued_at=stale, **drawing)
    await asyncio.to_thread(recognize_ink.run, seq=2, queued_at=time.time(), **drawing)
    answer = await asyncio.wait_for(layer.receive(channel), 10)
    assert answer["type"] == "prediction.ready" and answer["seq"] == 2  # seq 1 never came
