"""Write UNIPEN test characters as scan-like pictures, for ``evaluate_model --images``.

Usage: python bench/render_test_images.py OUT_DIR [--n 1000] [--seed 0]

Each sample is drawn with a random pen width, paper tone, light gradient, blur, noise,
JPEG compression and (for a third) light ink on dark paper, into OUT_DIR/<label>/N.jpg.
A stand-in for scanned paper until real scans are collected.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import test_rows


def scan_like(strokes: list[np.ndarray], rng: np.random.Generator) -> Image.Image:
    """One character drawn on simulated paper."""
    size = int(rng.integers(80, 400))
    pts = np.concatenate(strokes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    scale = size * rng.uniform(0.4, 0.75) / max(float((hi - lo).max()), 1.0)
    offset = rng.uniform(0.1, 0.25, 2) * size
    width = max(1, round(size * rng.uniform(0.012, 0.06)))
    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    for s in strokes:
        p = (s - lo) * scale + offset
        if len(p) > 1:
            draw.line(p.ravel().tolist(), fill=255, width=width, joint="curve")
        for x, y in (p[0], p[-1]):
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
    ink = np.asarray(img.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.2))), np.float32) / 255
    paper = rng.uniform(170, 250) + np.linspace(-25, 25, size)[None, :] * rng.uniform(-1, 1)
    pen = rng.uniform(0, 90)
    gray = paper * (1 - ink) + pen * ink + rng.normal(0, rng.uniform(0, 10), (size, size))
    if rng.random() < 1 / 3:
        gray = 255 - gray
    return Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8))


def main() -> None:
    """Render ``--n`` test-split samples into OUT_DIR/<label>/."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = list(test_rows())
    rng = np.random.default_rng(args.seed)
    out = Path(args.out)
    for k, i in enumerate(rng.choice(len(rows), min(args.n, len(rows)), replace=False)):
        strokes = [np.asarray(s, dtype=np.float64)[:, :2] for s in rows[i]["strokes"] if s]
        folder = out / rows[i]["label"]
        folder.mkdir(parents=True, exist_ok=True)
        quality = int(rng.integers(60, 95))
        scan_like(strokes, rng).save(folder / f"{k}.jpg", quality=quality)
    print(f"wrote {args.n} images to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
