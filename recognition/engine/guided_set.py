"""A guided test set: real ink placed on guide lines as a child writes it, and its score.

Usage (from the repository root)::

    python -m recognition.engine.guided_set --data ../shared/data/unipen-1abc.jsonl.gz \
        --split test --model recognition/shipped_model

Each sample of the split is scaled (aspect kept) and moved so that its box runs from where
its character belongs on three guide lines (:func:`guides.expected_extents`: capitals,
digits and ascenders from the baseline to the cap height, x-height letters to the x-height,
descenders below the baseline), with writer-like jitter: each of the top and the bottom lands
off its line by a normal error of ``JITTER`` guide units, the x-height of the paper varies
from 0.45 to 0.6 of the body, and the letter sits anywhere along the line. The set is built
afresh from a seed each time (nothing is stored). The report gives 62-class top1 without
guides (the recogniser alone) and with them (:func:`guides.apply_guides`).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .datasets import read_ink_jsonl
from .guides import Guides, apply_guides, expected_extents
from .ink import Ink
from .labels import CLASSES, fold35
from .runtime import Recognizer

JITTER = 0.08
BODY = 200.0  # guide units in canvas pixels: cap height 200 px above the baseline
BASELINE = 300.0
DEFAULT_SEED = 15


@dataclass(frozen=True)
class GuidedSample:
    """One real drawing placed on guides."""

    label: str
    ink: Ink
    guides: Guides
    writer: str


def paper(rng: np.random.Generator) -> Guides:
    """Guide lines of a child's paper with a random x-height (0.45 to 0.6 of the body)."""
    ratio = float(rng.uniform(0.45, 0.6))
    return Guides(BASELINE, BASELINE - ratio * BODY, BASELINE - BODY)


def place_on_guides(
    ink: Ink, label: str, guides: Guides, rng: np.random.Generator, jitter: float = JITTER
) -> Ink:
    """``ink`` scaled and moved to where ``label`` belongs on ``guides``, with jitter."""
    forms = expected_extents(label, guides.x_ratio)
    ideal = forms[int(rng.integers(len(forms)))]
    top = ideal.top + rng.normal(0, jitter)
    bottom = ideal.bottom + rng.normal(0, jitter)
    if top - bottom < 0.1:
        top = bottom + 0.1
    min_x, min_y, _, max_y = ink.bounds()
    height = max(max_y - min_y, 1e-6)
    scale = (top - bottom) * guides.body / height
    x0 = float(rng.uniform(0, 2 * BODY))
    y0 = guides.to_y(top)
    return Ink(tuple((s - (min_x, min_y)) * scale + (x0, y0) for s in ink.strokes))


def guided_samples(
    path: str | Path, split: str, seed: int = DEFAULT_SEED, jitter: float = JITTER
) -> Iterator[GuidedSample]:
    """The split's samples, each placed on its own random paper."""
    rng = np.random.default_rng(seed)
    for sample in read_ink_jsonl(path, [split]):
        guides = paper(rng)
        ink = place_on_guides(sample.ink, sample.label, guides, rng, jitter)
        yield GuidedSample(sample.label, ink, guides, sample.writer)


def evaluate_guided(
    recognizer: Recognizer, samples: Sequence[GuidedSample], batch: int = 256
) -> dict[str, Any]:
    """62-class top1 (and top1_35) without and with guides, per class with guides."""
    plain = guided = plain35 = 0
    per_n: Counter[str] = Counter()
    per_ok: Counter[str] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    start = time.perf_counter()
    for i in range(0, len(samples), batch):
        chunk = samples[i : i + batch]
        results = recognizer.recognize_batch([s.ink for s in chunk])
        for s, r in zip(chunk, results, strict=True):
            best = r.candidates[0].label
            plain += best == s.label
            plain35 += fold35(best) == fold35(s.label)
            g = apply_guides(r, s.ink, s.guides).candidates[0].label
            guided += g == s.label
            per_n[s.label] += 1
            per_ok[s.label] += g == s.label
            if g != s.label:
                confusions[(s.label, g)] += 1
    n = max(len(samples), 1)
    return {
        "n": len(samples),
        "top1_without_guides": plain / n,
        "top1_35_without_guides": plain35 / n,
        "top1_with_guides": guided / n,
        "per_class_with_guides": {c: per_ok[c] / per_n[c] for c in CLASSES if per_n[c]},
        "confusions_with_guides": [[a, b, k] for (a, b), k in confusions.most_common(20)],
        "seconds": round(time.perf_counter() - start, 2),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="ink JSONL (UNIPEN)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--model", default="recognition/shipped_model")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    samples = list(guided_samples(args.data, args.split, args.seed))
    report = evaluate_guided(Recognizer.load(Path(args.model)), samples)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
