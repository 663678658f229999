"""Talking to the real ASGI application's websockets in tests."""

import json
from typing import Any

from channels.testing import WebsocketCommunicator

from hwr_site.asgi import application

ORIGIN = (b"origin", b"http://testserver")


def session_headers(client: Any, user: Any) -> list[tuple[bytes, bytes]]:
    """Headers a logged-in browser on the site would send: its origin and session cookie."""
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    return [ORIGIN, (b"cookie", cookie.encode())]


async def open_socket(headers: list[tuple[bytes, bytes]], path: str = "/ws/recognize/"):
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


async def receive(communicator: WebsocketCommunicator, timeout: float = 5) -> dict[str, Any]:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def next_of_type(
    communicator: WebsocketCommunicator, kind: str, timeout: float = 5
) -> dict[str, Any]:
    while True:
        frame = await receive(communicator, timeout)
        if frame["type"] == kind:
            return frame
