"""A reply from synchronous code (a Celery task) as one blocking PUBLISH on a plain redis-py
connection, made with the channels_redis pub/sub layer's own serialisation, shard choice and
group names (private attributes of `RedisPubSubLoopLayer`): no event loop to run per reply.
Used by `hwr_site.realtime.replies` when `FASTPATH_REPLIES` is on and the layer is Redis
pub/sub on plain hosts (not Sentinel).
"""

import threading
from typing import Any

import redis
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


def publisher_for(layer: Any, timeout: float) -> _Publisher | None:
    """The direct publisher for `layer`, or None when it cannot have one."""
    if not isinstance(layer, RedisPubSubChannelLayer):
        return None
    if any("master_name" in host for host in decode_hosts(layer._kwargs.get("hosts"))):
        return None  # Sentinel stays on the layer's async API
    with _lock:
        publisher = _publishers.get((id(layer), timeout))
        if publisher is None or publisher.layer is not layer:
            publisher = _publishers[id(layer), timeout] = _Publisher(layer, timeout)
        return publisher
