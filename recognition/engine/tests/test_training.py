"""A short training run produces a model folder the serving runtime loads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from recognition.engine.ink import parse_ink
from recognition.engine.runtime import Recognizer
from recognition.engine.training import TrainConfig, filter_samples, train


@pytest.mark.slow
def test_a_short_training_run_produces_a_model_the_runtime_loads(
    small_unipen_file: Callable[[int], Path], tmp_path: Path
) -> None:
    data = small_unipen_file(300)
    out = tmp_path / "model"
    lines: list[str] = []
    config = TrainConfig(
        data=[str(data)], out=str(out), epochs=1, width=8, augmented_copies=1, workers=1
    )
    card = train(config, log=lines.append)
    assert any(line.startswith("epoch 1/1") and "val_accuracy" in line for line in lines)
    assert {"version", "preprocessing_version", "classes", "reject_threshold"} <= card.keys()
    assert (out / "model.tflite").is_file() and (out / "model_card.md").is_file()
    recognizer = Recognizer.load(out)
    result = recognizer.recognize(parse_ink([[[0, 0], [10, 40]], [[0, 20], [10, 20]]]))
    assert len(result.candidates) >= 3
    digits = recognizer.recognize(parse_ink([[[0, 0], [5, 5]]]), charset="0123456789")
    assert all(c.label.isdigit() for c in digits.candidates)


def test_fragments_far_smaller_than_the_writers_characters_are_dropped(data_dir: Path) -> None:
    from recognition.engine.datasets import InkSample

    big = parse_ink([[[0, 0], [0, 100]]])
    tiny = parse_ink([[[0, 0], [0, 5]]])
    samples = [InkSample("l", big, "w1", "s", "train") for _ in range(5)]
    samples.append(InkSample("l", tiny, "w1", "s", "train"))
    kept, dropped = filter_samples(samples, fragment_ratio=0.15)
    assert dropped == 1 and len(kept) == 5
