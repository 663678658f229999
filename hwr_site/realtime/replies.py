"""Answers from Celery tasks straight to a websocket, through the channel layer.

With the Redis pub/sub layer (every deployment), a reply is one blocking PUBLISH on a plain
redis-py connection, made with the layer's own serialisation, shard choice and group names:
no event loop to run per reply, which cost a worker a third of a reply's time (measured in
docs/benchmarks.md). Any other layer (the in-memory one of embedded mode, where tasks run
eagerly inside the web process, or Redis behind Sentinel) gets the message through its own
async API.
"""

import threading
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer
from channels_redis.utils import decode_hosts


class _Publisher:
    """PUBLISH for one `RedisPubSubChannelLayer`, from synchronous code."""

    def __init__(self, layer: RedisPubSubChannelLayer, timeout: float) -> None:
        self.layer = layer
        # Only its naming and sharding are used; it opens no connection of its own.
        self.naming = RedisPubSubLoopLayer(*layer._args, **layer._kwargs, channel_layer=layer)
        self.clients: dict[int, redis.Redis] = {}
        self.hosts = decode_hosts(layer._kwargs.get("hosts"))
        self.timeout = timeout

    def _client(self, name: str) -> redis.Redis:
        shard = self.naming._shards.index(self.naming._get_shard(name))
        client = self.clients.get(shard)
        if client is None:
            host = dict(self.hosts[shard])
            options = {"socket_timeout": self.timeout, "socket_connect_timeout": self.timeout}
            if "address" in host:
                pool = redis.ConnectionPool.from_url(host.pop("address"), **options, **host)
            else:
                pool = redis.ConnectionPool(**{**options, **host})
            client = self.clients[shard] = redis.Redis(connection_pool=pool)
        return client

    def send(self, channel: str, message: dict[str, Any]) -> None:
        self._client(channel).publish(channel, self.layer.serialize(message))

    def group_send(self, group: str, message: dict[str, Any]) -> None:
        name = self.naming._get_group_channel_name(group)
        self._client(name).publish(name, self.layer.serialize(message))


_publishers: dict[tuple[int, float], _Publisher] = {}
_lock = threading.Lock()


def _publisher_for(layer: RedisPubSubChannelLayer, timeout: float) -> _Publisher:
    with _lock:
        publisher = _publishers.get((id(layer), timeout))
        if publisher is None or publisher.layer is not layer:
            publisher = _publishers[id(layer), timeout] = _Publisher(layer, timeout)
        return publisher


def _plain_hosts(layer: RedisPubSubChannelLayer) -> bool:
    """Hosts given as addresses or connection options (not Sentinel, which stays async)."""
    return not any("master_name" in host for host in decode_hosts(layer._kwargs.get("hosts")))


def _deliver(method: str, target: str, message: dict[str, Any], timeout: float) -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    if isinstance(layer, RedisPubSubChannelLayer) and _plain_hosts(layer):
        getattr(_publisher_for(layer, timeout), method)(target, message)
    else:
        async_to_sync(getattr(layer, method))(target, message)


def send_to_channel(channel: str, message: dict[str, Any], timeout: float = 5.0) -> None:
    """Deliver `message` to one consumer's channel."""
    _deliver("send", channel, message, timeout)


def send_to_group(group: str, message: dict[str, Any], timeout: float = 5.0) -> None:
    """Deliver `message` to every consumer of a group."""
    _deliver("group_send", group, message, timeout)
