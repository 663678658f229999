"""Pictures of ink as a camera or scanner would give them: the image path's test material.

:func:`render_image` draws one character's strokes under one :class:`Condition` (image
size, pen width, blur, paper, ruled lines, pencil, lighting, perspective, JPEG), seeded by
the caller's generator. ``bench/render_test_images.py`` builds the image test set from the
test split with it; :mod:`combine` renders val characters with it to choose the images'
reject threshold. These are renderings, not photographs (see the model card).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SUPER = 4  # strokes are drawn at 4x and reduced: anti-aliased like a real sensor


@dataclass(frozen=True)
class Condition:
    """How one picture is made; ``name`` labels it in reports."""

    name: str
    size: int  # the image's side in pixels
    pen: float  # stroke width as a fraction of the character's height
    blur: float = 0.0  # Gaussian blur radius as a fraction of the pen width
    jpeg: int | None = None  # JPEG quality, None for PNG
    paper: bool = False  # tinted, textured paper with uneven light
    ruled: bool = False  # ruled lines across the sheet
    pencil: bool = False  # grey, grainy strokes
    perspective: float = 0.0  # strength of a phone held off-axis (0..~0.15)
    inverted: bool = False  # light ink on dark ground (a blackboard, a negative)


def conditions() -> list[Condition]:
    """The test set's grid: three sizes x thin/thick pens x clean scan / photo of paper."""
    out = []
    for size in (28, 64, 256):
        for pen_name, pen in (("thin", 0.035), ("thick", 0.13)):
            out.append(Condition(f"{size}px-{pen_name}-scan", size, pen, blur=0.3))
            out.append(
                Condition(
                    f"{size}px-{pen_name}-photo",
                    size,
                    pen,
                    blur=0.5,
                    jpeg=60,
                    paper=True,
                    ruled=True,
                    perspective=0.08,
                )
            )
        out.append(
            Condition(f"{size}px-pencil", size, 0.05, blur=0.4, jpeg=75, paper=True, pencil=True)
        )
        out.append(Condition(f"{size}px-inverted", size, 0.07, blur=0.3, inverted=True))
    return out


def _perspective_coeffs(size: int, strength: float, rng: np.random.Generator) -> list[float]:
    """Coefficients for PIL's PERSPECTIVE transform: corners moved by up to ``strength``."""
    src = np.array([[0, 0], [size, 0], [size, size], [0, size]], dtype=np.float64)
    dst = src + rng.uniform(-strength, strength, (4, 2)) * size
    rows = []
    rhs = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    return [float(c) for c in np.linalg.solve(np.array(rows), np.array(rhs))]


def render_image(
    strokes: list[np.ndarray], condition: Condition, rng: np.random.Generator
) -> bytes:
    """One character as an encoded picture (PNG, or JPEG when the condition says so)."""
    size = condition.size
    big = size * SUPER
    pts = np.concatenate([np.asarray(s, dtype=np.float64)[:, :2] for s in strokes])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    extent = max(float((hi - lo).max()), 1e-9)
    fill = rng.uniform(0.5, 0.75)  # the character's share of the image side
    scale = big * fill / extent
    centre = (lo + hi) / 2
    shift = rng.uniform(-1, 1, 2) * big * (1 - fill) * 0.3
    height = max(float(hi[1] - lo[1]), float(hi[0] - lo[0]) * 0.6, 1e-9) * scale
    width = max(float(SUPER), condition.pen * height * float(np.exp(rng.normal(0, 0.15))))
    img = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(img)
    r = width / 2
    for s in strokes:
        p = (np.asarray(s, dtype=np.float64)[:, :2] - centre) * scale + big / 2 + shift
        if len(p) > 1:
            draw.line(p.ravel().tolist(), fill=255, width=max(1, round(width)), joint="curve")
        for x, y in (p[0], p[-1]):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    if condition.perspective:
        img = img.transform(
            (big, big),
            Image.Transform.PERSPECTIVE,
            _perspective_coeffs(big, condition.perspective, rng),
            Image.Resampling.BILINEAR,
        )
    ink = np.asarray(img.reduce(SUPER), dtype=np.float32) / 255.0
    pen_px = width / SUPER
    if condition.blur:
        blurred = Image.fromarray((ink * 255).astype(np.uint8)).filter(
            ImageFilter.GaussianBlur(condition.blur * max(pen_px, 1.0))
        )
        ink = np.asarray(blurred, dtype=np.float32) / 255.0
    if condition.pencil:
        grain = rng.uniform(0.5, 1.0, ink.shape).astype(np.float32)
        ink = ink * grain * rng.uniform(0.55, 0.8)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    paper = np.full((size, size), rng.uniform(225, 250), dtype=np.float32)
    if condition.paper:
        # Light falling off across the sheet and a soft shadow; fibres as fine noise.
        gx, gy = rng.uniform(-1, 1, 2)
        paper = paper - 45 * rng.uniform(0.3, 1.0) * ((gx * (xx - 0.5) + gy * (yy - 0.5)) + 0.5)
        paper = paper - 25 * np.exp(-(((xx - rng.uniform()) ** 2) / 0.05)) * rng.uniform()
        coarse = rng.normal(0, 6, (max(2, size // 8), max(2, size // 8))).astype(np.float32)
        coarse_img = Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC)
        paper = paper + np.asarray(coarse_img) + rng.normal(0, 3, (size, size))
    rgb = np.repeat(paper[..., None], 3, axis=2)
    if condition.paper:
        rgb = rgb * np.array([1.0, 0.98, 0.93], dtype=np.float32)  # warm paper
    if condition.ruled:
        spacing = size * rng.uniform(0.28, 0.4)
        y0 = rng.uniform(0, spacing)
        line_w = max(0.6, size / 160)
        rule = np.zeros((size, size), dtype=np.float32)
        for y in np.arange(y0, size, spacing):
            rule = np.maximum(rule, np.clip(1 - np.abs(yy * size - y) / line_w, 0, 1))
        colour = np.array([110, 150, 215], dtype=np.float32)  # pale blue rules
        rgb = rgb * (1 - 0.6 * rule[..., None]) + colour * 0.6 * rule[..., None]
    pen_colour = (
        np.array([95, 95, 100], dtype=np.float32)
        if condition.pencil
        else np.array(rng.choice([[20, 20, 25], [25, 35, 120], [15, 15, 15]]), dtype=np.float32)
    )
    rgb = rgb * (1 - ink[..., None]) + pen_colour * ink[..., None]
    rgb = rgb + rng.normal(0, 2.5, rgb.shape).astype(np.float32)
    if condition.inverted:
        rgb = 255 - rgb
    picture = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    if condition.jpeg:
        picture.save(buf, format="JPEG", quality=condition.jpeg)
    else:
        picture.save(buf, format="PNG")
    return buf.getvalue()
