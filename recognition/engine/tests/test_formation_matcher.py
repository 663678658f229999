"""The vectorised plan matcher gives exactly the answers of the one-plan-at-a-time one.

The reference (``formation_reference.py``) is the matcher as it was before it matched all of
a character's plans at once; every field of the match, the distance included, and the
closeness must be equal, not close: the checks a child sees come from them.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from recognition.engine import formation_plans
from recognition.engine.formation import _formation, mirrored
from recognition.engine.formation_plans import Match, Plan, load_plans
from recognition.engine.ink import Ink
from recognition.engine.labels import CLASSES

from . import formation_reference as reference
from .formation_ink import real

PER_CLASS = 6
FAULTS = ("as written", "every stroke reversed", "mirrored", "strokes in the wrong order")


def _faults(ink: Ink) -> dict[str, Ink]:
    return {
        "as written": ink,
        "every stroke reversed": Ink(tuple(s[::-1].copy() for s in ink.strokes)),
        "mirrored": mirrored(ink, True, False),
        "strokes in the wrong order": Ink(tuple(ink.strokes[::-1])),
    }


def _fields(m: Match) -> tuple[object, ...]:
    return (m.follows, m.backwards, m.reordered, m.start_off, m.count_differs, m.distance)


def _differences(inks: list[tuple[str, Ink]], plans: dict[str, tuple[Plan, ...]]) -> list[str]:
    out = []
    for i, (label, ink) in enumerate(inks):
        # Its own plans, and another character's (other stroke counts, the joined path).
        for against in (label, CLASSES[(CLASSES.index(label) + 1 + i) % len(CLASSES)]):
            old = reference.match(ink, plans[against])
            new = formation_plans.match(ink, plans[against])
            if new.plan is not old.plan or _fields(new) != _fields(old):
                out.append(f"{label} against {against}: {_fields(new)} != {_fields(old)}")
            elif _formation(new) != _formation(old):
                out.append(f"{label} against {against}: other checks")
            old_c = reference.closeness(ink, plans[against])
            new_c = formation_plans.closeness(ink, plans[against])
            if new_c != old_c:
                out.append(f"{label} against {against}: closeness {new_c} != {old_c}")
    return out


@pytest.mark.parametrize("fault", FAULTS)
def test_it_matches_real_ink_and_its_faults_exactly_as_before(fault: str) -> None:
    plans = load_plans()
    inks = [(label, _faults(ink)[fault]) for label in CLASSES for ink in real(label, PER_CLASS)]
    assert len(inks) >= 50 * PER_CLASS
    assert _differences(inks, plans) == []


def test_it_keeps_the_written_order_on_a_near_tie_as_before() -> None:
    # Orders costing within 1e-12 of each other: the written (earlier) order is kept.
    rng = np.random.default_rng(15)
    for k in (2, 3, 4):
        orders = np.array(list(itertools.permutations(range(k))))
        for _ in range(200):
            either = rng.uniform(0.0, 1.0, (k, k))
            o = orders[rng.integers(1, len(orders))]
            written = either[np.arange(k), np.arange(k)].sum()
            # Make order o cost the written order's cost less a hair (sometimes exactly it).
            either[0, o[0]] += written - either[np.arange(k), o].sum() - rng.choice([0, k * 5e-13])
            fwd, rev = either, either + 1.0
            want = reference._best_assignment(fwd, rev)
            costs, best = formation_plans._best_orders(either[None], orders)
            assert (float(costs[0]), tuple(int(i) for i in orders[best[0]])) == want


def test_it_matches_as_before_where_two_plans_are_the_same() -> None:
    # Equal plans: the first one is the match, with the first stroke order that is cheapest.
    plans = load_plans()
    twice = tuple(p for p in plans["E"] for _ in range(2))
    for ink in real("E", 20):
        for bad in _faults(ink).values():
            old, new = reference.match(bad, twice), formation_plans.match(bad, twice)
            assert new.plan is old.plan and _fields(new) == _fields(old)
