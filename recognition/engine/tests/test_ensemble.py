"""Averaging trained models gives one model folder the serving runtime loads unchanged."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from recognition.engine.ensemble import build_ensemble
from recognition.engine.preprocessing import ink_to_raster
from recognition.engine.runtime import Recognizer
from recognition.engine.scribbles import make_scribbles


@pytest.mark.slow
def test_an_average_of_a_model_with_itself_serves_like_the_model(
    small_unipen_file: Callable[[int], Path],
    shipped_model_dir: Path,
    recognizer: Recognizer,
    tmp_path: Path,
) -> None:
    data = small_unipen_file(200)
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(shipped_model_dir, a)
    shutil.copytree(shipped_model_dir, b)
    out = tmp_path / "avg"
    lines: list[str] = []
    card = build_ensemble([a, b], out, data=[str(data)], quantize=True, log=lines.append)
    assert any(line.startswith("val (before rejection)") for line in lines)
    assert card["ensemble"]["combination"].startswith("mean")
    assert len(card["ensemble"]["members"]) == 2 and 0 < card["reject_threshold"] < 1
    averaged = Recognizer.load(out)
    x = np.stack([ink_to_raster(s) for s in make_scribbles(8, 3)])
    np.testing.assert_allclose(averaged.probabilities(x), recognizer.probabilities(x), atol=1e-4)
