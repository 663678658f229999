"""The batch API and the micro-batcher: a batch answers exactly as its drawings one by one."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from recognition.engine.batching import MicroBatcher
from recognition.engine.ink import parse_ink
from recognition.engine.runtime import Recognition, Recognizer
from recognition.engine.tests.conftest import REPO_ROOT

CANDIDATE_TWO_VIEWS = REPO_ROOT / "recognition" / "candidate_models" / "2"
CHARSETS = [None, "0123456789", "abc", None, "OoQ0", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]


@pytest.fixture(scope="module")
def drawings(unipen_test_rows: list[dict]) -> list[tuple[object, str | None]]:
    rng = np.random.default_rng(14)
    picks = rng.choice(len(unipen_test_rows), 48, replace=False)
    return [
        (parse_ink(unipen_test_rows[i]["strokes"]), CHARSETS[n % len(CHARSETS)])
        for n, i in enumerate(picks)
    ]


def without_latency(recognition: Recognition) -> Recognition:
    return replace(recognition, latency_ms=0.0)


def test_a_batch_answers_as_its_drawings_one_by_one(
    recognizer: Recognizer, drawings: list[tuple[object, str | None]]
) -> None:
    batch = recognizer.recognize_many(drawings)
    one_by_one = [recognizer.recognize(ink, charset=charset) for ink, charset in drawings]
    assert [without_latency(r) for r in batch] == [without_latency(r) for r in one_by_one]


def test_a_two_view_model_batches_as_it_answers_one_by_one(
    drawings: list[tuple[object, str | None]],
) -> None:
    two_views = Recognizer.load(CANDIDATE_TWO_VIEWS)
    assert two_views.points_weight > 0 and two_views.both_directions
    batch = two_views.recognize_many(drawings[:16])
    one_by_one = [two_views.recognize(ink, charset=charset) for ink, charset in drawings[:16]]
    assert [without_latency(r) for r in batch] == [without_latency(r) for r in one_by_one]


def test_each_drawing_in_a_batch_keeps_its_own_charset(
    recognizer: Recognizer, drawings: list[tuple[object, str | None]]
) -> None:
    batch = recognizer.recognize_many(drawings)
    for (_, charset), answer in zip(drawings, batch, strict=True):
        if charset is not None:
            assert {c.label for c in answer.candidates} <= set(charset)


def test_an_empty_batch_runs_nothing(recognizer: Recognizer) -> None:
    assert recognizer.recognize_many([]) == []


def test_concurrent_submits_are_answered_in_one_batch_each_with_its_own_result() -> None:
    seen: list[list[int]] = []
    release = threading.Event()

    def run_batch(items: list[int]) -> list[int]:
        seen.append(list(items))
        release.wait(5)  # the first batch holds until every submit below is queued
        return [item * 10 for item in items]

    batcher: MicroBatcher[int, int] = MicroBatcher(run_batch, max_size=8, max_wait_s=0.0)
    results: dict[int, int] = {}

    def call(item: int) -> None:
        results[item] = batcher.submit(item)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(9)]
    threads[0].start()
    while not seen:  # item 0 is in its own batch, running
        time.sleep(0.001)
    for thread in threads[1:]:
        thread.start()
    while batcher._queue.qsize() < 8:
        time.sleep(0.001)
    release.set()
    for thread in threads:
        thread.join(5)
    assert results == {i: i * 10 for i in range(9)}
    assert seen[0] == [0]
    assert sorted(seen[1]) == list(range(1, 9))  # the eight that waited, in one batch


def test_a_batch_never_exceeds_its_size() -> None:
    sizes: list[int] = []
    gate = threading.Event()

    def run_batch(items: list[int]) -> list[int]:
        sizes.append(len(items))
        gate.wait(5)
        return items

    batcher: MicroBatcher[int, int] = MicroBatcher(run_batch, max_size=3, max_wait_s=0.0)
    threads = [threading.Thread(target=batcher.submit, args=(i,)) for i in range(10)]
    threads[0].start()
    while not sizes:  # the first drawing's batch is running
        time.sleep(0.001)
    for thread in threads[1:]:
        thread.start()
    while batcher._queue.qsize() < 9:
        time.sleep(0.001)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert sizes == [1, 3, 3, 3]


def test_a_lone_drawing_waits_for_company_only_as_long_as_allowed() -> None:
    batcher: MicroBatcher[int, int] = MicroBatcher(lambda items: items, 8, max_wait_s=0.05)
    assert batcher.submit(7) == 7
    assert batcher.batch_sizes == [1]


def test_a_failed_batch_raises_in_every_caller_of_that_batch() -> None:
    def run_batch(items: list[int]) -> list[int]:
        if 13 in items:
            raise RuntimeError("model gone")
        return items

    batcher: MicroBatcher[int, int] = MicroBatcher(run_batch, max_size=4, max_wait_s=0.0)
    with pytest.raises(RuntimeError, match="model gone"):
        batcher.submit(13)
    assert batcher.submit(2) == 2  # the collector lives on


def test_it_rejects_an_impossible_size() -> None:
    with pytest.raises(ValueError):
        MicroBatcher(lambda items: items, max_size=0, max_wait_s=0.001)
