"""The image path on pictures of every size: thin strokes kept, rules and specks dropped."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from recognition.engine.image_renders import Condition, conditions, render_image
from recognition.engine.ink import parse_ink
from recognition.engine.preprocessing import _components, image_to_raster, ink_to_raster

# A "4" in three strokes and an "8" in one (y down).
FOUR = [[[60, 0], [0, 70], [80, 70]], [[60, 0], [60, 100]]]
EIGHT = [
    [
        [50, 50], [20, 30], [25, 5], [50, 0], [75, 5], [80, 30], [50, 50],
        [15, 75], [25, 100], [50, 105], [75, 100], [85, 75], [50, 50],
    ]
]  # fmt: skip


def _strokes(raw: list) -> list[np.ndarray]:
    return [np.asarray(s, dtype=np.float64) for s in raw]


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two rasters' inked pixels."""
    ma, mb = a > 0.3, b > 0.3
    return float((ma & mb).sum() / max((ma | mb).sum(), 1))


def _picture(raw: list, size: int, pen: float, **kw: object) -> bytes:
    return render_image(_strokes(raw), Condition("t", size, pen, **kw), np.random.default_rng(3))  # type: ignore[arg-type]


def test_a_28px_hairline_scan_keeps_its_strokes_whole() -> None:
    raster = image_to_raster(_picture(EIGHT, 28, 0.035, blur=0.3))
    pieces = _components(raster > 0.3)[1]
    assert len(pieces) == 1  # one stroke drawn, one piece seen (a 3x3 median broke it)
    assert _overlap(raster, ink_to_raster(parse_ink(EIGHT))) > 0.4


@pytest.mark.parametrize("size", [28, 64, 256])
def test_thin_and_thick_pens_give_the_same_raster(size: int) -> None:
    thin = image_to_raster(_picture(FOUR, size, 0.035))
    thick = image_to_raster(_picture(FOUR, size, 0.14))
    assert _overlap(thin, thick) > 0.5
    assert abs(float(thin.sum()) - float(thick.sum())) < 0.25 * float(thin.sum())


def test_ruled_lines_are_taken_out() -> None:
    plain = image_to_raster(_picture(FOUR, 256, 0.05))
    ruled = image_to_raster(_picture(FOUR, 256, 0.05, ruled=True, paper=True, perspective=0.06))
    assert _overlap(plain, ruled) > 0.6


def test_a_speck_of_dust_does_not_move_the_character() -> None:
    clean = _picture(FOUR, 200, 0.06)
    img = Image.open(io.BytesIO(clean)).convert("L")
    ImageDraw.Draw(img).ellipse((2, 195, 5, 198), fill=0)  # dust: smaller than the pen
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    assert _overlap(image_to_raster(clean), image_to_raster(buf.getvalue())) > 0.9


def test_faint_grainy_pencil_is_found() -> None:
    raster = image_to_raster(_picture(FOUR, 64, 0.05, pencil=True, paper=True, jpeg=75))
    assert _overlap(raster, image_to_raster(_picture(FOUR, 64, 0.05))) > 0.5


def test_every_condition_of_the_test_set_gives_a_picture_with_ink() -> None:
    for condition in conditions():
        data = render_image(_strokes(FOUR), condition, np.random.default_rng(0))
        assert Image.open(io.BytesIO(data)).size == (condition.size, condition.size)
        assert image_to_raster(data).sum() > 10, condition.name
