"""Formation in practice: what a failed attempt demonstrates, and the models to trace.

The engine (`recognition.engine.formation`) says which checks failed and which plan and
stroke to show; this module keeps that with the attempt (a plan is named by its index in
the target's plans) and turns it into what the practice page animates: the plan's strokes
in the character's own box (centred, longer side 1, y down), which the page fits onto the
faded model letter sitting on its guide lines.
"""

import itertools
from typing import Any

from recognition.engine.formation import Assessment
from recognition.engine.formation_plans import Plan, load_plans


def _strokes(plan: Plan) -> list[list[list[float]]]:
    return plan.as_dict()["strokes"]


def demonstration_of(assessment: Assessment) -> dict[str, int] | None:
    """What to demonstrate after this assessment: `{"plan": index, "stroke": index}`, or
    None when every check passed (or the target has no plans)."""
    if assessment.ok or assessment.plan is None:
        return None
    plans = load_plans().get(assessment.target, ())
    index = next((i for i, p in enumerate(plans) if p is assessment.plan), 0)
    return {"plan": index, "stroke": assessment.stroke or 0}


def demonstration_payload(target: str, stored: dict[str, int] | None) -> dict[str, Any] | None:
    """The result frame's `demonstration`: `{"strokes": [[[x, y], ...], ...], "stroke": i}`
    (the plan in the character's box; `stroke` the first one to get a start dot and an
    arrow), or None."""
    plans = load_plans().get(target, ())
    if stored is None or not plans:
        return None
    plan = plans[min(int(stored.get("plan", 0)), len(plans) - 1)]
    return {"strokes": _strokes(plan), "stroke": int(stored.get("stroke", 0))}


def models_to_trace(characters: str) -> dict[str, list[list[list[float]]]]:
    """The most common plan of each character, for "Show me how" (stroke by stroke)."""
    plans = load_plans()
    return {
        ch: _strokes(max(plans[ch], key=lambda p: p.support)) for ch in characters if plans.get(ch)
    }


#: A drawing no taller or wider than this share of the guides' body (or 6 px) is a dot.
DOT_SHARE = 0.08
#: Ink this many times longer than the drawing's larger side is a scribble, not a letter.
SCRIBBLE_RATIO = 20


def not_a_try(strokes: list[Any], guides: Any = None) -> tuple[str, str] | None:
    """`(code, message)` when a drawing is a dot or a scribble, which does not count as an
    attempt; None for anything that might be a character."""
    points = [p for s in strokes for p in s]
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    side = max(max(xs) - min(xs), max(ys) - min(ys))
    small = DOT_SHARE * guides.body if guides is not None else 6.0
    if side <= small:
        return "just_a_dot", "That's just a dot! Write the whole character."
    length = 0.0
    for stroke in strokes:
        for a, b in itertools.pairwise(stroke):
            length += ((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5
    if length > SCRIBBLE_RATIO * side:
        return "scribble", "That looks like a scribble. Clear it and try again."
    return None
