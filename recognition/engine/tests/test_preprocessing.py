"""The one preprocessing path: ink and images to the same normalised raster."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from recognition.engine import preprocessing
from recognition.engine.errors import ImageError
from recognition.engine.ink import Ink, parse_ink
from recognition.engine.preprocessing import (
    SIZE,
    image_to_raster,
    ink_to_raster,
    raster_to_png,
)
from recognition.engine.tests.drawing import render_png

# A "4" in canvas-like units: an open top, a cross bar and a long down stroke.
FOUR = [
    [[30, 10], [12, 60], [60, 60]],
    [[45, 25], [45, 100]],
]


def _moved(strokes: list, scale: float, dx: float, dy: float) -> Ink:
    return parse_ink([[[x * scale + dx, y * scale + dy] for x, y in s] for s in strokes])


def test_the_raster_has_the_model_shape_and_range() -> None:
    raster = ink_to_raster(parse_ink(FOUR))
    assert raster.shape == (SIZE, SIZE)
    assert raster.dtype == np.float32
    assert raster.min() >= 0.0 and raster.max() == pytest.approx(1.0)


def test_the_same_character_at_another_offset_and_scale_gives_the_same_raster() -> None:
    base = ink_to_raster(_moved(FOUR, 1, 0, 0))
    moved = ink_to_raster(_moved(FOUR, 3.7, -500, 1234))
    assert np.abs(base - moved).max() < 0.02


def test_canvas_sized_and_tablet_sized_ink_agree() -> None:
    canvas = ink_to_raster(_moved(FOUR, 2.5, 40, 40))  # a 300 px browser canvas
    tablet = ink_to_raster(_moved(FOUR, 180, 20_000, 5_000))  # 0.01 mm tablet units
    assert np.abs(canvas - tablet).max() < 0.02


def test_the_glyph_is_centred_and_keeps_its_aspect_ratio() -> None:
    raster = ink_to_raster(parse_ink([[[0, 0], [0, 100]]]))  # a tall thin "l"
    cols = np.nonzero(raster.sum(axis=0) > 0.1)[0]
    rows = np.nonzero(raster.sum(axis=1) > 0.1)[0]
    assert cols.max() - cols.min() <= 4
    assert rows.max() - rows.min() >= 20
    assert abs((rows.min() + rows.max()) / 2 - (SIZE - 1) / 2) <= 1


def test_the_stroke_width_is_relative_to_the_character() -> None:
    small = ink_to_raster(_moved(FOUR, 0.1, 0, 0)).sum()
    large = ink_to_raster(_moved(FOUR, 50, 0, 0)).sum()
    assert small == pytest.approx(large, rel=0.02)


def test_edges_are_anti_aliased() -> None:
    raster = ink_to_raster(parse_ink([[[0, 0], [100, 37]], [[0, 50], [100, 60]]]))
    assert ((raster > 0.05) & (raster < 0.95)).sum() > 10


def test_a_single_dot_renders_without_error() -> None:
    assert ink_to_raster(parse_ink([[[5, 5]]])).sum() > 0


def test_an_image_of_rendered_ink_gives_nearly_the_ink_raster() -> None:
    ink = _moved(FOUR, 1, 0, 0)
    from_image = image_to_raster(render_png(ink))
    assert np.abs(from_image - ink_to_raster(ink)).mean() < 0.05


def test_light_ink_on_dark_paper_is_inverted_automatically() -> None:
    ink = _moved(FOUR, 1, 0, 0)
    dark = image_to_raster(render_png(ink, invert=True))
    light = image_to_raster(render_png(ink))
    assert np.abs(dark - light).mean() < 0.02


def test_thick_and_thin_pens_are_brought_to_the_same_width() -> None:
    ink = _moved(FOUR, 1, 0, 0)
    thin = image_to_raster(render_png(ink, width=3))
    thick = image_to_raster(render_png(ink, width=22))
    assert thin.sum() == pytest.approx(thick.sum(), rel=0.25)


def test_a_transparent_canvas_export_is_read_through_its_alpha() -> None:
    ink = _moved(FOUR, 1, 0, 0)
    gray = Image.open(io.BytesIO(render_png(ink)))
    rgba = Image.new("RGBA", gray.size, (0, 0, 0, 0))
    rgba.putalpha(Image.eval(gray, lambda v: 255 - v))
    buf = io.BytesIO()
    rgba.save(buf, format="PNG")
    assert np.abs(image_to_raster(buf.getvalue()) - ink_to_raster(ink)).mean() < 0.05


def test_a_blank_page_gives_an_empty_raster() -> None:
    buf = io.BytesIO()
    Image.new("L", (100, 100), 240).save(buf, format="PNG")
    assert not image_to_raster(buf.getvalue()).any()


def _code(data: bytes) -> str:
    with pytest.raises(ImageError) as info:
        image_to_raster(data)
    return info.value.code


def test_non_images_are_rejected() -> None:
    assert _code(b"this is not a picture") == "not_an_image"


def test_files_over_5_mb_are_rejected_before_decoding() -> None:
    assert _code(b"\x89PNG" + b"\0" * (5 * 1024 * 1024)) == "image_too_large"


def test_images_over_4096_px_a_side_are_rejected() -> None:
    buf = io.BytesIO()
    Image.new("1", (4097, 8)).save(buf, format="PNG")
    assert _code(buf.getvalue()) == "image_too_large"


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_rejected_before_decoding() -> None:
    assert _code(_png_header_only(60_000, 60_000)) == "decompression_bomb"


def test_a_truncated_image_is_not_an_image() -> None:
    png = render_png(parse_ink(FOUR))
    assert _code(png[: len(png) // 2]) == "not_an_image"


def test_raster_to_png_shows_dark_ink_on_white() -> None:
    png = raster_to_png(ink_to_raster(parse_ink(FOUR)), scale=4)
    img = Image.open(io.BytesIO(png))
    assert img.size == (SIZE * 4, SIZE * 4)
    arr = np.asarray(img)
    assert arr[0, 0] == 255 and arr.min() == 0


def _pillow_curve_raster(ink: Ink, width_scale: float) -> np.ndarray:
    """The raster as Pillow's own `line(..., joint="curve")` draws it: what every shipped model
    was trained on. `_curve_joints` must match it pixel for pixel."""
    strokes = [np.asarray(s, dtype=np.float64)[:, :2] for s in ink.strokes]
    allpts = np.concatenate(strokes)
    lo, hi = allpts.min(axis=0), allpts.max(axis=0)
    big, box = SIZE * preprocessing.SUPERSAMPLE, preprocessing.BOX * preprocessing.SUPERSAMPLE
    scale = box / float((hi - lo).max())
    offset = big / 2.0 - (lo + hi) / 2.0 * scale
    width = max(1.0, preprocessing.STROKE_WIDTH * box * width_scale)
    img = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(img)
    for s in [np.round(s * scale + offset, 6) for s in strokes]:
        if len(s) > 1:
            draw.line(s.ravel().tolist(), fill=255, width=round(width), joint="curve")
        for x, y in (s[0], s[-1]):
            r = width / 2.0
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(img.reduce(preprocessing.SUPERSAMPLE), dtype=np.float32) / 255.0


@pytest.mark.parametrize("width_scale", [0.45, 0.7, 1.0, 1.45])
def test_joints_are_drawn_exactly_as_pillow_draws_them(
    unipen_test_rows: list[dict], width_scale: float
) -> None:
    # Widths 4 (no joints), 6 (pie slices) and 9 to 13 (pie slices and gap lines).
    samples = [
        row
        for label in "aBcdefgS258"
        for row in [r for r in unipen_test_rows if r["label"] == label][:12]
    ]
    for sample in samples:
        ink = parse_ink(sample["strokes"])
        expected = _pillow_curve_raster(ink, width_scale)
        assert np.array_equal(ink_to_raster(ink, width_scale=width_scale), expected), sample
