"""Assess one attempt at a target character: named checks a child understands, and a score.

:func:`assess` is the one entry point (the submit path, ``POST /api/v1/recognize`` with a
``target`` and the practice result frame all call it). The checks, in the order a teacher
looks at them (CONTRACTS section 8):

``legible``
    The recogniser reads the target (after the guide lines have decided case). The same
    letter in the other case (``A`` for ``a``) and a same-height twin (``O`` or ``0`` for
    ``o``, ``l`` or ``I`` for ``1``) still count: ``case``, ``size`` and ``placement`` say
    what is off.
``orientation``
    When the drawing is not legible, the mirrored, upside-down and turned-round drawings are
    read too: if one of them is the target, the character is backwards or upside down. When
    it is legible, it is backwards if its mirror image comes much closer to the target's
    plans (:func:`formation_plans.closeness`) than the drawing itself (a legible but
    reversed f or j). A character that is its own mirror image (``MIRROR_SYMMETRIC``: o, x,
    A, H, ...) is never backwards; ``start`` and ``direction`` say what a mirrored one did.
``start``, ``order``, ``direction``
    Only when legible: the strokes against the target's plans (:mod:`formation_plans`),
    where the pen went down, the order of the strokes (and their number), and which way
    each went.
``size``, ``placement``
    With guides: the drawing's height against the target's ideal height, and its bottom
    against the baseline (or below it, for a descender). Without guides but with the
    canvas ``box``: not tiny, and not off in a corner. With neither: left out.
``case``
    Letters only, when legible. For letters whose two cases share a shape (c, m, o, p, s,
    u, v, w, x, y, z, j), only with guides: the size and position fit the target's case
    better than the other one. For the others (a and A differ), with or without guides:
    the recogniser did not read the other case.

The score (0 to 100), legibility first: a drawing that is not legible scores under 40
(``40 x`` the probability the recogniser gives the target and its same-shape partners);
a legible one scores ``60 + 40 x`` the share of the other checks that passed (100 when all
pass or none applies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import TargetError
from .formation_plans import Match, Plan, load_plans, match_shape, shape_closeness, shape_of
from .guides import (
    Extent,
    Guides,
    apply_guides,
    expected_extents,
    fit,
    measure,
    partners,
)
from .ink import Ink, parse_ink
from .labels import CLASSES
from .runtime import Recognition, Recognizer

CHECK_NAMES = ("legible", "orientation", "start", "order", "direction", "size", "placement", "case")

#: Height against the target's ideal height (guide units) that still counts as the right size.
SIZE_RANGE = (0.5, 1.7)
#: How far (guide units) the bottom may sit from where it belongs.
PLACEMENT_TOLERANCE = 0.25
#: Without guides: the drawing's longer side must span this share of the canvas box.
BOX_MIN_SHARE = 0.3
#: Without guides: the drawing's centre must lie this far inside the box (share of a side).
BOX_MARGIN = 0.15
#: With another number of strokes, the whole pen path must come this close to a plan's.
JOINED_FOLLOWS = 0.2
#: A turned drawing read as the target with at least this probability is backwards...
TURNED_CONFIDENCE = 0.5
#: ... when that is this many times what the drawing itself got (an o stays an o).
TURNED_GAIN = 3.0
#: A legible drawing is backwards when its mirror image comes this much closer to a plan.
MIRROR_MARGIN = 0.05
#: The other case must fit the guides this many times better to fail ``case``.
CASE_MARGIN = 2.0

#: Characters that are their own mirror image in print: a mirrored one is not backwards (its
#: strokes went the other way, which ``start`` and ``direction`` say).
MIRROR_SYMMETRIC = "018AHIMOTUVWXYilovwx"
#: Look-alikes of the same height that neither the recogniser nor the lines can tell apart.
ALIKE = ("oO0", "1lI")
_CASED = "cmopsuvwxyzj"  # k and K reach the same height: the lines cannot tell them apart


@dataclass(frozen=True)
class Check:
    """One named check: ``ok`` or not, and a short message for the child."""

    name: str
    ok: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The CONTRACTS section 8 form."""
        return {"name": self.name, "ok": self.ok, "message": self.message}


@dataclass(frozen=True)
class Assessment:
    """The verdict on one attempt.

    ``checks`` in :data:`CHECK_NAMES` order (those that do not apply left out); ``score``
    0 to 100 (see the module docstring); ``recognition`` the answer after the guides;
    ``plan`` the plan the attempt was held against and ``stroke`` the index (in that plan)
    of the first stroke to demonstrate, for the try-again animation (``None`` when the
    formation checks passed or did not apply).
    """

    target: str
    checks: tuple[Check, ...]
    score: int
    recognition: Recognition
    plan: Plan | None
    stroke: int | None

    @property
    def ok(self) -> bool:
        """Every check that applies passed."""
        return all(c.ok for c in self.checks)

    def check(self, name: str) -> Check | None:
        """The check called ``name``, or ``None`` when it does not apply."""
        return next((c for c in self.checks if c.name == name), None)

    def first_failed(self) -> Check | None:
        """The check to talk about first (legibility first)."""
        return next((c for c in self.checks if not c.ok), None)

    def as_dict(self) -> dict[str, Any]:
        """JSON for the answer and the attempt: checks, score and the plan to demonstrate."""
        return {
            "target": self.target,
            "score": self.score,
            "checks": [c.as_dict() for c in self.checks],
            "plan": self.plan.as_dict() if self.plan is not None else None,
            "stroke": self.stroke,
        }


def mirrored(ink: Ink, flip_x: bool, flip_y: bool) -> Ink:
    """The drawing reflected left-right and/or top-bottom about its own box."""
    min_x, min_y, max_x, max_y = ink.bounds()
    centre = np.array([min_x + max_x, min_y + max_y]) / 2
    sign = np.array([-1.0 if flip_x else 1.0, -1.0 if flip_y else 1.0])
    return Ink(tuple((s - centre) * sign + centre for s in ink.strokes))


def _where(point: np.ndarray) -> str:
    """A point of the character's box in words: 'at the top, on the left'."""
    x, y = float(point[0]), float(point[1])
    row = "at the top" if y < -0.2 else "at the bottom" if y > 0.2 else "in the middle"
    side = ", on the left" if x < -0.15 else ", on the right" if x > 0.15 else ""
    return row + side


def _alike(read: str, target: str) -> bool:
    """The right character, or the same letter in the other case, or a same-height twin."""
    if read == target or read == target.swapcase():
        return True
    return any(read in group and target in group for group in ALIKE)


def _legible(target: str, rec: Recognition) -> bool:
    return not rec.rejected and _alike(rec.candidates[0].label, target)


def _target_p(target: str, rec: Recognition) -> float:
    group = target + partners(target)
    return sum(c.p for c in rec.candidates if c.label in group)


def _orientation(
    ink: Ink,
    target: str,
    own_p: float,
    guides: Guides | None,
    recognizer: Recognizer,
    charset: str | None,
) -> Check:
    turns = [
        ((True, False), "Your {t} is backwards. Watch which way it faces."),
        ((False, True), "Your {t} is upside down."),
        ((True, True), "Your {t} is upside down."),
    ]
    if target in MIRROR_SYMMETRIC:
        turns = turns[1:]
    inks = [mirrored(ink, fx, fy) for (fx, fy), _ in turns]
    for turned, rec, (_, message) in zip(
        inks, recognizer.recognize_batch(inks, charset), turns, strict=True
    ):
        rec = apply_guides(rec, turned, guides, charset)
        p = _target_p(target, rec)
        if _legible(target, rec) and p >= TURNED_CONFIDENCE and p >= TURNED_GAIN * own_p:
            return Check("orientation", False, message.format(t=target))
    return Check("orientation", True, "It faces the right way.")


def _mirror_image(ink: Ink, shape: np.ndarray, target: str, plans: tuple[Plan, ...]) -> Check:
    if target in MIRROR_SYMMETRIC:
        return Check("orientation", True, "It faces the right way.")
    mirror = shape_of(mirrored(ink, True, False))
    if shape_closeness(mirror, plans) + MIRROR_MARGIN < shape_closeness(shape, plans):
        return Check("orientation", False, f"Your {target} is backwards. Watch which way it faces.")
    return Check("orientation", True, "It faces the right way.")


def _direction_message(plan: Plan, index: int) -> str:
    stroke = plan.strokes[index]
    which = "" if plan.count == 1 else f" line {index + 1}"
    if np.linalg.norm(stroke[-1] - stroke[0]) < 0.25:
        return "Go round the other way. Watch how."
    move = stroke[-1] - stroke[0]
    if abs(move[1]) >= abs(move[0]):
        way = "from the top to the bottom" if move[1] > 0 else "from the bottom to the top"
    else:
        way = "from left to right" if move[0] > 0 else "from right to left"
    return f"Draw{which} {way}."


def _formation(m: Match) -> tuple[list[Check], int | None]:
    plan = m.plan
    checks = []
    if m.start_off:
        checks.append(Check("start", False, f"Start {_where(plan.strokes[0, 0])}."))
    else:
        checks.append(Check("start", True, "Good start!"))
    strokes = "1 stroke" if plan.count == 1 else f"{plan.count} strokes"
    if m.count_differs and m.distance > JOINED_FOLLOWS:
        checks.append(Check("order", False, f"Try it with {strokes}. Watch how."))
    elif m.reordered:
        checks.append(Check("order", False, "Do the strokes in the right order. Watch how."))
    else:
        checks.append(Check("order", True, "Strokes in the right order."))
    if m.backwards:
        checks.append(Check("direction", False, _direction_message(plan, m.backwards[0])))
    else:
        checks.append(Check("direction", True, "Your pen went the right way."))
    wrong = None
    if m.start_off or m.reordered:
        wrong = 0
    elif m.backwards:
        wrong = m.backwards[0]
    elif not checks[1].ok:
        wrong = 0
    return checks, wrong


def _ideal(target: str, extent: Extent, guides: Guides) -> Extent:
    def off(e: Extent) -> float:
        return (e.top - extent.top) ** 2 + (e.bottom - extent.bottom) ** 2

    return min(expected_extents(target, guides.x_ratio), key=off)


def _line_name(u: float, guides: Guides) -> str:
    return "top line" if u > (1 + guides.x_ratio) / 2 else "middle line"


def _size_placement_guides(ink: Ink, target: str, guides: Guides) -> list[Check]:
    extent = measure(ink, guides)
    ideal = _ideal(target, extent, guides)
    reach = _line_name(ideal.top, guides)
    ratio = extent.height / ideal.height
    if ratio < SIZE_RANGE[0]:
        size = Check("size", False, f"Make it bigger: reach up to the {reach}.")
    elif ratio > SIZE_RANGE[1]:
        size = Check("size", False, f"Make it smaller: stop at the {reach}.")
    else:
        size = Check("size", True, "Good size!")
    off = extent.bottom - ideal.bottom
    descends = ideal.bottom < -0.05
    if abs(off) <= PLACEMENT_TOLERANCE:
        placement = Check("placement", True, "It sits nicely on the line.")
    elif descends and off > 0:
        placement = Check("placement", False, "Let its tail hang below the bottom line.")
    elif off > 0:
        placement = Check("placement", False, "Sit it on the bottom line.")
    else:
        placement = Check("placement", False, "Keep it on the bottom line, not below it.")
    return [size, placement]


def _size_placement_box(ink: Ink, box: tuple[float, float, float, float]) -> list[Check]:
    x0, y0, x1, y1 = box
    width, height = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    min_x, min_y, max_x, max_y = ink.bounds()
    share = max((max_x - min_x) / width, (max_y - min_y) / height)
    if share < BOX_MIN_SHARE:
        size = Check("size", False, "Make it bigger: fill more of the box.")
    else:
        size = Check("size", True, "Good size!")
    cx = ((min_x + max_x) / 2 - x0) / width
    cy = ((min_y + max_y) / 2 - y0) / height
    inside = BOX_MARGIN <= cx <= 1 - BOX_MARGIN and BOX_MARGIN <= cy <= 1 - BOX_MARGIN
    if inside:
        placement = Check("placement", True, "Nicely placed.")
    else:
        placement = Check("placement", False, "Write it in the middle of the box.")
    return [size, placement]


def _case_message(target: str) -> str:
    other = target.swapcase()
    if target.islower():
        return f"That looks like a capital {other}. Write a small {target}."
    return f"That looks like a small {other}. Write a capital {target}."


def _case(ink: Ink, target: str, read: str, guides: Guides | None) -> Check | None:
    """Case: from the lines where the two cases share a shape, else from what was read."""
    if not target.isalpha():
        return None
    kind = "small" if target.islower() else "capital"
    well_done = Check("case", True, f"A {kind} {target}, well done!")
    if target.lower() not in _CASED:
        if read == target.swapcase():
            return Check("case", False, _case_message(target))
        return well_done
    if guides is None:
        return None  # o or O: only the lines can tell
    extent = measure(ink, guides)
    mine = fit(target, extent, guides.x_ratio)
    theirs = fit(target.swapcase(), extent, guides.x_ratio)
    if theirs > CASE_MARGIN * mine:
        return Check("case", False, _case_message(target))
    return well_done


def _score(checks: list[Check], legible: bool, target_p: float) -> int:
    if not legible:
        return min(39, round(40 * target_p))
    others = [c for c in checks if c.name != "legible"]
    if not others:
        return 100
    return round(60 + 40 * sum(c.ok for c in others) / len(others))


def assess(
    ink: Ink | object,
    target: str,
    *,
    recognizer: Recognizer,
    guides: Guides | None = None,
    box: tuple[float, float, float, float] | None = None,
    recognition: Recognition | None = None,
    charset: str | None = None,
) -> Assessment:
    """Assess one attempt at ``target`` (one of the 62 characters).

    ``ink`` is an :class:`Ink` or a payload :func:`parse_ink` accepts (raises ``InkError``);
    ``target`` outside the 62 classes raises :class:`TargetError` (``bad_target``).
    ``recognizer`` reads the drawing (and, when it is not legible, its mirror images);
    pass ``recognition`` when the caller already has the plain answer for this ink (it is
    not read twice). ``guides`` (see :func:`guides.parse_guides`) decide case and give
    ``size`` and ``placement`` against the lines; without them ``box`` (the canvas,
    ``(x0, y0, x1, y1)`` in ink coordinates) gives a rougher ``size`` and ``placement``.
    ``charset`` limits the candidates as in :meth:`Recognizer.recognize`. No TensorFlow.
    """
    if not isinstance(target, str) or len(target) != 1 or target not in CLASSES:
        raise TargetError("bad_target", "target must be one of 0-9, A-Z, a-z")
    ink = parse_ink(ink)
    plain = recognition if recognition is not None else recognizer.recognize(ink, charset)
    rec = apply_guides(plain, ink, guides, charset)
    legible = _legible(target, rec)
    checks: list[Check] = []
    if legible:
        checks.append(Check("legible", True, f"That is a {target}!"))
    else:
        checks.append(Check("legible", False, f"That doesn't look like {target} yet."))
        own_p = _target_p(target, rec)
        checks.append(_orientation(ink, target, own_p, guides, recognizer, charset))
    plan: Plan | None = None
    stroke: int | None = None
    plans = load_plans().get(target, ())
    read = rec.candidates[0].label
    # An A written for a: the formation of an A says nothing about the target's plans.
    other_letter = read != target and read == target.swapcase() and target.lower() not in _CASED
    if legible and not other_letter and plans:
        shape = shape_of(ink)  # the drawing as plans are stored, made once for both
        checks.append(_mirror_image(ink, shape, target, plans))
        m = match_shape(shape, plans)
        formation, stroke = _formation(m)
        checks.extend(formation)
        plan = m.plan
    elif plans:
        plan = max(plans, key=lambda p: p.support)
        stroke = 0
    if guides is not None:
        checks.extend(_size_placement_guides(ink, target, guides))
    elif box is not None:
        checks.extend(_size_placement_box(ink, box))
    case = _case(ink, target, read, guides) if legible else None
    if case is not None:
        checks.append(case)
    score = _score(checks, legible, _target_p(target, rec))
    return Assessment(target, tuple(checks), score, rec, plan, stroke)
