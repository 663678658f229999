"""Build ``formation_plans.json``: the stroke plans of the 62 characters, from real ink.

Usage (from the repository root)::

    python -m recognition.engine.formation_build --data ../shared/data/unipen-1abc.jsonl.gz \
        --render var/formation_plans.png

Only the ``train`` split is read, cleaned first: fragments (a sample under ``FRAGMENT`` of
its writer's typical size) and samples the shipped recogniser does not read as their own
character within its top 3 (wrong labels, unreadable ink; case ignored) are left out.
For each character the samples are grouped by their number of strokes (a group needs
``MIN_GROUP`` of the character's samples); within a group each sample is a point of
``(strokes, POINTS, 2)`` in the character's box, compared as written (same order, same
direction). Plans are chosen as medoids by greedy coverage (k-medoids seeded by facility
location): the sample that has the most not-yet-covered samples within ``FOLLOWS`` becomes a
plan, while a new plan covers at least ``MIN_PLAN`` of the character; each plan is then
moved to the medoid of the samples nearest to it. A plan that is a commoner plan with its
strokes reordered or reversed is kept only when ``VARIANT_MIN`` of the writers' samples
follow it (:func:`drop_rare_variants`).
``--render`` draws every plan (numbered strokes, a green start dot, an arrow at the end)
as a PNG grid to review by eye.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .datasets import InkSample, read_ink_jsonl
from .formation_plans import (
    FOLLOWS,
    PLANS_PATH,
    POINTS,
    Plan,
    _best_assignment,
    _pair_distances,
    shape_of,
)
from .guides import expected_extents
from .labels import CLASSES, fold35
from .runtime import Recognizer
from .training import filter_samples

FRAGMENT = 0.3
MIN_GROUP = 0.05
MIN_PLAN = 0.02
MAX_PLANS_PER_GROUP = 5
VARIANT_MIN = 0.15
MAX_STROKES = 6
POPULATION = 700
CANDIDATES = 300
SEED = 15
PLAN_X_RATIO = 0.5


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean point distance, as written, between every shape of ``a`` and of ``b``."""
    out = np.empty((len(a), len(b)))
    for i in range(0, len(a), 64):
        diff = a[i : i + 64, None] - b[None]
        out[i : i + 64] = np.sqrt((diff**2).sum(-1)).mean((-1, -2))
    return out


def guide_lines(label: str, strokes: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Where each stroke starts and ends in guide units on paper of x-height 0.5."""
    ideal = expected_extents(label, PLAN_X_RATIO)[0]
    ys = strokes[..., 1]
    lo, hi = float(ys.min()), float(ys.max())
    span = hi - lo or 1.0

    def units(y: float) -> float:
        return ideal.top - (y - lo) / span * (ideal.top - ideal.bottom)

    return tuple((units(float(s[0, 1])), units(float(s[-1, 1]))) for s in strokes)


def plans_for(label: str, shapes: list[np.ndarray], rng: np.random.Generator) -> list[Plan]:
    """The plans of one character from its training shapes."""
    groups: dict[int, list[np.ndarray]] = defaultdict(list)
    for shape in shapes:
        groups[len(shape)].append(shape)
    total = len(shapes)
    plans: list[Plan] = []
    for count in sorted(groups):
        group = groups[count]
        share = len(group) / total
        if share < MIN_GROUP or len(group) < 10:
            continue
        stacked = np.stack(group)
        pop = stacked[rng.permutation(len(group))[:POPULATION]]
        cand = pop[rng.permutation(len(pop))[:CANDIDATES]]
        dist = _distances(cand, pop)
        near = dist <= FOLLOWS
        covered = np.zeros(len(pop), dtype=bool)
        chosen: list[int] = []
        while len(chosen) < MAX_PLANS_PER_GROUP:
            gain = (near & ~covered).sum(axis=1)
            best = int(gain.argmax())
            if chosen and gain[best] / len(pop) * share < MIN_PLAN:
                break
            chosen.append(best)
            covered |= near[best]
        centres = cand[chosen]
        nearest = _distances(pop, centres).argmin(axis=1)
        for j in range(len(centres)):
            members = pop[nearest == j][:POPULATION]
            if len(members) == 0:
                continue
            medoid = members[int(_distances(members, members).sum(axis=1).argmin())]
            plans.append(
                Plan(
                    label=label,
                    strokes=medoid,
                    support=len(members) / len(pop) * share,
                    guide_lines=guide_lines(label, medoid),
                )
            )
    plans.sort(key=lambda p: -p.support)
    return drop_rare_variants(plans)


def is_variant(plan: Plan, of: Plan) -> bool:
    """Whether ``plan`` is ``of`` with its strokes in another order or drawn the other way."""
    if plan.count != of.count:
        return False
    fwd, rev = _pair_distances(plan.strokes, of.strokes)
    if float(np.diag(fwd).mean()) <= FOLLOWS:
        return False
    return _best_assignment(fwd, rev)[0] <= FOLLOWS


def drop_rare_variants(plans: list[Plan]) -> list[Plan]:
    """Keep another order or direction of a commoner plan only where it is common itself.

    Schools differ (T with its bar first or last), but an order or direction that only a
    few writers use would otherwise excuse the very faults a child should be told about.
    """
    kept: list[Plan] = []
    for plan in plans:  # most common first
        if plan.support < VARIANT_MIN and any(is_variant(plan, k) for k in kept):
            continue
        kept.append(plan)
    return kept


def readable(samples: list[InkSample], recognizer: Recognizer) -> list[InkSample]:
    """The samples whose own character (case ignored) is in the recogniser's top 3."""
    kept = []
    for i in range(0, len(samples), 512):
        chunk = samples[i : i + 512]
        for s, r in zip(chunk, recognizer.recognize_batch([s.ink for s in chunk]), strict=True):
            if fold35(s.label) in {fold35(c.label) for c in r.candidates[:3]}:
                kept.append(s)
    return kept


def build(paths: Sequence[str | Path], model: Path, seed: int = SEED) -> dict[str, Any]:
    """The ``formation_plans.json`` object from the train split of ``paths``."""
    samples = [
        s
        for path in paths
        for s in read_ink_jsonl(path, ["train"])
        if len(s.ink.strokes) <= MAX_STROKES
    ]
    samples, _ = filter_samples(samples, FRAGMENT)
    samples = readable(samples, Recognizer.load(model))
    shapes: dict[str, list[np.ndarray]] = defaultdict(list)
    for sample in samples:
        shapes[sample.label].append(shape_of(sample.ink))
    rng = np.random.default_rng(seed)
    plans = {c: plans_for(c, shapes[c], rng) for c in CLASSES if shapes[c]}
    return {
        "about": (
            "Stroke plans of the 62 characters (recognition/engine/formation_plans.py), "
            "medoids of the UNIPEN train split's writers; rebuild with "
            "python -m recognition.engine.formation_build."
        ),
        "points_per_stroke": POINTS,
        "plans": {c: [p.as_dict() for p in ps] for c, ps in plans.items()},
    }


COLOURS = [(31, 90, 200), (200, 60, 40), (40, 150, 60), (150, 60, 180), (220, 140, 0)]


def render(plans: dict[str, list[dict[str, Any]]], out: Path, cell: int = 110) -> None:
    """Draw each character's plans in a row: strokes by colour, start dot, end arrow."""
    from PIL import Image, ImageDraw

    cols = max(len(v) for v in plans.values()) + 1
    img = Image.new("RGB", (cols * cell, len(plans) * cell), "white")
    draw = ImageDraw.Draw(img)
    for row, (label, rows) in enumerate(plans.items()):
        y0 = row * cell
        draw.text((cell // 2 - 4, y0 + cell // 2 - 6), label, fill="black")
        for col, plan in enumerate(rows, start=1):
            x0 = col * cell
            draw.rectangle([x0, y0, x0 + cell - 1, y0 + cell - 1], outline=(220, 220, 220))
            draw.text((x0 + 3, y0 + 2), f"{plan['support']:.2f}", fill="gray")
            for k, stroke in enumerate(plan["strokes"]):
                pts = [
                    (x0 + cell / 2 + x * cell * 0.75, y0 + cell / 2 + y * cell * 0.75)
                    for x, y in stroke
                ]
                colour = COLOURS[k % len(COLOURS)]
                draw.line(pts, fill=colour, width=3)
                sx, sy = pts[0]
                draw.ellipse([sx - 5, sy - 5, sx + 5, sy + 5], fill=(0, 170, 0))
                draw.text((sx + 6, sy - 6), str(k + 1), fill=colour)
                (ax, ay), (bx, by) = pts[-2], pts[-1]
                v = np.array([bx - ax, by - ay])
                if np.linalg.norm(v) > 1e-6:
                    v = v / np.linalg.norm(v) * 8
                    left = (bx - v[0] - v[1] * 0.6, by - v[1] + v[0] * 0.6)
                    right = (bx - v[0] + v[1] * 0.6, by - v[1] - v[0] * 0.6)
                    draw.polygon([(bx, by), left, right], fill=colour)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", required=True, help="ink JSONL (train split)")
    parser.add_argument("--out", default=str(PLANS_PATH))
    parser.add_argument("--render", help="also draw the plans into this PNG")
    parser.add_argument("--model", default="recognition/shipped_model", help="for cleaning")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    data = build(args.data, Path(args.model), args.seed)
    Path(args.out).write_text(json.dumps(data, separators=(",", ":")) + "\n")
    counts = {c: len(v) for c, v in data["plans"].items()}
    print(f"wrote {args.out}: {sum(counts.values())} plans for {len(counts)} characters")
    if args.render:
        render(data["plans"], Path(args.render))


if __name__ == "__main__":
    main()
