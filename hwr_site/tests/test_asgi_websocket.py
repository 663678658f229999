"""Websockets through the real ASGI server (uvicorn), with the frame limit `make run` sets."""

import asyncio
import json

import pytest
import websockets
from django.test import Client

from hwr_site.realtime.consumer import MAX_FRAME_BYTES

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_oversized_frame_gets_an_error_frame_and_the_socket_stays_open(
    asgi_server, django_user_model
):
    browser = Client()
    browser.force_login(django_user_model.objects.create_user("ws-frames", password="pw-1234567"))
    headers = {"Origin": asgi_server, "Cookie": f"sessionid={browser.cookies['sessionid'].value}"}
    points = [[i % 500, i % 300, i] for i in range(MAX_FRAME_BYTES // 12)]
    frame = json.dumps({"type": "stroke", "seq": 1, "points": points})
    assert len(frame) > MAX_FRAME_BYTES

    async def scenario() -> list[dict]:
        url = f"{asgi_server.replace('http', 'ws')}/ws/recognize/"
        async with websockets.connect(url, additional_headers=headers, max_size=None) as ws:
            await ws.send(frame)
            too_large = json.loads(await asyncio.wait_for(ws.recv(), 10))
            await ws.send(json.dumps({"type": "clear", "seq": 2}))
            after = json.loads(await asyncio.wait_for(ws.recv(), 10))
            return [too_large, after]

    too_large, after = asyncio.run(scenario())
    assert too_large["type"] == "error" and too_large["code"] == "message_too_large"
    assert after["type"] == "prediction" and after["seq"] == 2
