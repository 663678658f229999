"""The second view of ink: the pen's path as a fixed-length sequence of points.

A raster loses the order and direction in which a character was drawn and where the pen
lifted; this view keeps them. The ink is normalised like the raster (bounding box centred,
longer side 1, aspect ratio kept), then resampled at ``POINTS`` positions spaced evenly
along the pen-down path (each stroke gets at least ``MIN_STROKE_SHARE`` of the path, so a
dot over an ``i`` is never lost). Each position carries ``FEATURES`` numbers:

``x, y`` (position), ``dx, dy`` (step to the next position, times ``POINTS / 4``),
``cos, sin`` (direction of travel), ``start``, ``end`` (1.0 at the first/last position of a
stroke, i.e. where the pen went down or up), and ``w``, ``h`` (the bounding box's width and
height, the same at every position).

``POINTS_VERSION`` is stored in the model card of models that read this view.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .ink import Ink

POINTS_VERSION = "1"
POINTS = 64
FEATURES = 10
MIN_STROKE_SHARE = 0.04  # of the total pen-down path length, per stroke


def ink_to_points(ink: Ink | Sequence[np.ndarray]) -> np.ndarray:
    """The (POINTS, FEATURES) float32 sequence of one drawing; zeros for empty ink."""
    raw = ink.strokes if isinstance(ink, Ink) else ink
    strokes = [np.asarray(s, dtype=np.float64)[:, :2] for s in raw if len(s)]
    out = np.zeros((POINTS, FEATURES), dtype=np.float32)
    if not strokes:
        return out
    allpts = np.concatenate(strokes)
    lo = allpts.min(axis=0)
    hi = allpts.max(axis=0)
    extent = float((hi - lo).max())
    scale = 1.0 / extent if extent > 1e-9 else 1.0
    centre = (lo + hi) / 2.0
    strokes = [(s - centre) * scale for s in strokes]
    arcs = []
    for s in strokes:
        seg = np.hypot(*np.diff(s, axis=0).T) if len(s) > 1 else np.zeros(0)
        arcs.append(np.concatenate([[0.0], np.cumsum(seg)]))
    total = float(sum(a[-1] for a in arcs))
    floor = MIN_STROKE_SHARE * total if total > 1e-9 else 1.0
    shares = np.array([max(a[-1], floor, 1e-9) for a in arcs])
    bounds = np.concatenate([[0.0], np.cumsum(shares)])
    # Sample positions at the centres of POINTS equal slices of the (padded) path.
    pos = (np.arange(POINTS) + 0.5) * (bounds[-1] / POINTS)
    which = np.minimum(np.searchsorted(bounds, pos, side="right") - 1, len(strokes) - 1)
    xy = np.empty((POINTS, 2))
    for k, (s, arc) in enumerate(zip(strokes, arcs, strict=True)):
        sel = which == k
        if not sel.any():
            continue
        along = (pos[sel] - bounds[k]) / shares[k] * arc[-1]
        if arc[-1] > 1e-12:
            xy[sel, 0] = np.interp(along, arc, s[:, 0])
            xy[sel, 1] = np.interp(along, arc, s[:, 1])
        else:
            xy[sel] = s[0]
    step = np.zeros((POINTS, 2))
    step[:-1] = xy[1:] - xy[:-1]
    same = which[1:] == which[:-1]
    step[:-1][~same] = 0.0  # no travel across a pen lift
    # The last position of each stroke keeps the direction it arrived with.
    last = np.r_[~same, True]
    arrive = np.zeros((POINTS, 2))
    arrive[1:] = xy[1:] - xy[:-1]
    arrive[1:][~same] = 0.0
    direction = np.where(last[:, None], arrive, step)
    norm = np.hypot(direction[:, 0], direction[:, 1])
    unit = np.where(norm[:, None] > 1e-9, direction / np.maximum(norm, 1e-9)[:, None], 0.0)
    out[:, 0:2] = xy
    out[:, 2:4] = step * (POINTS / 4.0)
    out[:, 4:6] = unit
    out[:, 6] = np.r_[True, ~same]
    out[:, 7] = last
    out[:, 8] = (hi[0] - lo[0]) * scale
    out[:, 9] = (hi[1] - lo[1]) * scale
    return out
