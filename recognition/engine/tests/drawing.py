"""Test helper: draw ink as a photo-like picture (pen on paper) for the image path."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from recognition.engine.ink import Ink


def render_png(ink: Ink, size: int = 300, width: int = 8, invert: bool = False) -> bytes:
    """Ink drawn dark on light paper (or light on dark with ``invert``), as PNG bytes."""
    pts = np.concatenate(ink.strokes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    scale = size * 0.6 / max(float((hi - lo).max()), 1.0)
    paper, pen = (30, 230) if invert else (235, 20)
    img = Image.new("L", (size, size), paper)
    draw = ImageDraw.Draw(img)
    for stroke in ink.strokes:
        p = (stroke - lo) * scale + size * 0.2
        if len(p) > 1:
            draw.line(p.ravel().tolist(), fill=pen, width=width, joint="curve")
        for x, y in (p[0], p[-1]):
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=pen)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
