"""Talking to the room's socket in tests, through the real ASGI application."""

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from recognition.tests.sockets import ORIGIN, session_headers


async def join(client: Any, user: Any, classroom_id: int, after: int | None = None):
    """A connected room socket for `user` (None: anonymous) and the frames it got first:
    the room's state and its backlog of messages."""
    headers = (
        [ORIGIN] if user is None else await database_sync_to_async(session_headers)(client, user)
    )
    path = f"/ws/classes/{classroom_id}/chat/" + (f"?after={after}" if after is not None else "")
    from hwr_site.asgi import application

    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def frames(communicator: WebsocketCommunicator, kind: str, n: int, timeout: float = 5):
    """The next `n` frames of type `kind` (others skipped)."""
    got: list[dict[str, Any]] = []
    while len(got) < n:
        frame = json.loads(await communicator.receive_from(timeout=timeout))
        if frame["type"] == kind:
            got.append(frame)
    return got


async def next_frame(communicator: WebsocketCommunicator, kind: str, timeout: float = 5):
    return (await frames(communicator, kind, 1, timeout))[0]


async def nothing_of(communicator: WebsocketCommunicator, kind: str, wait: float = 0.5) -> bool:
    """No frame of type `kind` arrives within `wait` seconds (other frames are read)."""
    import asyncio

    try:
        async with asyncio.timeout(wait):
            while True:
                frame = json.loads(await communicator.receive_from(timeout=wait))
                if frame["type"] == kind:
                    return False
    except TimeoutError:
        return True


async def say(communicator: WebsocketCommunicator, body: str, client_id: str = "c1") -> None:
    await communicator.send_json_to({"type": "message", "body": body, "client_id": client_id})
