"""Build ``formation_plans.json``: the stroke plans of the 62 characters, from real ink.

Usage (from the repository root)::

    python -m recognition.engine.formation_build --data ../shared/data/unipen-1abc.jsonl.gz \
        --render var/formation_plans.png

Only the ``train`` split is read, cleaned first: fragments (a sample under ``FRAGMENT`` of
its writer's typical size) and samples the shipped recogniser does not read as their own
character within its top 3 (wrong labels, unreadable ink; case ignored) are left out.
For each character the samples are grouped by their number of strokes (a group needs
``MIN_GROUP`` of the character's samples and ``MIN_WRITERS`` writers); each sample is
``(strokes, POINTS, 2)`` in the character's box. Plans are chosen by greedy coverage over
all the groups (:func:`plans_for`): the sample most not-yet-covered samples follow as
written (within ``FOLLOWS``) becomes a plan, until ``COVERAGE`` of the character is covered
or no candidate adds ``MIN_PLAN`` of it from ``MIN_WRITERS`` writers. A plan that is a
chosen plan's fault image (reversed, in reverse order, mirrored) must add
``FAULT_VARIANT_MIN`` (:func:`drop_rare_variants`). The settings were chosen by writer-fold
cross-validation on train and on val (docs/benchmarks.md, "Formation"), not on test.
``--render`` draws every plan (numbered strokes, a green start dot, an arrow at the end)
as a PNG grid to review by eye.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .datasets import InkSample, read_ink_jsonl
from .formation_plans import (
    FOLLOWS,
    PLANS_PATH,
    POINTS,
    Plan,
    shape_of,
)
from .guides import expected_extents
from .labels import CLASSES, fold35
from .runtime import Recognizer
from .training import filter_samples

FRAGMENT = 0.3
MIN_GROUP = 0.02  # a number of strokes needs this share of the character...
MIN_WRITERS = 3  # ... and this many writers, as does every plan's new coverage
MIN_PLAN = 0.01  # a new plan must pass this share of the character not passed yet
COVERAGE = 0.95  # plans are added until this share of the character passes
MAX_PLANS = 12
FAULT_VARIANT_MIN = 0.15  # a plan's reversal, reverse order or mirror image needs this
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


def fault_images(strokes: np.ndarray) -> tuple[np.ndarray, ...]:
    """The plan as the generated faults draw it: every stroke reversed, the strokes in
    reverse order, mirrored left to right."""
    images = [strokes[:, ::-1]]
    if len(strokes) > 1:
        images.append(strokes[::-1])
    images.append(strokes * np.array([-1.0, 1.0]))
    return tuple(images)


def is_fault_image(plan: np.ndarray, of: np.ndarray) -> bool:
    """Whether ``plan`` is ``of`` reversed, in reverse order or mirrored (as written)."""
    if len(plan) != len(of) or _distances(plan[None], of[None])[0, 0] <= FOLLOWS:
        return False
    return any(_distances(plan[None], f[None])[0, 0] <= FOLLOWS for f in fault_images(of))


@dataclass
class _Group:
    """The training shapes of one character with one number of strokes."""

    pop: np.ndarray
    writers: np.ndarray
    weight: float  # share of the character one shape of ``pop`` stands for
    cand: np.ndarray
    near: np.ndarray  # (candidates, pop): the shape follows the candidate as written
    covered: np.ndarray


def _groups(shapes: list[np.ndarray], writers: list[str], rng: np.random.Generator) -> list[_Group]:
    by_count: dict[int, list[int]] = defaultdict(list)
    for i, shape in enumerate(shapes):
        by_count[len(shape)].append(i)
    total = len(shapes)
    out = []
    for count in sorted(by_count):
        idx = np.array(by_count[count])
        share = len(idx) / total
        if share < MIN_GROUP or len({writers[i] for i in idx}) < MIN_WRITERS:
            continue
        picked = idx[rng.permutation(len(idx))[:POPULATION]]
        pop = np.stack([shapes[i] for i in picked])
        cand = pop[rng.permutation(len(pop))[:CANDIDATES]]
        near = _distances(cand, pop) <= FOLLOWS
        out.append(
            _Group(
                pop=pop,
                writers=np.array([writers[i] for i in picked]),
                weight=share / len(pop),
                cand=cand,
                near=near,
                covered=np.zeros(len(pop), dtype=bool),
            )
        )
    return out


def plans_for(
    label: str, shapes: list[np.ndarray], writers: list[str], rng: np.random.Generator
) -> list[Plan]:
    """The plans of one character from its training shapes (and who wrote each).

    Greedy coverage over all stroke counts: the candidate that the most not-yet-covered
    samples follow as written (within ``FOLLOWS``: such a sample passes whatever other plans
    there are) becomes a plan, until ``COVERAGE`` of the character is covered, or no
    candidate adds ``MIN_PLAN`` of it from ``MIN_WRITERS`` writers. A candidate that is a
    chosen plan's fault image (:func:`is_fault_image`) must add ``FAULT_VARIANT_MIN``. The
    plan is the medoid of the samples it adds where that covers as many. A plan's support is
    the share of the character it added.
    """
    groups = _groups(shapes, writers, rng)
    chosen: list[tuple[int, np.ndarray, float]] = []  # group, strokes, share it added
    while len(chosen) < MAX_PLANS and groups:
        if sum(float(g.covered.sum()) * g.weight for g in groups) >= COVERAGE:
            break
        best: tuple[float, int, np.ndarray, np.ndarray] | None = None
        for gi, g in enumerate(groups):
            gains = (g.near & ~g.covered).sum(axis=1) * g.weight
            for ci in map(int, np.argsort(-gains)):
                gain = float(gains[ci])
                if gain < MIN_PLAN or (best is not None and gain <= best[0]):
                    break
                new = g.near[ci] & ~g.covered
                if len(set(g.writers[new])) < MIN_WRITERS or (
                    gain < FAULT_VARIANT_MIN
                    and any(cg == gi and is_fault_image(g.cand[ci], p) for cg, p, _ in chosen)
                ):
                    continue
                members = g.pop[new]
                medoid = members[int(_distances(members, members).sum(axis=1).argmin())]
                near = _distances(medoid[None], g.pop)[0] <= FOLLOWS
                if (near & ~g.covered).sum() >= new.sum():  # the typical shape, if as good
                    best = (gain, gi, medoid, near)
                else:
                    best = (gain, gi, g.cand[ci], g.near[ci])
                break
        if best is None:
            break
        gain, gi, strokes, near = best
        chosen.append((gi, strokes, gain))
        groups[gi].covered |= near
    plans = [
        Plan(label=label, strokes=s, support=share, guide_lines=guide_lines(label, s))
        for _, s, share in chosen
    ]
    plans.sort(key=lambda p: -p.support)
    return drop_rare_variants(plans)


def drop_rare_variants(plans: list[Plan]) -> list[Plan]:
    """Keep a fault image of a commoner plan only where it is common itself.

    Schools differ (T with its bar first or last, an o from either side), but a plan that
    is another plan reversed, in reverse order or mirrored, followed by only a few writers,
    would excuse the very faults a child should be told about.
    """
    kept: list[Plan] = []
    for plan in plans:  # most common first
        if plan.support < FAULT_VARIANT_MIN and any(
            is_fault_image(plan.strokes, k.strokes) for k in kept
        ):
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


Shapes = dict[str, tuple[list[np.ndarray], list[str]]]


def training_shapes(
    paths: Sequence[str | Path], model: Path, splits: Sequence[str] = ("train",)
) -> Shapes:
    """Each character's cleaned training shapes and who wrote each (see the module doc)."""
    samples = [
        s
        for path in paths
        for s in read_ink_jsonl(path, list(splits))
        if len(s.ink.strokes) <= MAX_STROKES
    ]
    samples, _ = filter_samples(samples, FRAGMENT)
    samples = readable(samples, Recognizer.load(model))
    out: Shapes = defaultdict(lambda: ([], []))
    for sample in samples:
        out[sample.label][0].append(shape_of(sample.ink))
        out[sample.label][1].append(sample.writer)
    return dict(out)


def build_plans(shapes: Shapes, seed: int = SEED) -> dict[str, list[Plan]]:
    """The plans of every character from :func:`training_shapes`."""
    rng = np.random.default_rng(seed)
    return {c: plans_for(c, *shapes[c], rng) for c in CLASSES if c in shapes}


def build(paths: Sequence[str | Path], model: Path, seed: int = SEED) -> dict[str, Any]:
    """The ``formation_plans.json`` object from the train split of ``paths``."""
    plans = build_plans(training_shapes(paths, model), seed)
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
    parser.add_argument("--only", help="draw only these characters (the docs' sheet)")
    parser.add_argument("--model", default="recognition/shipped_model", help="for cleaning")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    data = build(args.data, Path(args.model), args.seed)
    Path(args.out).write_text(json.dumps(data, separators=(",", ":")) + "\n")
    counts = {c: len(v) for c, v in data["plans"].items()}
    print(f"wrote {args.out}: {sum(counts.values())} plans for {len(counts)} characters")
    if args.render:
        shown = {c: v for c, v in data["plans"].items() if not args.only or c in args.only}
        render(shown, Path(args.render))


if __name__ == "__main__":
    main()
