"""The one path from ink, or from a photo/scan, to the model's input raster.

Both paths end the same way: a binary glyph drawn at ``SUPERSAMPLE`` times the raster size,
fitted into a ``BOX``-pixel square keeping its aspect ratio, centred on its bounding box,
with a stroke width proportional to that box, then box-filtered down (anti-aliasing).
Training, evaluation and serving all call :func:`ink_to_raster` / :func:`image_to_raster`
unchanged; ``PREPROCESSING_VERSION`` is stored in the model card and checked at load.
"""

from __future__ import annotations

import io
import math
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, UnidentifiedImageError

from .errors import ImageBusyError, ImageError
from .ink import Ink

PREPROCESSING_VERSION = "1"
SIZE = 28  # model input is SIZE x SIZE, one channel, ink = 1.0 on 0.0
SUPERSAMPLE = 4  # drawn at 4x then averaged down: anti-aliased edges
BOX = 22.0  # the glyph's longer side spans this many raster pixels
STROKE_WIDTH = 0.1  # stroke width as a fraction of BOX (about 2.2 px at 28x28)

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_SIDE = 4096
# A header claiming far more pixels than any allowed image is a decompression bomb.
BOMB_PIXELS = 4 * MAX_IMAGE_SIDE * MAX_IMAGE_SIDE
_WORK_SIDE = 512  # photos are shrunk to this before any per-pixel work


class PixelBudget:
    """Decoded pixels in flight in this process, at most `limit` at a time.

    A full-size image costs about 4 bytes a pixel while it is decoded (then it is shrunk to
    `_WORK_SIDE`), so the budget bounds the memory that parallel uploads can take. A decode
    waits up to `wait_s` for room, then is refused (``busy``). One image larger than the
    whole budget still runs, alone.
    """

    def __init__(self, limit: int, wait_s: float) -> None:
        self.limit = limit
        self.wait_s = wait_s
        self.used = 0
        self._room = threading.Condition()

    @contextmanager
    def reserve(self, pixels: int) -> Iterator[None]:
        deadline = time.monotonic() + self.wait_s
        with self._room:
            while self.used and self.used + pixels > self.limit:
                left = deadline - time.monotonic()
                if left <= 0 or not self._room.wait(left):
                    raise ImageBusyError("busy", "too many images are being read; try again")
            self.used += pixels
        try:
            yield
        finally:
            with self._room:
                self.used -= pixels
                self._room.notify_all()


# Two full-size 4096x4096 images decoded at once, about 128 MB (issue #16: 16 parallel
# uploads of that size keep the server under 400 MB).
DECODE_BUDGET = PixelBudget(limit=2 * MAX_IMAGE_SIDE * MAX_IMAGE_SIDE, wait_s=20.0)
# Pillow allocates big images in blocks of 16 MiB, under glibc's largest mmap threshold
# (32 MiB): freed, they stay in the process's heap, and parallel uploads left it at three
# times its size. Blocks of 64 MiB are mapped and unmapped whole.
Image.core.set_block_size(64 * 1024 * 1024)
# EXIF orientation -> the transpose that shows the photo upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _points_list(strokes: Sequence[np.ndarray]) -> list[np.ndarray]:
    return [np.asarray(s, dtype=np.float64)[:, :2] for s in strokes if len(s)]


def ink_to_raster(ink: Ink | Sequence[np.ndarray], width_scale: float = 1.0) -> np.ndarray:
    """Render ink as the model's input: a (SIZE, SIZE) float32 array, ink 1.0 on 0.0.

    Size and offset are normalised away (aspect ratio kept, bounding box centred), so the
    same character drawn on a phone canvas or a 10000-unit tablet gives the same raster.
    ``width_scale`` only varies the stroke width for augmentation; serving leaves it at 1.
    """
    strokes = _points_list(ink.strokes if isinstance(ink, Ink) else ink)
    if not strokes:
        return np.zeros((SIZE, SIZE), dtype=np.float32)
    allpts = np.concatenate(strokes)
    lo = allpts.min(axis=0)
    hi = allpts.max(axis=0)
    extent = float((hi - lo).max())
    big = SIZE * SUPERSAMPLE
    box = BOX * SUPERSAMPLE
    scale = box / extent if extent > 1e-9 else 1.0
    centre = (lo + hi) / 2.0
    offset = big / 2.0 - centre * scale
    width = max(1.0, STROKE_WIDTH * box * width_scale)
    # Rounding away float noise keeps the raster identical under any offset and scale.
    return _draw_strokes([np.round(s * scale + offset, 6) for s in strokes], width)


def _draw_strokes(strokes: list[np.ndarray], width: float) -> np.ndarray:
    """Draw pixel-space strokes at supersampled size, round caps and joins, then reduce."""
    big = SIZE * SUPERSAMPLE
    img = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(img)
    core = draw.draw
    ink = core.draw_ink(255)
    w = round(width)
    r = width / 2.0
    for s in strokes:
        flat = s.ravel().tolist()
        if len(s) > 1:
            core.draw_lines(flat, ink, w)
            if w > 4:
                _curve_joints(core, ink, list(zip(flat[::2], flat[1::2], strict=True)), w)
        # Round caps (and single-point dots): PIL lines end square.
        for x, y in (s[0], s[-1]):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    small = img.reduce(SUPERSAMPLE)
    return np.asarray(small, dtype=np.float32) / 255.0


def _curve_joints(core: Any, ink: int, points: list[tuple[float, float]], width: int) -> None:
    """The joints of Pillow's ``ImageDraw.line(..., joint="curve")``, pixel for pixel.

    Pillow draws them with a Python closure, a generator and two wrapper calls per point,
    which was most of a recognition's time; here the same angles, pie slices and gap lines
    go straight to the same C calls. Every model was trained on Pillow's own output, and
    ``test_engine_preprocessing`` checks this against it on real ink at several widths.
    """
    half = width / 2
    reach = half - 1
    (px, py), (x, y) = points[0], points[1]
    angle_in = math.degrees(math.atan2(x - px, py - y)) % 360
    for nx, ny in points[2:]:
        angle_out = math.degrees(math.atan2(nx - x, y - ny)) % 360
        if angle_in != angle_out:  # a straight run needs no joint
            flipped = (angle_out > angle_in and angle_out - 180 > angle_in) or (
                angle_out < angle_in and angle_out + 180 > angle_in
            )
            box = [(x - half + 1, y - half + 1), (x + half - 1, y + half - 1)]
            if flipped:
                start, end = angle_out + 90, angle_in + 90
            else:
                start, end = angle_in - 90, angle_out - 90
            core.draw_pieslice(box, start - 90, end - 90, ink, 1)
            if width > 8:  # cover gaps between the line and the joint
                side = 90 if flipped else -90
                ends = []
                for angle in (angle_in + side - 90, angle_out + side - 90):
                    dx = reach * math.cos(math.radians(angle))
                    dy = reach * math.sin(math.radians(angle))
                    ends.append(
                        (
                            x + (math.floor(dx) if dx > 0 else math.ceil(dx)),
                            y + (math.floor(dy) if dy > 0 else math.ceil(dy)),
                        )
                    )
                core.draw_lines([ends[0], (x, y), ends[1]], ink, 3)
        angle_in = angle_out
        x, y = nx, ny


# --------------------------------------------------------------------------- images


def open_image(data: bytes | Image.Image) -> Image.Image:
    """Open uploaded bytes as a PIL image, checking size limits before decoding pixels, and
    return it upright and shrunk to at most about twice `_WORK_SIDE` a side.

    Pixels are decoded within :data:`DECODE_BUDGET`. Raises :class:`ImageError`:
    ``image_too_large`` (over 5 MB or 4096 px a side), ``decompression_bomb`` (a header
    claiming an absurd pixel count), ``not_an_image``, ``busy`` (the budget stayed full).
    """
    if isinstance(data, Image.Image):
        img = data
    else:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ImageError("not_an_image", "expected image bytes")
        if len(data) > MAX_IMAGE_BYTES:
            raise ImageError("image_too_large", "images are limited to 5 MB")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                img = Image.open(io.BytesIO(bytes(data)))  # reads the header only
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError("decompression_bomb", "the image claims too many pixels") from exc
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise ImageError("not_an_image", "the file is not a readable image") from exc
    w, h = img.size
    if w * h > BOMB_PIXELS:
        raise ImageError("decompression_bomb", f"the image claims {w}x{h} pixels")
    if max(w, h) > MAX_IMAGE_SIDE:
        raise ImageError("image_too_large", f"images are limited to {MAX_IMAGE_SIDE} px a side")
    if w < 1 or h < 1:
        raise ImageError("not_an_image", "the image is empty")
    if img.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale where that is enough
        img.draft(img.mode if img.mode in ("L", "RGB") else None, (_WORK_SIDE, _WORK_SIDE))
    with DECODE_BUDGET.reserve(img.size[0] * img.size[1]):
        try:
            img.load()
            orientation = img.getexif().get(0x0112)
            img = _shrunk(img)  # the full-size pixels are freed here, inside the budget
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError("decompression_bomb", "the image claims too many pixels") from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageError("not_an_image", "the image data is truncated or corrupt") from exc
    upright = _UPRIGHT.get(orientation) if isinstance(orientation, int) else None
    return img.transpose(upright) if upright is not None else img


def _shrunk(img: Image.Image) -> Image.Image:
    """`img` box-averaged by a whole factor down to under twice `_WORK_SIDE` a side, in a
    mode that averages (a palette's indices do not)."""
    if img.mode in ("P", "PA"):
        img = img.convert("RGBA")
    elif img.mode in ("1", "I", "I;16", "F"):
        img = img.convert("L")
    elif img.mode not in ("L", "LA", "RGB", "RGBA"):
        img = img.convert("RGB")
    factor = max(img.size) // _WORK_SIDE
    if factor < 2:
        return img
    # In strips: Pillow resamples RGBA through a premultiplied copy of what it is given, and
    # a copy of a whole 4096x4096 image doubled the memory an upload takes.
    w, h = img.size
    out = Image.new(img.mode, (-(-w // factor), -(-h // factor)))
    strip = factor * 32
    for top in range(0, h, strip):
        part = img.crop((0, top, w, min(h, top + strip))).reduce(factor)
        out.paste(part, (0, top // factor))
    return out


def _ink_darkness(img: Image.Image) -> np.ndarray:
    """Grayscale 'ink amount' in 0..1 from any mode: inverted if the paper is dark."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
        if alpha.min() < 0.98:
            # Transparent background: the alpha channel itself is the ink.
            gray_img = Image.fromarray((255 - alpha * 255).astype(np.uint8))
        else:
            gray_img = rgba.convert("L")
    else:
        gray_img = img.convert("L")
    gray_img.thumbnail((_WORK_SIDE, _WORK_SIDE), Image.Resampling.BOX)
    gray = np.asarray(gray_img, dtype=np.float32) / 255.0
    h, w = gray.shape
    m = max(1, min(h, w) // 20)
    border = np.concatenate(
        [gray[:m].ravel(), gray[-m:].ravel(), gray[:, :m].ravel(), gray[:, -m:].ravel()]
    )
    if np.median(border) < 0.5:  # light ink on dark paper or a blackboard
        gray = 1.0 - gray
    # Uneven lighting: divide by a coarse estimate of the paper brightness.
    small = Image.fromarray((gray * 255).astype(np.uint8)).resize(
        (max(1, w // 16), max(1, h // 16)), Image.Resampling.BOX
    )
    paper_img = small.filter(ImageFilter.MaxFilter(3)).resize((w, h), Image.Resampling.BILINEAR)
    paper = np.maximum(np.asarray(paper_img, dtype=np.float32) / 255.0, 1e-3)
    ink = np.clip(1.0 - gray / paper, 0.0, 1.0)
    return ink


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of values in 0..1."""
    hist, edges = np.histogram(values, bins=64, range=(0.0, 1.0))
    hist = hist.astype(np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    mean0 = m0 / np.maximum(w0, 1e-9)
    mean1 = (m0[-1] - m0) / np.maximum(w1, 1e-9)
    between = w0 * w1 * (mean0 - mean1) ** 2
    return float(centres[int(np.argmax(between))])


def image_to_raster(data: bytes | Image.Image) -> np.ndarray:
    """Turn a photo or scan of one character into the same raster :func:`ink_to_raster` makes.

    Grayscale, automatic inversion (dark or light paper), lighting flattened, thresholded,
    cropped to the ink, scaled into the same box, stroke width brought to the same
    relative width, centred and anti-aliased. Raises :class:`ImageError` for bad input.
    """
    ink = _ink_darkness(open_image(data))
    if ink.max() < 0.15:
        return np.zeros((SIZE, SIZE), dtype=np.float32)  # blank paper: nothing to see
    threshold = max(_otsu(ink), 0.2)
    mask = ink > threshold
    # Specks of dust or paper grain must not stretch the bounding box.
    mask_img = Image.fromarray(mask.astype(np.uint8) * 255).filter(ImageFilter.MedianFilter(3))
    mask = np.asarray(mask_img) > 127
    if not mask.any():
        mask = ink > threshold
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = mask[y0:y1, x0:x1]
    return _fit_mask(crop)


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary glyph: about 2 * area / perimeter."""
    area = float(mask.sum())
    if not area:
        return 0.0
    padded = np.pad(mask, 1)
    inner = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    edge = float((mask & ~inner).sum())
    return 2.0 * area / max(edge, 1.0)


def _fit_mask(crop: np.ndarray) -> np.ndarray:
    """Scale a cropped binary glyph into the box, normalise stroke width, centre, reduce."""
    big = SIZE * SUPERSAMPLE
    box = BOX * SUPERSAMPLE
    target = STROKE_WIDTH * box
    h, w = crop.shape
    # Ink is fitted by its pen path (stroke centres); do the same by discounting the width.
    centre_extent = max(max(h, w) - _stroke_width(crop), max(h, w) * 0.5, 1.0)
    scale = box / centre_extent
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    glyph = Image.fromarray(crop.astype(np.uint8) * 255).resize((nw, nh), Image.Resampling.BILINEAR)
    g = np.asarray(glyph) > 127
    width = _stroke_width(g)
    if width:
        k = round((target - width) / 2.0)
        margin = 2 + max(k, 0)
        gimg = Image.fromarray(np.pad(g, margin).astype(np.uint8) * 255)
        if k > 0:  # thin pen: thicken to the width ink is drawn with
            gimg = gimg.filter(ImageFilter.MaxFilter(2 * min(k, 8) + 1))
        elif k < 0:  # felt-tip: thin it, but never erase strokes
            thinned = gimg.filter(ImageFilter.MinFilter(2 * min(-k, 8) + 1))
            if np.asarray(thinned).sum() > 0.25 * np.asarray(gimg).sum():
                gimg = thinned
        g = np.asarray(gimg) > 127
        ys, xs = np.nonzero(g)
        g = g[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    canvas = np.zeros((big, big), dtype=np.uint8)
    gh, gw = g.shape
    top = (big - gh) // 2
    left = (big - gw) // 2
    src = g[
        max(-top, 0) : max(-top, 0) + min(gh, big), max(-left, 0) : max(-left, 0) + min(gw, big)
    ]
    canvas[max(top, 0) : max(top, 0) + src.shape[0], max(left, 0) : max(left, 0) + src.shape[1]] = (
        src * 255
    )
    small = Image.fromarray(canvas).reduce(SUPERSAMPLE)
    return np.asarray(small, dtype=np.float32) / 255.0


def raster_to_png(raster: np.ndarray, scale: int = 8) -> bytes:
    """A PNG of what the model saw: dark ink on white, enlarged ``scale`` times."""
    arr = np.clip(np.asarray(raster, dtype=np.float32), 0.0, 1.0)
    img = Image.fromarray((255 - arr * 255).round().astype(np.uint8))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
