"""Stroke-level augmentation, applied to ink before rasterising (seeded by the caller's rng).

Drawing variation lives in the pen path (slant, proportions, wobble, tablet sampling), so it
is varied there; the rasteriser then draws it exactly as it draws served ink.
"""

from __future__ import annotations

import numpy as np

from .preprocessing import BOX


def _unit(strokes: list[np.ndarray]) -> list[np.ndarray]:
    """Centre on the bounding box and scale the longer side to 1."""
    pts = np.concatenate(strokes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    extent = max(float((hi - lo).max()), 1e-9)
    centre = (lo + hi) / 2
    return [(s - centre) / extent for s in strokes]


def _elastic(pts: np.ndarray, rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """A smooth random displacement field: a few low-frequency sinusoids per axis."""
    out = pts.copy()
    for axis in (0, 1):
        for _ in range(2):
            freq = rng.uniform(1.0, 3.0, size=2)
            phase = rng.uniform(0, 2 * np.pi)
            amp = rng.normal(0, amplitude)
            out[:, axis] += amp * np.sin(2 * np.pi * (pts @ freq) + phase)
    return out


def augment_strokes(
    strokes: list[np.ndarray], rng: np.random.Generator
) -> tuple[list[np.ndarray], float]:
    """Return randomly distorted strokes and a stroke-width factor for the rasteriser.

    Rotation (about +-10 degrees), shear, independent x/y scale, elastic distortion, point
    jitter and occasional point dropping (sparse tablets). Small enough that a character
    stays that character (a rotated ``6`` must not become a ``9``).
    """
    strokes = _unit([np.asarray(s, dtype=np.float64) for s in strokes])
    angle = np.deg2rad(np.clip(rng.normal(0, 6), -12, 12))
    shear = np.clip(rng.normal(0, 0.15), -0.35, 0.35)
    sx, sy = np.exp(rng.normal(0, 0.1, size=2))
    c, s = np.cos(angle), np.sin(angle)
    matrix = np.array([[c, -s], [s, c]]) @ np.array([[1, shear], [0, 1]]) @ np.diag([sx, sy])
    elastic = rng.uniform(0, 0.03)
    jitter = rng.uniform(0, 0.012)
    keep_every = 1 if rng.random() < 0.8 else int(rng.integers(2, 4))
    out = []
    for stroke in strokes:
        pts = stroke @ matrix.T
        if elastic > 0:
            pts = _elastic(pts, rng, elastic)
        if len(pts) > 4 and keep_every > 1:
            idx = np.unique(np.r_[np.arange(0, len(pts), keep_every), len(pts) - 1])
            pts = pts[idx]
        pts = pts + rng.normal(0, jitter, size=pts.shape)
        out.append(pts * BOX)
    width_scale = float(np.exp(rng.uniform(-0.4, 0.4)))
    return out, width_scale
