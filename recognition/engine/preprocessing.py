"""The one path from ink, or from a photo/scan, to the model's input raster.

Both paths end the same way: a binary glyph drawn at ``SUPERSAMPLE`` times the raster size,
fitted into a ``BOX``-pixel square keeping its aspect ratio, centred on its bounding box,
with a stroke width proportional to that box, then box-filtered down (anti-aliasing).
Training, evaluation and serving all call :func:`ink_to_raster` / :func:`image_to_raster`
unchanged; ``PREPROCESSING_VERSION`` is stored in the model card and checked at load.

Longer than ~500 lines on purpose: the ink and picture paths share the raster's geometry
(box, pen width, supersampling), and keeping them in one file keeps them from drifting apart.
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
_MIN_WORK_SIDE = 256  # ... and small images enlarged to at least this


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
    """Grayscale 'ink amount' in 0..1 from any mode: inverted if the paper is dark.

    Large photos are shrunk to ``_WORK_SIDE``; small images (a 28 px scan) are enlarged to
    at least ``_MIN_WORK_SIDE`` first, so that thresholding and cleaning never work on
    strokes one or two pixels wide. (`open_image` already turned the photo upright.)
    """
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
    longest = max(gray_img.size)
    if longest > _WORK_SIDE:
        gray_img.thumbnail((_WORK_SIDE, _WORK_SIDE), Image.Resampling.BOX)
    elif longest < _MIN_WORK_SIDE:
        factor = math.ceil(_MIN_WORK_SIDE / longest)
        gray_img = gray_img.resize(
            (gray_img.width * factor, gray_img.height * factor), Image.Resampling.BICUBIC
        )
        # Sensor noise and pencil grain, enlarged, must not turn into blobs.
        gray_img = gray_img.filter(ImageFilter.GaussianBlur(factor / 3))
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


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Horizontal runs of a binary mask: (row, start, end) arrays, end exclusive."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded, axis=1)
    starts = np.argwhere(d == 1)
    ends = np.argwhere(d == -1)
    return starts[:, 0], starts[:, 1], ends[:, 1]


_RULE_SLOPES = np.linspace(-0.2, 0.2, 21)
_RULE_LEVEL = 0.06  # darkness a line must keep across most of the width to be a rule


def _sheared_rows(h: int, w: int, slope: float) -> np.ndarray:
    """For each pixel, its row once the image is sheared so lines of ``slope`` are level."""
    shift = np.round(slope * (np.arange(w) - w / 2.0)).astype(np.int64)
    return np.arange(h)[:, None] - shift[None, :] + int(np.ceil(0.2 * w / 2)) + 1


def _rule_profile(ink: np.ndarray, slope: float) -> tuple[np.ndarray, np.ndarray]:
    """Per sheared row, the darkness that 70% of its pixels reach (high only on rules)."""
    h, w = ink.shape
    rows = _sheared_rows(h, w, slope)
    size = h + 2 * (int(np.ceil(0.2 * w / 2)) + 1)
    sheared = np.full((size, w), -1.0, dtype=np.float32)  # -1: outside the picture
    sheared[rows, np.arange(w)[None, :]] = ink
    sheared.sort(axis=1)
    outside = (sheared < 0).sum(axis=1)
    pick = np.minimum(outside + (0.3 * (w - outside)).astype(np.int64), w - 1)
    profile = np.where(outside < w, sheared[np.arange(size), pick], 0.0)
    return profile, rows


def _remove_rules(ink: np.ndarray) -> np.ndarray:
    """Take ruled lines out of an ink-darkness image before it is thresholded.

    A rule is a straight line across most of the picture, nearly level (slopes up to +-0.2:
    a phone held off-axis tilts it). Along the best slope, each sheared row's 30th
    percentile is the darkness that row has almost everywhere: that much is the rule, and
    is subtracted; a stroke crossing it stays darker than the paper. Character strokes are
    never that long, so rows through them keep a low percentile and are left alone.
    """
    h, w = ink.shape
    if w < 16 or h < 16:
        return ink
    step = max(1, w // 128)
    # Seen in perspective, rules converge: each may have its own slope, so the strongest
    # is taken out and the search repeated, a few times.
    for _ in range(4):
        small = ink[::step, ::step]
        best, best_level = 0.0, 0.0
        for slope in _RULE_SLOPES:
            level = float(_rule_profile(small, float(slope))[0].max())
            if level > best_level:
                best, best_level = float(slope), level
        if best_level < _RULE_LEVEL:
            break
        profile, rows = _rule_profile(ink, best)
        # A rule one pixel off the sheared row still counts (thick or slightly curved rules).
        near = np.maximum(np.r_[0, profile[:-1]], np.r_[profile[1:], 0])
        spread = np.maximum(profile, near * 0.8)
        rule_level = np.where(spread >= _RULE_LEVEL, spread, 0.0)
        ink = np.clip(ink - rule_level[rows], 0.0, 1.0).astype(np.float32)
    return ink


def _components(mask: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """8-connected components of a mask through its runs: (run labels, runs) and sizes.

    Returns a label per run (in :func:`_runs` order) and each label's pixel count.
    """
    rows, starts, ends = _runs(mask)
    n = len(rows)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    row_first = np.searchsorted(rows, np.arange(mask.shape[0] + 1))
    for r in range(1, mask.shape[0]):
        a0, a1 = int(row_first[r - 1]), int(row_first[r])
        b0, b1 = a1, int(row_first[r + 1])
        i, j = a0, b0
        while i < a1 and j < b1:
            # 8-connected: runs touch when they overlap with one pixel of slack.
            if starts[i] <= ends[j] and starts[j] <= ends[i]:
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[ri] = rj
            if ends[i] < ends[j]:
                i += 1
            else:
                j += 1
    labels = np.array([find(i) for i in range(n)], dtype=np.int64)
    _, compact = np.unique(labels, return_inverse=True)
    sizes = np.bincount(compact, weights=ends - starts).astype(int).tolist() if n else []
    return compact, sizes


def _hysteresis(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The pieces of ``low`` that hold at least one pixel of ``high``."""
    labels, sizes = _components(low)
    if not sizes:
        return low
    rows, starts, ends = _runs(low)
    cum = np.zeros((high.shape[0], high.shape[1] + 1), dtype=np.int32)
    np.cumsum(high, axis=1, out=cum[:, 1:])
    strong = (cum[rows, ends] - cum[rows, starts]) > 0
    keep = np.zeros(len(sizes), dtype=bool)
    keep[labels[strong]] = True
    out = np.zeros_like(low)
    for r, a, b in zip(rows[keep[labels]], starts[keep[labels]], ends[keep[labels]], strict=True):
        out[r, a:b] = True
    return out


def _despeckle(mask: np.ndarray) -> np.ndarray:
    """Keep the character's pieces, drop specks of dust, grain and stray marks.

    Pieces are found on a slightly thickened mask (so grainy pencil stays one piece); a
    piece is kept when it is large next to the largest one, or stroke-sized and close to
    the large ones (the dot of an ``i``). Only the original pixels of kept pieces remain.
    """
    grown = (
        np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(3)))
        > 0
    )
    labels, sizes = _components(grown)
    if len(sizes) <= 1:
        return mask
    rows, starts, ends = _runs(grown)
    sw = max(_stroke_width(mask), 1.0)
    biggest = max(sizes)
    big = [i for i, a in enumerate(sizes) if a >= 0.15 * biggest]
    boxes: dict[int, list[int]] = {}
    for lab, r, a, b in zip(
        labels.tolist(), rows.tolist(), starts.tolist(), ends.tolist(), strict=True
    ):
        box = boxes.setdefault(lab, [r, r, a, b])
        box[0], box[1] = min(box[0], r), max(box[1], r)
        box[2], box[3] = min(box[2], a), max(box[3], b)
    y0 = min(boxes[i][0] for i in big)
    y1 = max(boxes[i][1] for i in big)
    x0 = min(boxes[i][2] for i in big)
    x1 = max(boxes[i][3] for i in big)
    reach = 0.25 * max(y1 - y0, x1 - x0)  # an i's dot sits closer than this
    keep = np.zeros(len(sizes), dtype=bool)
    keep[big] = True
    for i, (by0, by1, bx0, bx1) in boxes.items():
        if keep[i] or sizes[i] < 0.5 * (sw + 2) ** 2:  # sizes are of the grown mask
            continue
        dy = max(y0 - by1, by0 - y1, 0)
        dx = max(x0 - bx1, bx0 - x1, 0)
        keep[i] = max(dx, dy) <= reach
    kept = np.zeros_like(mask)
    for r, a, b, lab in zip(
        rows.tolist(), starts.tolist(), ends.tolist(), labels.tolist(), strict=True
    ):
        if keep[lab]:
            kept[r, a:b] = True
    return mask & kept


def image_to_raster(data: bytes | Image.Image) -> np.ndarray:
    """Turn a photo or scan of one character into the same raster :func:`ink_to_raster` makes.

    Grayscale, small images enlarged, automatic inversion (dark or light paper), lighting
    flattened, thresholded, ruled lines and specks removed, cropped to the ink, scaled into
    the same box, stroke width brought to the same relative width, centred and
    anti-aliased. Raises :class:`ImageError` for bad input.
    """
    ink = _ink_darkness(open_image(data))
    if ink.max() < 0.15:
        return np.zeros((SIZE, SIZE), dtype=np.float32)  # blank paper: nothing to see
    ink = _remove_rules(ink)
    threshold = max(_otsu(ink), 0.15)
    # Hysteresis: faint pixels (pencil, anti-aliased hairlines) count when they touch
    # clearly dark ones.
    mask = _hysteresis(ink > 0.5 * threshold, ink > threshold)
    if not mask.any():
        return np.zeros((SIZE, SIZE), dtype=np.float32)
    # Blurred felt-tip fills the loops of a, e, g: the strokes' cores (a second Otsu split
    # above the first) keep them open, unless that would break the strokes apart.
    core_threshold = _otsu(ink[mask])
    core = mask & (ink > core_threshold)
    if core.any() and len(_components(core)[1]) <= len(_components(mask)[1]):
        mask = core
    mask = _despeckle(mask)
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


def _thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning: the one-pixel skeleton of a binary glyph (its pen path)."""
    img = np.pad(mask, 1).astype(np.uint8)
    while True:
        changed = False
        for step in (0, 1):
            c = img[1:-1, 1:-1]
            p2, p3, p4 = img[:-2, 1:-1], img[:-2, 2:], img[1:-1, 2:]
            p5, p6, p7 = img[2:, 2:], img[2:, 1:-1], img[2:, :-2]
            p8, p9 = img[1:-1, :-2], img[:-2, :-2]
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            count = sum(p.astype(np.int16) for p in ring[:8])
            turns = sum(((ring[i] == 0) & (ring[i + 1] == 1)).astype(np.int16) for i in range(8))
            if step == 0:
                side = ((p2 & p4 & p6) == 0) & ((p4 & p6 & p8) == 0)
            else:
                side = ((p2 & p4 & p8) == 0) & ((p2 & p6 & p8) == 0)
            remove = (c == 1) & (count >= 2) & (count <= 6) & (turns == 1) & side
            if remove.any():
                c[remove] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def _neighbours(img: np.ndarray) -> np.ndarray:
    """Count of 8-neighbours set, per pixel."""
    p = np.pad(img, 1).astype(np.int16)
    h, w = img.shape
    count = np.zeros((h, w), dtype=np.int16)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                count += p[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
    return count


def _grow(img: np.ndarray) -> np.ndarray:
    """Binary dilation by one pixel (3x3)."""
    p = np.pad(img, 1)
    h, w = img.shape
    out = np.zeros_like(img)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            out |= p[dy : dy + h, dx : dx + w]
    return out


def _prune(skeleton: np.ndarray, length: int) -> np.ndarray:
    """Cut skeleton spurs shorter than ``length`` pixels, keeping real stroke ends.

    End points are peeled ``length`` times; then the ends that survived grow back along the
    original skeleton the same distance, so only branches that vanished stay cut.
    """
    pruned = skeleton.copy()
    for _ in range(length):
        ends = pruned & (_neighbours(pruned) <= 1)
        if not ends.any():
            break
        pruned &= ~ends
        pruned |= skeleton & (_neighbours(skeleton) == 0)  # isolated dots stay
    if not pruned.any():
        return skeleton
    front = pruned & (_neighbours(pruned) <= 1)
    regrown = pruned.copy()
    for _ in range(length):
        front = _grow(front) & skeleton & ~regrown
        if not front.any():
            break
        regrown |= front
    # A piece peeled away entirely was a dot or a short stroke (the dot of an i): keep it.
    labels, sizes = _components(skeleton)
    rows, starts, ends = _runs(skeleton)
    cum = np.zeros((skeleton.shape[0], skeleton.shape[1] + 1), dtype=np.int32)
    np.cumsum(regrown, axis=1, out=cum[:, 1:])
    kept = np.zeros(len(sizes), dtype=bool)
    kept[labels[(cum[rows, ends] - cum[rows, starts]) > 0]] = True
    for r, a, b, lab in zip(
        rows.tolist(), starts.tolist(), ends.tolist(), labels.tolist(), strict=True
    ):
        if not kept[lab]:
            regrown[r, a:b] = True
    return regrown


_THIN_SIDE = 128  # glyphs are thinned at about this size


def _fit_mask(crop: np.ndarray) -> np.ndarray:
    """Redraw a cropped binary glyph as ink is drawn: skeleton, box, stroke width, reduce.

    Any pen (a hairline scan, a felt-tip photo) becomes the raster ink gives: the glyph is
    thinned to its skeleton (its pen path), the skeleton's bounding box is fitted into the
    same box as ink's, and it is drawn with the same round pen (``STROKE_WIDTH``).
    """
    big = SIZE * SUPERSAMPLE
    box = BOX * SUPERSAMPLE
    h, w = crop.shape
    factor = _THIN_SIDE / max(h, w)
    if factor < 1:  # large: shrink first, keeping hairlines (a low threshold after BOX)
        small = Image.fromarray(crop.astype(np.uint8) * 255).resize(
            (max(1, round(w * factor)), max(1, round(h * factor))), Image.Resampling.BOX
        )
        crop = np.asarray(small) > 80
        if not crop.any():
            return np.zeros((SIZE, SIZE), dtype=np.float32)
    width = _stroke_width(crop)
    if width >= 4:  # a ragged outline (blur, grain) would grow spurs on the skeleton
        size = 5 if width >= 7 else 3
        smooth = Image.fromarray(crop.astype(np.uint8) * 255).filter(ImageFilter.MedianFilter(size))
        smoothed = np.asarray(smooth) > 127
        if smoothed.any():
            crop = smoothed
    skeleton = _prune(_thin(crop), max(2, round(0.5 * width)))
    ys, xs = np.nonzero(skeleton)
    if not len(ys):
        ys, xs = np.nonzero(crop)
    pts = np.stack([xs, ys], axis=1).astype(np.float64)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    extent = float((hi - lo).max())
    scale = box / extent if extent > 0 else 1.0
    centre = (lo + hi) / 2.0
    canvas_pts = np.round((pts - centre) * scale + big / 2.0).astype(np.int64)
    canvas = np.zeros((big, big), dtype=bool)
    inside = ((canvas_pts >= 0) & (canvas_pts < big)).all(axis=1)
    canvas_pts = canvas_pts[inside]
    # A scaled-up skeleton has gaps between its pixels: join 8-neighbours with short lines.
    if scale > 1.0:
        img = Image.new("L", (big, big), 0)
        draw = ImageDraw.Draw(img)
        src = np.round(pts[inside]).astype(np.int64)
        index = {(int(x), int(y)): i for i, (x, y) in enumerate(src)}
        for i, (x, y) in enumerate(src):
            for dx, dy in ((1, 0), (0, 1), (1, 1), (1, -1)):
                j = index.get((int(x) + dx, int(y) + dy))
                if j is not None:
                    a, b = canvas_pts[i], canvas_pts[j]
                    draw.line((int(a[0]), int(a[1]), int(b[0]), int(b[1])), fill=255)
        canvas |= np.asarray(img) > 0
    canvas[canvas_pts[:, 1], canvas_pts[:, 0]] = True
    radius = STROKE_WIDTH * box / 2.0
    pen = np.zeros((big, big), dtype=bool)
    r = math.ceil(radius)
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if dx * dx + dy * dy <= radius * radius:
                pen[max(dy, 0) : big + min(dy, 0), max(dx, 0) : big + min(dx, 0)] |= canvas[
                    max(-dy, 0) : big + min(-dy, 0), max(-dx, 0) : big + min(-dx, 0)
                ]
    small_img = Image.fromarray(pen.astype(np.uint8) * 255).reduce(SUPERSAMPLE)
    return np.asarray(small_img, dtype=np.float32) / 255.0


def raster_to_png(raster: np.ndarray, scale: int = 8) -> bytes:
    """A PNG of what the model saw: dark ink on white, enlarged ``scale`` times."""
    arr = np.clip(np.asarray(raster, dtype=np.float32), 0.0, 1.0)
    img = Image.fromarray((255 - arr * 255).round().astype(np.uint8))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
