"""Live tasks handed to `hwr_site.realtime.publishing.TaskPublisher`, on its fast path (the
message built and pushed straight to the Redis broker) and on the stock one (`send_task`).

Each test uses a queue of its own, so the session's Celery worker never takes the messages.
"""

import asyncio
import base64
import json
import time
import uuid
from typing import cast

import kombu.exceptions
import pytest
import redis
from celery import Celery

from hwr_site.celery import app
from hwr_site.fastpath.task_messages import CLIENT_NAME
from hwr_site.realtime.publishing import TaskPublisher
from recognition.tasks import recognize_ink

KWARGS = {
    "reply_channel": "specific.abc!def",
    "seq": 4,
    "strokes": [[[1, 2, 0], [3.5, 4, 16]], [[5, 6]]],
    "charset": "0123456789",
    "queued_at": 1796000000.25,
}


@pytest.fixture(params=[True, False], ids=["fast", "stock"])
def fast(request) -> bool:
    return bool(request.param)


@pytest.fixture
def queue_name(redis_url):
    name = f"publishing-test-{uuid.uuid4().hex[:8]}"
    yield name
    # apply_async also leaves kombu's record of the queue's binding.
    redis.Redis.from_url(redis_url).delete(name, f"_kombu.binding.{name}")


def _received(redis_url: str, queue_name: str, count: int) -> list[dict]:
    """Take the queue's messages, oldest first (as a worker would), once `count` are there."""
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 5
    while cast(int, client.llen(queue_name)) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    with client.pipeline() as pipe:  # LPUSH adds on the left: the oldest is last
        pipe.lrange(queue_name, 0, -1)
        pipe.delete(queue_name)
        raw = cast(list[bytes], pipe.execute()[0])
    messages = [json.loads(item) for item in reversed(raw)]
    for message in messages:
        message["body"] = json.loads(base64.b64decode(message["body"]))
    return messages


def _send(publisher: TaskPublisher, kwargs: dict, within_s: float = 5.0) -> list:
    errors: list = []
    publisher.send_soon(kwargs, kwargsrepr="{'seq': 4}", within_s=within_s, on_error=errors.append)
    return errors


async def test_a_live_task_is_the_message_apply_async_would_send(redis_url, queue_name):
    recognize_ink.apply_async(
        kwargs=KWARGS,
        queue=queue_name,
        kwargsrepr="{'seq': 4}",  # type: ignore[call-arg]  # documented; not in celery-types
        retry=False,
    )
    [celerys] = _received(redis_url, queue_name, 1)
    errors = _send(TaskPublisher(app, recognize_ink.name, queue_name, fast=True), KWARGS)
    [ours] = await asyncio.to_thread(_received, redis_url, queue_name, 1)

    assert not errors
    assert ours["body"] == celerys["body"]
    assert ours.keys() == celerys.keys()
    assert {k: v for k, v in ours.items() if k not in ("headers", "properties", "body")} == {
        k: v for k, v in celerys.items() if k not in ("headers", "properties", "body")
    }
    per_message = {"id", "root_id", "origin", "correlation_id", "reply_to", "delivery_tag"}
    # apply_async also copies its unknown kwargsrepr option into the properties.
    del celerys["properties"]["kwargsrepr"]
    for part in ("headers", "properties"):
        assert ours[part].keys() == celerys[part].keys(), part
        for key in ours[part].keys() - per_message:
            assert ours[part][key] == celerys[part][key], (part, key)
    task_id = ours["headers"]["id"]
    assert ours["headers"]["root_id"] == ours["properties"]["correlation_id"] == task_id


async def test_tasks_reach_the_queue_in_the_order_they_were_handed_over(
    redis_url, queue_name, fast
):
    publisher = TaskPublisher(app, recognize_ink.name, queue_name, fast=fast)
    for seq in range(20):
        _send(publisher, {**KWARGS, "seq": seq})
    messages = await asyncio.to_thread(_received, redis_url, queue_name, 20)
    assert [m["body"][1]["seq"] for m in messages] == list(range(20))
    assert len({m["headers"]["id"] for m in messages}) == 20


async def test_a_task_that_could_not_leave_in_time_is_not_sent(redis_url, queue_name, fast):
    publisher = TaskPublisher(app, recognize_ink.name, queue_name, fast=fast)
    late = _send(publisher, {**KWARGS, "seq": 1}, within_s=0)  # its deadline passed on arrival
    on_time = _send(publisher, {**KWARGS, "seq": 2})
    messages = await asyncio.to_thread(_received, redis_url, queue_name, 1)
    await asyncio.sleep(0.2)
    messages += await asyncio.to_thread(_received, redis_url, queue_name, 0)
    assert [m["body"][1]["seq"] for m in messages] == [2]
    assert late == on_time == []  # skipped is not failed: the consumer's timeout answers it


async def test_tasks_still_leave_after_the_broker_dropped_the_connection(redis_url, queue_name):
    publisher = TaskPublisher(app, recognize_ink.name, queue_name, fast=True)
    errors = _send(publisher, {**KWARGS, "seq": 1})
    assert len(await asyncio.to_thread(_received, redis_url, queue_name, 1)) == 1
    client = redis.Redis.from_url(redis_url)
    mine = [c for c in cast(list[dict], client.client_list()) if c.get("name") == CLIENT_NAME]
    assert mine, "the publisher's connection names itself"
    for connection in mine:
        client.client_kill_filter(_id=connection["id"])
    errors += _send(publisher, {**KWARGS, "seq": 2})
    messages = await asyncio.to_thread(_received, redis_url, queue_name, 1)
    assert [m["body"][1]["seq"] for m in messages] == [2]
    assert errors == []


async def test_an_unreachable_broker_is_reported_on_the_callers_loop(fast):
    broken = Celery(broker="redis://127.0.0.1:1/0")  # nothing listens on port 1
    publisher = TaskPublisher(broken, recognize_ink.name, "inference", fast=fast)
    loop = asyncio.get_running_loop()
    reported: asyncio.Future = loop.create_future()

    def on_error(exc: BaseException) -> None:
        reported.set_result((exc, asyncio.get_running_loop()))

    publisher.send_soon(KWARGS, kwargsrepr="{}", within_s=5, on_error=on_error)
    error, called_on = await asyncio.wait_for(reported, 10)
    assert isinstance(error, redis.ConnectionError if fast else kombu.exceptions.OperationalError)
    assert called_on is loop


def test_a_broker_other_than_redis_is_refused():
    with pytest.raises(ValueError, match="Redis broker"):
        TaskPublisher(
            Celery(broker="amqp://guest@127.0.0.1//"), recognize_ink.name, "inference", fast=True
        )
