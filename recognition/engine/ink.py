"""Parse and validate ink (CONTRACTS section 1) into :class:`Ink`.

A drawing is a list of pen-down strokes, each a list of ``[x, y]`` or ``[x, y, t]`` points,
y pointing down, any scale and offset. Anything outside the limits raises :class:`InkError`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import InkError

MAX_STROKES = 64
MAX_POINTS = 4000
MAX_ABS_COORDINATE = 100_000.0


@dataclass(frozen=True)
class Ink:
    """Validated ink: one float64 array of shape (n, 2) (x, y) per non-empty stroke."""

    strokes: tuple[np.ndarray, ...]

    @property
    def num_points(self) -> int:
        """Total number of points over all strokes."""
        return sum(len(s) for s in self.strokes)

    def bounds(self) -> tuple[float, float, float, float]:
        """(min_x, min_y, max_x, max_y) over all points."""
        pts = np.concatenate(self.strokes)
        lo = pts.min(axis=0)
        hi = pts.max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    def to_json(self) -> dict[str, list[list[list[float]]]]:
        """The CONTRACTS section 1 form, ``{"strokes": [[[x, y], ...], ...]}``."""
        return {"strokes": [s.tolist() for s in self.strokes]}


def _stroke_array(stroke: object, index: int) -> np.ndarray:
    """One stroke as an (n, 2|3) float array, or a precise InkError."""
    if not isinstance(stroke, (list, tuple)):
        raise InkError("bad_format", f"stroke {index} must be a list of points")
    if not stroke:
        return np.zeros((0, 2))
    arr = None
    if _looks_numeric(stroke):
        try:
            arr = np.asarray(stroke)
        except ValueError:  # ragged: some points carry t, some do not
            arr = None
    if arr is None or arr.ndim != 2 or arr.shape[1] not in (2, 3) or arr.dtype.kind not in "iuf":
        return _checked_points(stroke, index)
    return arr.astype(np.float64, copy=False)


def _looks_numeric(stroke: Sequence[object]) -> bool:
    """Cheap pre-check so numpy never coerces strings or bools into numbers."""
    first = stroke[0]
    if not isinstance(first, (list, tuple)) or not first:
        return False
    return all(type(v) in (int, float) for v in first)


def _checked_points(stroke: Sequence[object], index: int) -> np.ndarray:
    """Slow path: check each point, raise the InkError naming the first bad one."""
    out = []
    for j, point in enumerate(stroke):
        where = f"stroke {index}, point {j}"
        if not isinstance(point, (list, tuple)) or len(point) not in (2, 3):
            raise InkError("bad_format", f"{where} must be [x, y] or [x, y, t]")
        for v in point:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise InkError("bad_format", f"{where} holds a non-number")
        try:
            out.append((float(point[0]), float(point[1])))
        except OverflowError:  # an integer too large for a float (JSON allows any)
            raise InkError("bad_coordinate", f"{where} is beyond any coordinate") from None
    return np.asarray(out, dtype=np.float64)


def parse_ink(payload: object) -> Ink:
    """Parse ``{"strokes": [...]}`` or a bare strokes list into a validated :class:`Ink`.

    Raises :class:`InkError` with code ``bad_format`` (wrong shape or types),
    ``empty_ink`` (no points), ``too_many_strokes`` (> 64 non-empty strokes),
    ``too_many_points`` (> 4000 in all) or ``bad_coordinate`` (non-finite, or |x|, |y| >
    100000). Empty strokes are dropped; ``t`` is optional and ignored by the recogniser.
    """
    if isinstance(payload, Ink):
        return payload
    strokes_obj = payload.get("strokes") if isinstance(payload, dict) else payload
    if isinstance(payload, dict) and "strokes" not in payload:
        raise InkError("bad_format", 'expected an object with a "strokes" list')
    if not isinstance(strokes_obj, (list, tuple)):
        raise InkError("bad_format", "strokes must be a list of strokes")
    if len(strokes_obj) > MAX_STROKES * 4:
        # Cheap early exit before converting a huge payload; exact count follows.
        raise InkError("too_many_strokes", f"at most {MAX_STROKES} strokes")
    strokes: list[np.ndarray] = []
    total = 0
    for i, stroke in enumerate(strokes_obj):
        if isinstance(stroke, (list, tuple)) and len(stroke) > MAX_POINTS:
            raise InkError("too_many_points", f"at most {MAX_POINTS} points in all")
        arr = _stroke_array(stroke, i)
        if len(arr) == 0:
            continue
        total += len(arr)
        if total > MAX_POINTS:
            raise InkError("too_many_points", f"at most {MAX_POINTS} points in all")
        if not np.isfinite(arr).all():
            raise InkError("bad_coordinate", f"stroke {i} holds a non-finite number")
        if np.abs(arr[:, :2]).max() > MAX_ABS_COORDINATE:
            limit = math.floor(MAX_ABS_COORDINATE)
            raise InkError("bad_coordinate", f"stroke {i} has a coordinate beyond +-{limit}")
        strokes.append(np.ascontiguousarray(arr[:, :2]))
    if not strokes:
        raise InkError("empty_ink", "the drawing has no points")
    if len(strokes) > MAX_STROKES:
        raise InkError("too_many_strokes", f"at most {MAX_STROKES} strokes")
    return Ink(tuple(strokes))


def check_added_stroke(points: object, *, strokes_before: int, points_before: int) -> None:
    """Validate one more stroke for a drawing that grows a stroke at a time (a live socket):
    the same limits and codes as :func:`parse_ink` on the whole drawing."""
    if strokes_before >= MAX_STROKES:
        raise InkError("too_many_strokes", f"at most {MAX_STROKES} strokes")
    added = len(points) if isinstance(points, (list, tuple)) else 0
    if points_before + added > MAX_POINTS:
        raise InkError("too_many_points", f"at most {MAX_POINTS} points in all")
    parse_ink([points])  # types and coordinates
