"""Stroke plans: how each of the 62 characters is written, and matching ink against them.

A *plan* is one accepted way to write a character: its strokes in order, each a polyline of
``POINTS`` points resampled by arc length, in the character's own box (centred on the box,
scaled so its longer side is 1, y down). The first point of a stroke is where the pen goes
down, so a plan holds the number of strokes, their order, each start point and direction.
``formation_plans.json`` holds several plans per character where writers differ; it is
built from the training writers' ink by :mod:`formation_build`.

:func:`match` compares an attempt with a character's plans and says which plan it follows
and what differs: a stroke drawn backwards, strokes in another order, a different start, a
different number of strokes.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from .ink import Ink

POINTS = 10  # points per stroke in a plan
JOINED_POINTS = 32  # points of the whole pen path when stroke counts differ
PLANS_PATH = Path(__file__).with_name("formation_plans.json")
MAX_PERMUTED_STROKES = 5  # beyond this only the written order is tried

#: An attempt this close (mean point distance, character box = 1) to a plan follows it.
FOLLOWS = 0.16
#: A stroke counts as backwards when drawing it the other way is this much closer.
BACKWARDS_MARGIN = 0.08
#: Strokes in another order count when reordering brings the attempt this much closer.
ORDER_MARGIN = 0.05
#: The pen went down this far (character box = 1) from the plan's start.
START_DISTANCE = 0.45
#: A lead-in (a joined-up writer's tail) may come first: the pen must pass the plan's start
#: within the first this many of the stroke's ``POINTS``.
START_WINDOW = 3
#: Strokes shorter than this (a dot) have no direction.
MIN_STROKE_LENGTH = 0.15


def normalise(strokes: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Strokes moved and scaled into the character's box: centred, longer side 1."""
    pts = np.concatenate(strokes)
    lo = pts.min(axis=0)
    hi = pts.max(axis=0)
    extent = float((hi - lo).max()) or 1.0
    centre = (lo + hi) / 2
    return [(np.asarray(s, dtype=np.float64) - centre) / extent for s in strokes]


def resample(points: np.ndarray, n: int = POINTS) -> np.ndarray:
    """``n`` points evenly spaced along the polyline (a dot gives ``n`` copies)."""
    if len(points) == 1:
        return np.repeat(points[:1], n, axis=0)
    seg = np.sqrt(((points[1:] - points[:-1]) ** 2).sum(axis=1))
    along = np.concatenate([[0.0], np.cumsum(seg)])
    if along[-1] <= 1e-12:
        return np.repeat(points[:1], n, axis=0)
    at = np.linspace(0.0, along[-1], n)
    return np.stack([np.interp(at, along, points[:, 0]), np.interp(at, along, points[:, 1])], 1)


def stroke_length(stroke: np.ndarray) -> float:
    """Length of a resampled stroke's polyline."""
    return float(np.sqrt(((stroke[1:] - stroke[:-1]) ** 2).sum(axis=1)).sum())


def shape_of(ink: Ink | Sequence[np.ndarray]) -> np.ndarray:
    """An attempt as plans are stored: (strokes, POINTS, 2), normalised and resampled."""
    strokes = ink.strokes if isinstance(ink, Ink) else ink
    return np.stack([resample(s) for s in normalise(list(strokes))])


def joined(shape: np.ndarray) -> np.ndarray:
    """The whole pen path (pen-up jumps included) resampled to ``JOINED_POINTS``."""
    return resample(shape.reshape(-1, 2), JOINED_POINTS)


@dataclass(frozen=True)
class Plan:
    """One accepted way to write a character.

    ``strokes`` is (strokes, POINTS, 2) in the character's box; ``support`` the share of the
    training writers' samples of the character that follow it; ``guide_lines`` where each
    stroke starts and ends against the guide lines (guide units: 0 baseline, 1 cap height,
    on paper whose x-height is 0.5), for a demonstration.
    """

    label: str
    strokes: np.ndarray
    support: float
    guide_lines: tuple[tuple[float, float], ...]

    @property
    def count(self) -> int:
        return len(self.strokes)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form stored in ``formation_plans.json`` (and sent to a demonstration)."""
        return {
            "strokes": np.round(self.strokes, 3).tolist(),
            "support": round(self.support, 3),
            "guide_lines": [[round(a, 2), round(b, 2)] for a, b in self.guide_lines],
        }


def plans_from_json(data: dict[str, Any]) -> dict[str, tuple[Plan, ...]]:
    """Parse the ``formation_plans.json`` object: ``{"plans": {label: [plan, ...]}}``."""
    out: dict[str, tuple[Plan, ...]] = {}
    for label, rows in data["plans"].items():
        out[label] = tuple(
            Plan(
                label=label,
                strokes=np.asarray(row["strokes"], dtype=np.float64),
                support=float(row["support"]),
                guide_lines=tuple((float(a), float(b)) for a, b in row["guide_lines"]),
            )
            for row in rows
        )
    return out


@cache
def load_plans(path: Path = PLANS_PATH) -> dict[str, tuple[Plan, ...]]:
    """The shipped plans, read once per process."""
    return plans_from_json(json.loads(Path(path).read_text()))


@dataclass(frozen=True)
class Match:
    """How an attempt relates to the plan it is closest to.

    ``follows``: it follows the plan as written (start, order and direction all fine).
    ``backwards``: indices (in the plan) of strokes drawn the other way. ``reordered``: the
    strokes came in another order. ``start_off``: the pen went down far from the plan's
    start. ``count_differs``: no plan has the attempt's number of strokes.
    """

    plan: Plan
    follows: bool
    backwards: tuple[int, ...]
    reordered: bool
    start_off: bool
    count_differs: bool
    distance: float


def _pair_distances(a: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean point distances between every attempt stroke and plan stroke, both ways round."""
    diff = a[:, None] - p[None]
    fwd = np.sqrt((diff**2).sum(-1)).mean(-1)
    diff_rev = a[:, None, ::-1] - p[None]
    rev = np.sqrt((diff_rev**2).sum(-1)).mean(-1)
    return fwd, rev


def _best_assignment(fwd: np.ndarray, rev: np.ndarray) -> tuple[float, tuple[int, ...]]:
    """The stroke order (attempt stroke i is plan stroke order[i]) closest with free flips."""
    k = len(fwd)
    either = np.minimum(fwd, rev)
    identity = tuple(range(k))
    best_cost = float(either[np.arange(k), identity].mean())
    best = identity
    if k > MAX_PERMUTED_STROKES:
        return best_cost, best
    rows = np.arange(k)
    for order in itertools.permutations(range(k)):
        cost = float(either[rows, order].mean())
        if cost < best_cost - 1e-12:
            best_cost, best = cost, order
    return best_cost, best


def _start_off(shape: np.ndarray, plan: Plan) -> bool:
    """Whether the pen went down far from the plan's start (allowing a short lead-in)."""
    window = shape[0, :START_WINDOW]
    return float(np.linalg.norm(window - plan.strokes[0, 0], axis=1).min()) > START_DISTANCE


def _same_count(shape: np.ndarray, plans: Sequence[Plan]) -> Match:
    scored = []
    for plan in plans:
        fwd, rev = _pair_distances(shape, plan.strokes)
        written = float(np.diag(fwd).mean())
        scored.append((written, plan, fwd, rev))
    written, plan, fwd, rev = min(scored, key=lambda t: t[0])
    if written <= FOLLOWS:
        return Match(plan, True, (), False, False, False, written)
    # Not as written: find the plan it comes closest to once order and direction are free.
    best = min(((*_best_assignment(f, r), p, f, r) for _, p, f, r in scored), key=lambda t: t[0])
    cost, order, plan, fwd, rev = best
    k = len(order)
    rows = np.arange(k)
    either = np.minimum(fwd, rev)
    in_order = float(either[rows, rows].mean())
    reordered = order != tuple(range(k)) and in_order - cost > ORDER_MARGIN
    if not reordered:
        order = tuple(range(k))
    backwards = tuple(
        int(order[i])
        for i in range(k)
        if stroke_length(plan.strokes[order[i]]) >= MIN_STROKE_LENGTH
        and fwd[i, order[i]] - rev[i, order[i]] > BACKWARDS_MARGIN
    )
    start_off = _start_off(shape, plan)
    follows = not (reordered or backwards or start_off)
    return Match(plan, follows, backwards, reordered, start_off, False, cost)


def _other_count(shape: np.ndarray, plans: Sequence[Plan]) -> Match:
    path = joined(shape)
    back = path[::-1]
    scored = []
    for plan in plans:
        ref = joined(plan.strokes)
        fwd = float(np.sqrt(((path - ref) ** 2).sum(-1)).mean())
        rev = float(np.sqrt(((back - ref) ** 2).sum(-1)).mean())
        scored.append((min(fwd, rev), fwd, rev, plan))
    cost, fwd, rev, plan = min(scored, key=lambda t: t[0])
    backwards = tuple(range(plan.count)) if fwd - rev > BACKWARDS_MARGIN else ()
    start_off = _start_off(shape, plan)
    return Match(plan, False, backwards, False, start_off, True, cost)


def closeness(ink: Ink | Sequence[np.ndarray], plans: Sequence[Plan]) -> float:
    """How close the drawing's shape comes to any plan, whatever its order and directions.

    The mean point distance to the nearest plan with strokes reordered and reversed freely
    (the whole pen path, either way round, when no plan has the drawing's stroke count).
    A mirrored drawing that comes much closer than the drawing itself is backwards.
    """
    shape = shape_of(ink)
    same = [p for p in plans if p.count == len(shape)]
    if same:
        return min(_best_assignment(*_pair_distances(shape, p.strokes))[0] for p in same)
    path = joined(shape)
    return min(
        float(np.sqrt(((way - joined(p.strokes)) ** 2).sum(-1)).mean())
        for p in plans
        for way in (path, path[::-1])
    )


def match(ink: Ink | Sequence[np.ndarray], plans: Sequence[Plan]) -> Match:
    """Compare an attempt with a character's plans (see :class:`Match`)."""
    shape = shape_of(ink)
    same = [p for p in plans if p.count == len(shape)]
    return _same_count(shape, same) if same else _other_count(shape, plans)
