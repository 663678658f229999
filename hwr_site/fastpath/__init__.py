"""Copies of library internals, kept because they measured at least 1.3x better than the
library's own path on the figure each exists for (docs/decisions/009-fenced-fast-paths.md,
numbers in docs/benchmarks.md, "Reshape"). Each one sits behind a setting that restores the
stock path; `FASTPATH=false` turns them all off, and `make test-stock` runs the suite's
affected tests that way.

- `replies`: a task's reply to a socket as one blocking PUBLISH, reusing the channels_redis
  pub/sub layer's naming and sharding (`FASTPATH_REPLIES`; stock: the layer's async API).
- `task_messages`: a live task's broker message built here, pushed with one LPUSH
  (`FASTPATH_TASK_MESSAGES`; stock: Celery's `send_task` on the publisher's thread).
- `dispatch`: a consumer's messages dispatched without Channels' per-message
  `close_old_connections` thread hop (`FASTPATH_DISPATCH`; stock: Channels' `dispatch`).

Nothing outside this package reaches into a library's private parts.
"""
