"""The plan matcher as it was before it was vectorised: one plan at a time, in Python loops.

Kept only as the reference the vectorised :mod:`formation_plans` must agree with exactly
(``test_formation_matcher.py``); the shared pieces it uses (``shape_of``, ``joined``,
``_start_off``, ``stroke_length`` and the thresholds) are the module's own.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from recognition.engine.formation_plans import (
    BACKWARDS_MARGIN,
    FOLLOWS,
    MAX_PERMUTED_STROKES,
    MIN_STROKE_LENGTH,
    ORDER_MARGIN,
    Match,
    Plan,
    _start_off,
    joined,
    shape_of,
    stroke_length,
)
from recognition.engine.ink import Ink


def _pair_distances(a: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    diff = a[:, None] - p[None]
    fwd = np.sqrt((diff**2).sum(-1)).mean(-1)
    diff_rev = a[:, None, ::-1] - p[None]
    rev = np.sqrt((diff_rev**2).sum(-1)).mean(-1)
    return fwd, rev


def _best_assignment(fwd: np.ndarray, rev: np.ndarray) -> tuple[float, tuple[int, ...]]:
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


def _same_count(shape: np.ndarray, plans: Sequence[Plan]) -> Match:
    scored = []
    for plan in plans:
        fwd, rev = _pair_distances(shape, plan.strokes)
        written = float(np.diag(fwd).mean())
        scored.append((written, plan, fwd, rev))
    written, plan, fwd, rev = min(scored, key=lambda t: t[0])
    if written <= FOLLOWS:
        return Match(plan, True, (), False, False, False, written)
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
    shape = shape_of(ink)
    same = [p for p in plans if p.count == len(shape)]
    return _same_count(shape, same) if same else _other_count(shape, plans)
