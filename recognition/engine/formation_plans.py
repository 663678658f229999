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


@dataclass(frozen=True)
class _Group:
    """The plans of one character with one stroke count, stacked to be matched at once."""

    plans: tuple[Plan, ...]
    strokes: np.ndarray  # (plans, k, POINTS, 2)
    orders: np.ndarray  # (orders, k): the stroke orders tried, the written order first
    directed: np.ndarray  # (plans, k): long enough to have a direction


@dataclass(frozen=True)
class _PlanIndex:
    """A character's plans as arrays, built once: by stroke count, and as joined pen paths."""

    plans: tuple[Plan, ...]
    by_count: dict[int, _Group]
    joined: np.ndarray  # (plans, JOINED_POINTS, 2)


def _build_index(plans: Sequence[Plan]) -> _PlanIndex:
    by_count: dict[int, _Group] = {}
    for k in sorted({p.count for p in plans}):
        same = tuple(p for p in plans if p.count == k)
        orders = (
            itertools.permutations(range(k)) if k <= MAX_PERMUTED_STROKES else [tuple(range(k))]
        )
        by_count[k] = _Group(
            plans=same,
            strokes=np.stack([p.strokes for p in same]),
            orders=np.array(list(orders), dtype=np.intp).reshape(-1, k),
            directed=np.array(
                [[stroke_length(s) >= MIN_STROKE_LENGTH for s in p.strokes] for p in same]
            ).reshape(len(same), k),
        )
    paths = np.stack([joined(p.strokes) for p in plans]) if plans else np.empty((0, 0, 2))
    return _PlanIndex(tuple(plans), by_count, paths)


_INDEX: dict[int, tuple[Sequence[Plan], _PlanIndex]] = {}
_INDEX_LIMIT = 256  # the shipped plans need 62; callers passing fresh lists get no leak


def _index(plans: Sequence[Plan]) -> _PlanIndex:
    """The arrays of ``plans``, built on first use and kept (keyed by the sequence object)."""
    hit = _INDEX.get(id(plans))
    if hit is not None and hit[0] is plans:
        return hit[1]
    index = _build_index(plans)
    if len(_INDEX) >= _INDEX_LIMIT:
        _INDEX.clear()
    _INDEX[id(plans)] = (plans, index)  # holding ``plans`` keeps its id from being reused
    return index


def _pair_distances(a: np.ndarray, strokes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean point distances between every attempt stroke and every plan's strokes.

    ``a`` is (k, POINTS, 2), ``strokes`` (plans, k, POINTS, 2); both answers are
    (plans, k, k), ``[plan, i, j]`` attempt stroke i against plan stroke j, as drawn and
    with the attempt stroke the other way round.
    """
    diff = a[None, :, None] - strokes[:, None]
    fwd = np.sqrt((diff**2).sum(-1)).mean(-1)
    diff_rev = a[None, :, None, ::-1] - strokes[:, None]
    rev = np.sqrt((diff_rev**2).sum(-1)).mean(-1)
    return fwd, rev


#: A stroke order replaces the best so far only when it is this much cheaper (ties keep the
#: earlier one, so the written order wins a tie).
_ORDER_TIE = 1e-12


def _best_orders(either: np.ndarray, orders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per plan, the cheapest stroke order with free flips: its mean cost and its index.

    ``either`` is (plans, k, k), the cheaper of the two directions; attempt stroke i is plan
    stroke ``orders[o][i]``. The orders are scanned in turn and one replaces the best so
    far only when cheaper by more than ``_ORDER_TIE``; that is the first cheapest order
    unless two orders cost nearly the same, where the scan itself is run.
    """
    k = either.shape[1]
    costs = either[:, np.arange(k), orders].mean(-1)  # (plans, orders)
    best = costs.argmin(-1)
    low = costs[np.arange(len(costs)), best]
    near = ((costs > low[:, None]) & (costs <= low[:, None] + 2 * _ORDER_TIE)).any(-1)
    for p in np.flatnonzero(near):
        row = costs[p].tolist()
        at = 0
        for o, cost in enumerate(row):
            if cost < row[at] - _ORDER_TIE:
                at = o
        best[p] = at
        low[p] = row[at]
    return low, best


def _start_off(shape: np.ndarray, plan: Plan) -> bool:
    """Whether the pen went down far from the plan's start (allowing a short lead-in)."""
    window = shape[0, :START_WINDOW]
    return float(np.linalg.norm(window - plan.strokes[0, 0], axis=1).min()) > START_DISTANCE


def _same_count(shape: np.ndarray, group: _Group) -> Match:
    k = len(shape)
    rows = np.arange(k)
    fwd, rev = _pair_distances(shape, group.strokes)
    written = fwd[:, rows, rows].mean(-1)
    nearest = int(written.argmin())
    if written[nearest] <= FOLLOWS:
        return Match(group.plans[nearest], True, (), False, False, False, float(written[nearest]))
    # Not as written: find the plan it comes closest to once order and direction are free.
    either = np.minimum(fwd, rev)
    costs, best = _best_orders(either, group.orders)
    j = int(costs.argmin())
    plan = group.plans[j]
    cost = float(costs[j])
    order = tuple(int(o) for o in group.orders[best[j]])
    in_order = float(either[j, rows, rows].mean())
    reordered = order != tuple(range(k)) and in_order - cost > ORDER_MARGIN
    if not reordered:
        order = tuple(range(k))
    backwards = tuple(
        order[i]
        for i in range(k)
        if group.directed[j, order[i]]
        and fwd[j, i, order[i]] - rev[j, i, order[i]] > BACKWARDS_MARGIN
    )
    start_off = _start_off(shape, plan)
    follows = not (reordered or backwards or start_off)
    return Match(plan, follows, backwards, reordered, start_off, False, cost)


def _joined_distances(shape: np.ndarray, index: _PlanIndex) -> tuple[np.ndarray, np.ndarray]:
    """Mean point distances of the whole pen path to every plan's, as drawn and reversed."""
    path = joined(shape)
    fwd = np.sqrt(((path - index.joined) ** 2).sum(-1)).mean(-1)
    rev = np.sqrt(((path[::-1] - index.joined) ** 2).sum(-1)).mean(-1)
    return fwd, rev


def _other_count(shape: np.ndarray, index: _PlanIndex) -> Match:
    fwd, rev = _joined_distances(shape, index)
    either = np.minimum(fwd, rev)
    j = int(either.argmin())
    plan = index.plans[j]
    backwards = tuple(range(plan.count)) if fwd[j] - rev[j] > BACKWARDS_MARGIN else ()
    start_off = _start_off(shape, plan)
    return Match(plan, False, backwards, False, start_off, True, float(either[j]))


def closeness(ink: Ink | Sequence[np.ndarray], plans: Sequence[Plan]) -> float:
    """How close the drawing's shape comes to any plan, whatever its order and directions.

    The mean point distance to the nearest plan with strokes reordered and reversed freely
    (the whole pen path, either way round, when no plan has the drawing's stroke count).
    A mirrored drawing that comes much closer than the drawing itself is backwards.
    """
    return shape_closeness(shape_of(ink), plans)


def shape_closeness(shape: np.ndarray, plans: Sequence[Plan]) -> float:
    """:func:`closeness` of a drawing already made a :func:`shape_of`."""
    index = _index(plans)
    group = index.by_count.get(len(shape))
    if group is not None:
        fwd, rev = _pair_distances(shape, group.strokes)
        return float(_best_orders(np.minimum(fwd, rev), group.orders)[0].min())
    return float(np.minimum(*_joined_distances(shape, index)).min())


def match(ink: Ink | Sequence[np.ndarray], plans: Sequence[Plan]) -> Match:
    """Compare an attempt with a character's plans (see :class:`Match`)."""
    return match_shape(shape_of(ink), plans)


def match_shape(shape: np.ndarray, plans: Sequence[Plan]) -> Match:
    """:func:`match` of an attempt already made a :func:`shape_of`.

    The plans are matched all at once, as arrays built on their first use (``_index``).
    """
    index = _index(plans)
    group = index.by_count.get(len(shape))
    return _same_count(shape, group) if group is not None else _other_count(shape, index)
