"""Preprocessing version 2 served: raster + pen path mixed for ink, raster alone for images,
each with its own reject threshold; version 1 folders still load and serve."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from recognition.engine.errors import ModelError
from recognition.engine.ink import parse_ink
from recognition.engine.points import ink_to_points
from recognition.engine.preprocessing import ink_to_raster
from recognition.engine.runtime import POINTS_TFLITE_NAME, Recognizer

SHIPPED = Path(__file__).resolve().parents[2] / "candidate_models" / "2"
# A "7" and an "L" (y down).
SEVEN = parse_ink([[[0, 0], [60, 0], [25, 100]]])
ELL = parse_ink([[[0, 0], [0, 100], [60, 100]]])


@pytest.fixture(scope="module")
def shipped() -> Recognizer:
    return Recognizer.load(SHIPPED)


def _copy(tmp_path: Path, **card_changes: object) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(SHIPPED, folder)
    card = json.loads((folder / "model_card.json").read_text())
    card.update(card_changes)
    card = {k: v for k, v in card.items() if v is not None}
    (folder / "model_card.json").write_text(json.dumps(card))
    return folder


def _picture() -> bytes:
    img = Image.new("L", (120, 120), 240)
    ImageDraw.Draw(img).line([(30, 20), (90, 20), (50, 100)], fill=20, width=8)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_the_shipped_model_reads_both_views(shipped: Recognizer) -> None:
    assert shipped.card["preprocessing_version"] == "2"
    assert 0.0 < shipped.points_weight <= 1.0
    assert 0 < shipped.image_reject_threshold < 1


def test_ink_is_answered_with_the_two_views_mixed_by_the_cards_weight(
    shipped: Recognizer,
) -> None:
    w = shipped.points_weight
    mixed = shipped.ink_probabilities([SEVEN, ELL])
    assert shipped._points_batch is not None
    points = shipped._points_batch.run(np.stack([ink_to_points(SEVEN), ink_to_points(ELL)]))
    if shipped.both_directions:
        back = [ink_to_points([s[::-1] for s in i.strokes]) for i in (SEVEN, ELL)]
        points = (points + shipped._points_batch.run(np.stack(back))) / 2
    raster = shipped.probabilities(np.stack([ink_to_raster(SEVEN), ink_to_raster(ELL)]))
    expected = points if w >= 1.0 else (1 - w) * raster + w * points
    assert np.allclose(mixed, expected, atol=1e-6)
    assert [shipped.decide(p).label for p in mixed] == ["7", "L"]


def test_a_version_1_folder_still_serves_with_the_raster_alone(tmp_path: Path) -> None:
    folder = _copy(tmp_path, preprocessing_version="1", points_weight=None, points_version=None)
    (folder / POINTS_TFLITE_NAME).unlink()
    old = Recognizer.load(folder)
    assert old.points_weight == 0.0
    raster = old.probabilities(ink_to_raster(SEVEN)[None])
    assert np.allclose(old.ink_probabilities([SEVEN]), raster)
    assert old.recognize(SEVEN).label == "7"


def test_a_version_2_card_without_its_pen_path_model_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / POINTS_TFLITE_NAME).unlink()
    with pytest.raises(ModelError) as err:
        Recognizer.load(folder)
    assert err.value.code == "model_incompatible"


def test_an_unknown_preprocessing_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as err:
        Recognizer.load(_copy(tmp_path, preprocessing_version="3"))
    assert err.value.code == "model_incompatible"


def test_images_are_judged_by_their_own_reject_threshold(tmp_path: Path) -> None:
    strict = Recognizer.load(_copy(tmp_path, image_reject_threshold=0.0))
    assert strict.recognize_image(_picture()).rejected  # every picture declined ...
    assert not strict.recognize(SEVEN).rejected  # ... while ink keeps its threshold
    assert not Recognizer.load(SHIPPED).recognize_image(_picture()).rejected


def test_a_character_drawn_backwards_reads_as_the_same_character(shipped: Recognizer) -> None:
    assert shipped.both_directions
    backwards = parse_ink([[[25, 100], [60, 0], [0, 0]]])  # the 7, from its foot
    ahead, behind = shipped.ink_probabilities([SEVEN, backwards])
    assert np.allclose(ahead, behind, atol=1e-6)  # how it was drawn is formation's business
