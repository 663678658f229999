"""Seeded synthetic non-characters (scribbles, tangles, spirals, stars, ...).

They train the network's extra "reject" output and test rejection. Training and tests use
different seeds, so the tests see scribbles the network never saw.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _smooth(pts: np.ndarray, passes: int = 2) -> np.ndarray:
    for _ in range(passes):
        if len(pts) > 2:
            pts = np.vstack([pts[:1], (pts[:-2] + 2 * pts[1:-1] + pts[2:]) / 4, pts[-1:]])
    return pts


def random_walk(rng: np.random.Generator) -> list[np.ndarray]:
    """A long wandering line that turns often."""
    n = int(rng.integers(40, 160))
    heading = np.cumsum(rng.normal(0, rng.uniform(0.3, 1.0), n))
    steps = np.stack([np.cos(heading), np.sin(heading)], axis=1)
    return [_smooth(np.cumsum(steps, axis=0))]


def zigzag(rng: np.random.Generator) -> list[np.ndarray]:
    """Dense back-and-forth hatching, as when scratching something out."""
    teeth = int(rng.integers(6, 18))
    xs = np.linspace(0, 1, teeth * 2)
    ys = np.tile([0.0, 1.0], teeth) * rng.uniform(0.3, 1.5)
    pts = np.stack([xs, ys], axis=1) + rng.normal(0, 0.03, (teeth * 2, 2))
    angle = rng.uniform(0, np.pi)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return [pts @ rot.T]


def blob(rng: np.random.Generator) -> list[np.ndarray]:
    """Many overlapping loops: a scribbled-over blob."""
    loops = rng.uniform(4, 12)
    t = np.linspace(0, 2 * np.pi * loops, int(loops * 24))
    r = 1 + 0.3 * np.sin(t * rng.uniform(0.1, 0.5))
    drift = np.stack(
        [np.cumsum(rng.normal(0, 0.04, len(t))), np.cumsum(rng.normal(0, 0.04, len(t)))], axis=1
    )
    pts = np.stack([r * np.cos(t) * rng.uniform(0.5, 1.5), r * np.sin(t)], axis=1) + drift
    return [pts]


def tangle(rng: np.random.Generator) -> list[np.ndarray]:
    """Several random curvy strokes crossing each other."""
    return [
        _smooth(rng.uniform(0, 1, (int(rng.integers(4, 9)), 2)), 3)
        for _ in range(int(rng.integers(3, 8)))
    ]


def spiral(rng: np.random.Generator) -> list[np.ndarray]:
    """A spiral of two to six turns (one turn would be an ``o``)."""
    turns = rng.uniform(2.2, 6)
    t = np.linspace(0, 2 * np.pi * turns, int(turns * 30))
    r = 0.1 + t / t[-1]
    return [np.stack([r * np.cos(t), r * np.sin(t) * rng.uniform(0.6, 1.4)], axis=1)]


def star(rng: np.random.Generator) -> list[np.ndarray]:
    """A star drawn in one stroke, five to nine points."""
    k = int(rng.choice([5, 7, 9]))
    step = (k - 1) // 2
    angles = np.pi / 2 + 2 * np.pi * step * np.arange(k + 1) / k
    pts = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return [pts + rng.normal(0, 0.04, pts.shape)]


def polygon(rng: np.random.Generator) -> list[np.ndarray]:
    """A random many-sided self-crossing polygon."""
    n = int(rng.integers(6, 12))
    pts = rng.uniform(0, 1, (n, 2))
    return [np.vstack([pts, pts[:1]])]


def dots(rng: np.random.Generator) -> list[np.ndarray]:
    """A spray of dots and dashes."""
    out = []
    for _ in range(int(rng.integers(8, 30))):
        p = rng.uniform(0, 1, 2)
        out.append(np.vstack([p, p + rng.normal(0, 0.03, 2)]))
    return out


def hash_grid(rng: np.random.Generator) -> list[np.ndarray]:
    """A grid of crossing lines (three or more each way; two each way is a ``#``)."""
    n = int(rng.integers(3, 6))
    out = []
    for i in np.linspace(0, 1, n):
        out.append(np.array([[i, 0.0], [i + rng.normal(0, 0.05), 1.0]]))
        out.append(np.array([[0.0, i], [1.0, i + rng.normal(0, 0.05)]]))
    return out


GENERATORS: dict[str, Callable[[np.random.Generator], list[np.ndarray]]] = {
    "random_walk": random_walk,
    "zigzag": zigzag,
    "blob": blob,
    "tangle": tangle,
    "spiral": spiral,
    "star": star,
    "polygon": polygon,
    "dots": dots,
    "hash_grid": hash_grid,
}


def make_scribbles(n: int, seed: int) -> list[list[np.ndarray]]:
    """``n`` scribbles (each a list of (k, 2) point arrays, y down), cycling the kinds."""
    rng = np.random.default_rng(seed)
    kinds = list(GENERATORS.values())
    out = []
    for i in range(n):
        strokes = kinds[i % len(kinds)](rng)
        # Tablet-like units and a random size/offset (within CONTRACTS limits): the
        # rasteriser must normalise them away.
        pts = np.concatenate(strokes)
        lo = pts.min(axis=0)
        extent = max(float((pts.max(axis=0) - lo).max()), 1e-9)
        scale = rng.uniform(50, 2000) / extent
        offset = rng.uniform(-500, 500, 2)
        out.append([(s - lo) * scale + offset for s in strokes])
    return out
