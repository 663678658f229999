"""Many threads' calls answered by one batched call: the live path's micro-batcher.

An inference worker on Celery's thread pool runs up to N live tasks at once; each task
thread hands its drawing to :meth:`MicroBatcher.submit` and waits. One collector thread
takes what is waiting, waits at most ``max_wait_s`` for the batch to fill up to
``max_size``, and runs ``run_batch`` once for all of them: on a GPU one ``session.run`` of N
drawings costs about what one costs. A failure of ``run_batch`` is raised in every caller
of that batch; each item's own errors (bad ink) are the caller's to raise before it submits.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = threading.Event()
        self.result: R | None = None
        self.error: BaseException | None = None


class MicroBatcher(Generic[T, R]):
    """Gathers concurrent :meth:`submit` calls into calls of ``run_batch`` (in order, one
    result per item) of at most ``max_size`` items, each batch waiting at most
    ``max_wait_s`` after its first item for more."""

    def __init__(
        self, run_batch: Callable[[list[T]], list[R]], max_size: int, max_wait_s: float
    ) -> None:
        if max_size < 1 or max_wait_s < 0:
            raise ValueError("max_size must be at least 1 and max_wait_s at least 0")
        self.run_batch = run_batch
        self.max_size = max_size
        self.max_wait_s = max_wait_s
        self._queue: queue.SimpleQueue[_Slot[T, R]] = queue.SimpleQueue()
        self._start_lock = threading.Lock()
        self._collector: threading.Thread | None = None
        #: Sizes of the batches run so far, for tests and benchmarks (bounded).
        self.batch_sizes: list[int] = []

    def submit(self, item: T) -> R:
        """``run_batch``'s result for ``item``, computed together with whatever else waits."""
        self._ensure_collector()
        slot: _Slot[T, R] = _Slot(item)
        self._queue.put(slot)
        slot.done.wait()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]  # set with done

    def _ensure_collector(self) -> None:
        if self._collector is not None and self._collector.is_alive():
            return
        with self._start_lock:
            if self._collector is None or not self._collector.is_alive():
                self._collector = threading.Thread(
                    target=self._collect, name="inference-batcher", daemon=True
                )
                self._collector.start()

    def _take(self) -> list[_Slot[T, R]]:
        batch = [self._queue.get()]
        deadline = time.monotonic() + self.max_wait_s
        while len(batch) < self.max_size:
            try:  # what already waits first, without a timed wait
                batch.append(self._queue.get_nowait())
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _collect(self) -> None:
        while True:
            batch = self._take()
            try:
                results = self.run_batch([slot.item for slot in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"run_batch gave {len(results)} results for {len(batch)}")
                for slot, result in zip(batch, results, strict=True):
                    slot.result = result
            except BaseException as exc:  # noqa: BLE001 - handed to every caller of the batch
                for slot in batch:
                    slot.error = exc
            if len(self.batch_sizes) < 100_000:
                self.batch_sizes.append(len(batch))
            for slot in batch:
                slot.done.set()
