"""The websocket layer every app builds on.

- `hwr_site.realtime.consumer`: `RealtimeConsumer`, the base of every consumer (access decided
  before `accept()`, JSON frames with a size limit, a per-connection rate limit, error
  frames), and the closing codes 4401/4403 (CONTRACTS section 5).
- `hwr_site.realtime.replies`: `send_to_channel` / `send_to_group`, for code outside a
  consumer (Celery tasks) to reach sockets through the channel layer.
- `hwr_site.realtime.publishing`: `TaskPublisher`, tasks sent from a consumer's event loop
  without waiting for the broker.

Nothing here names an app: apps import this package, never the other way.
"""
