"""Formation checks on real ink: correct characters, generated faults, and the time it takes.

Usage: python bench/bench_formation.py [--split test] [--limit N] [--timing 2000]

Every sample of the split is placed on guide lines as a child writes it
(``recognition/engine/guided_set.py``) and assessed against its own label. Reports:

- correct characters: the share passing ``start``, ``order`` and ``direction`` (the plan
  match, whether or not the recogniser reads the sample), over all samples and per class;
- generated faults, each made from a sample whose correct version passes every check:
  every stroke reversed, mirrored ink (also counted apart for the characters that are not
  their own mirror image), shrunk to the top-left corner (with guides, and
  with only a canvas box), lifted off the baseline, strokes in the wrong order (samples of
  two or more strokes); "caught" means at least one check fails, "by" the checks meant for
  the fault;
- the time ``assess`` adds to a submit that already has its recognition, p50 and p95.

Choices were made on ``--split val``; the test split is only reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from recognition.engine.formation import (  # noqa: E402
    MIRROR_SYMMETRIC,
    Assessment,
    assess,
    mirrored,
)
from recognition.engine.formation_plans import load_plans, match  # noqa: E402
from recognition.engine.guided_set import GuidedSample, guided_samples  # noqa: E402
from recognition.engine.guides import Guides  # noqa: E402
from recognition.engine.ink import Ink  # noqa: E402
from recognition.engine.runtime import Recognition, Recognizer  # noqa: E402

SHRINK = 0.35
LIFT = 0.4  # guide units (the body from baseline to cap height is 1)


def reversed_strokes(ink: Ink, guides: Guides) -> Ink:
    return Ink(tuple(s[::-1].copy() for s in ink.strokes))


def mirror(ink: Ink, guides: Guides) -> Ink:
    return mirrored(ink, True, False)


def shrunk(ink: Ink, guides: Guides) -> Ink:
    min_x, min_y, _, _ = ink.bounds()
    corner = np.array([min_x, guides.cap_height])
    return Ink(tuple((s - (min_x, min_y)) * SHRINK + corner for s in ink.strokes))


def lifted(ink: Ink, guides: Guides) -> Ink:
    return Ink(tuple(s - (0.0, LIFT * guides.body) for s in ink.strokes))


def wrong_order(ink: Ink, guides: Guides) -> Ink:
    return Ink(tuple(ink.strokes[::-1]))


Fault = Callable[[Ink, Guides], Ink]
FAULTS: dict[str, tuple[Fault, tuple[str, ...]]] = {
    "reversed strokes": (reversed_strokes, ("start", "direction")),
    "mirrored": (mirror, ("legible", "orientation", "start", "order", "direction")),
    "shrunk to a corner": (shrunk, ("size", "placement")),
    "lifted off the baseline": (lifted, ("placement",)),
    "strokes in the wrong order": (wrong_order, ("order",)),
}


def canvas_box(ink: Ink) -> tuple[float, float, float, float]:
    """A canvas around a centred drawing, 1.6 times its longer side."""
    min_x, min_y, max_x, max_y = ink.bounds()
    side = 1.6 * max(max_x - min_x, max_y - min_y, 1e-6)
    cx, cy = (min_x + max_x) / 2, (min_y + max_y) / 2
    return (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)


def failed(a: Assessment) -> set[str]:
    return {c.name for c in a.checks if not c.ok}


def run(samples: list[GuidedSample], recognizer: Recognizer) -> dict[str, Any]:
    plans = load_plans()
    per_n: Counter[str] = Counter()
    per_ok: Counter[str] = Counter()
    per_writer: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    check_fail: Counter[str] = Counter()
    base = 0
    caught: Counter[str] = Counter()
    caught_by: Counter[str] = Counter()
    tried: Counter[str] = Counter()
    recs: list[Recognition] = []
    for i in range(0, len(samples), 256):
        recs += recognizer.recognize_batch([s.ink for s in samples[i : i + 256]])
    for s, rec in zip(samples, recs, strict=True):
        m = match(s.ink, plans[s.label])
        a = assess(s.ink, s.label, recognizer=recognizer, guides=s.guides, recognition=rec)
        formation_ok = not (m.start_off or m.reordered or m.backwards) and not (
            m.count_differs and m.distance > 0.2
        )
        per_n[s.label] += 1
        per_ok[s.label] += formation_ok
        per_writer[s.label][s.writer].append(formation_ok)
        for name in failed(a):
            check_fail[name] += 1
        if not a.ok:
            continue
        base += 1
        for fault, (make, meant) in FAULTS.items():
            if fault == "strokes in the wrong order" and len(s.ink.strokes) < 2:
                continue
            bad = make(s.ink, s.guides)
            b = assess(bad, s.label, recognizer=recognizer, guides=s.guides)
            tried[fault] += 1
            caught[fault] += not b.ok
            caught_by[fault] += bool(failed(b) & set(meant))
            if fault == "mirrored" and s.label not in MIRROR_SYMMETRIC:
                fault = "mirrored (not its own mirror image)"
                tried[fault] += 1
                caught[fault] += not b.ok
                caught_by[fault] += bool(failed(b) & set(meant))
        box = canvas_box(s.ink)
        bad = shrunk(s.ink, Guides(box[3], (box[1] + box[3]) / 2, box[1]))
        b = assess(bad, s.label, recognizer=recognizer, box=box)
        fault = "shrunk to a corner (box, no guides)"
        tried[fault] += 1
        caught[fault] += not b.ok
        caught_by[fault] += bool(failed(b) & {"size", "placement"})
    n = len(samples)
    per_class = {c: per_ok[c] / per_n[c] for c in per_n}
    return {
        "n": n,
        "correct_pass_start_order_direction": sum(per_ok.values()) / n,
        "writer_averaged_pass": float(
            np.mean([np.mean([np.mean(v) for v in ws.values()]) for ws in per_writer.values()])
        ),
        "classes_below_0.9": {c: round(v, 3) for c, v in sorted(per_class.items()) if v < 0.9},
        "lowest_class": min(per_class.items(), key=lambda kv: kv[1]),
        "check_fail_rate_on_correct": {k: round(v / n, 4) for k, v in check_fail.items()},
        "fully_ok_correct": base / n,
        "faults": {
            f: {
                "n": tried[f],
                "caught": round(caught[f] / tried[f], 4),
                "caught_by_its_checks": round(caught_by[f] / tried[f], 4),
            }
            for f in tried
        },
    }


def timing(samples: list[GuidedSample], recognizer: Recognizer, n: int) -> dict[str, Any]:
    """Milliseconds ``assess`` adds to a submit that already recognised the drawing.

    Wall time, and this thread's CPU time (what the call costs when the machine's other
    processes leave it a core; the shared development machine is often loaded).
    """
    picked = samples[:: max(1, len(samples) // n)][:n]
    recs = [recognizer.recognize(s.ink) for s in picked]
    for s, r in list(zip(picked, recs, strict=True))[:50]:
        assess(s.ink, s.label, recognizer=recognizer, guides=s.guides, recognition=r)
    wall, cpu = [], []
    for s, r in zip(picked, recs, strict=True):
        start, start_cpu = time.perf_counter(), time.thread_time()
        assess(s.ink, s.label, recognizer=recognizer, guides=s.guides, recognition=r)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)

    def stats(values: list[float]) -> dict[str, float]:
        values = sorted(values)
        return {
            "p50_ms": round(statistics.median(values), 3),
            "p95_ms": round(values[int(0.95 * (len(values) - 1))], 3),
            "max_ms": round(values[-1], 3),
        }

    return {"n": len(wall), "wall": stats(wall), "thread_cpu": stats(cpu)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test")
    parser.add_argument("--model", default=str(REPO_ROOT / "recognition" / "shipped_model"))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--timing", type=int, default=2000, help="samples to time (0: none)")
    args = parser.parse_args()
    data = Path(os.environ.get("INKWELL_DATA_DIR") or REPO_ROOT.parent / "shared" / "data")
    samples = list(guided_samples(data / "unipen-1abc.jsonl.gz", args.split))[: args.limit]
    recognizer = Recognizer.load(Path(args.model))
    report: dict[str, Any] = {
        "split": args.split,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
    }
    report.update(run(samples, recognizer))
    if args.timing:
        report["assess_time_with_recognition_given"] = timing(samples, recognizer, args.timing)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
