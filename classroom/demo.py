"""Realistic practice history for demo classes and benchmarks: who wrote what, when, and
what the recogniser made of it, so a dashboard has something to show before real use.

Ink comes from real handwriting (the UNIPEN file under TRAINING_DATA_DIR) when it is there,
else from simple synthetic strokes; either way each attempt gets a rendered image.
"""

import gzip
import json
import math
import random
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from classroom.models import Attempt, Exercise, User
from recognition.engine.ink import parse_ink
from recognition.engine.preprocessing import ink_to_raster, raster_to_png

DEMO_PREFIX = "demo-"
# What a child's attempt is most often mistaken for: reversals and look-alikes.
LOOK_ALIKES = {
    "0": "O", "1": "7", "2": "Z", "3": "8", "4": "9", "5": "S", "6": "b", "7": "1", "8": "3",
    "9": "g", "a": "d", "b": "d", "d": "b", "e": "c", "i": "l", "o": "0", "p": "q", "q": "p",
    "u": "v",
}  # fmt: skip
POINT_MS, STROKE_GAP_MS = 12, 220
MIRRORS = {("b", "d"), ("d", "b"), ("p", "q"), ("q", "p"), ("6", "b"), ("5", "S"), ("2", "Z")}
# Formation faults a right answer may still have (CONTRACTS section 8), and how often.
FAULTS = (("start", 0.08), ("direction", 0.06), ("placement", 0.08), ("size", 0.04))


def _demo_checks(target: str, read: str, right: bool, rng: random.Random) -> list[dict[str, Any]]:
    """Plausible checks for a demo attempt: a mirror-image look-alike is backwards, a right
    one now and then starts in the wrong place or floats off the line."""
    checks = [{"name": "legible", "ok": right, "message": ""}]
    backwards = (target, read) in MIRRORS
    checks.append({"name": "orientation", "ok": not backwards, "message": ""})
    if right:
        for name, p in FAULTS:
            checks.append({"name": name, "ok": rng.random() >= p, "message": ""})
    return checks


def _timed(strokes: Sequence[Sequence[Sequence[float]]]) -> list[list[list[float]]]:
    """Give untimed points a plausible pen speed (t in ms since the drawing started)."""
    out, t = [], 0
    for stroke in strokes:
        row = []
        for point in stroke:
            row.append([float(point[0]), float(point[1]), t])
            t += POINT_MS
        out.append(row)
        t += STROKE_GAP_MS
    return out


def _synthetic(ch: str, rng: random.Random) -> list[list[list[float]]]:
    """A rough pen path for any character: an oval for round ones, a line and a hook else."""
    jitter = lambda: rng.uniform(-3, 3)  # noqa: E731
    if ch.lower() in "0oaceqdg69":
        oval = [
            [50 + 30 * math.cos(a / 12 * 2 * math.pi) + jitter(),
             50 + 40 * math.sin(a / 12 * 2 * math.pi) + jitter()]
            for a in range(13)
        ]  # fmt: skip
        strokes = [oval]
        if ch in "adq9g":
            strokes.append([[80 + jitter(), 10 + 8 * k + jitter()] for k in range(12)])
    else:
        strokes = [[[50 + jitter(), 5 + 8 * k + jitter()] for k in range(12)]]
        if ch not in "1il":
            strokes.append([[20 + 6 * k + jitter(), 15 + 4 * k + jitter()] for k in range(10)])
    return _timed(strokes)


def real_samples(characters: str, per_label: int = 8) -> dict[str, list[list[Any]]]:
    """Up to `per_label` real UNIPEN samples per character; {} when the data is absent."""
    path = Path(settings.TRAINING_DATA_DIR) / "unipen-1abc.jsonl.gz"
    wanted = {ch: [] for ch in characters}  # type: dict[str, list[list[Any]]]
    if not path.exists():
        return {}
    try:
        with gzip.open(path, "rt") as lines:
            for line in lines:
                sample = json.loads(line)
                bucket = wanted.get(sample.get("label"))
                if bucket is not None and len(bucket) < per_label:
                    bucket.append(_timed(sample["strokes"]))
                    if all(len(b) >= per_label for b in wanted.values()):
                        break
    except (OSError, ValueError, KeyError):  # a damaged file: fall back to synthetic ink
        return {}
    return {ch: found for ch, found in wanted.items() if found}


def _candidates(target: str, read: str, confident: float, rng: random.Random) -> list[dict]:
    labels = [read or LOOK_ALIKES.get(target, "x"), target, LOOK_ALIKES.get(target, "x")]
    seen: list[str] = []
    for label in [*labels, "o", "1", "l"]:  # always three different candidates
        if label and label not in seen and len(seen) < 3:
            seen.append(label)
    rest = 1 - confident
    ps = [confident, rest * 0.6, rest * 0.3][: len(seen)]
    return [{"label": label, "p": round(p, 3)} for label, p in zip(seen, ps, strict=False)]


def demo_attempts(
    *,
    exercises: Sequence[Exercise],
    students: Sequence[User],
    skill: dict[int, float],
    days: int = 21,
    per_day: tuple[int, int] = (4, 14),
    seed: int = 7,
    render: bool = True,
) -> Iterator[Attempt]:
    """Unsaved attempts spread over the last `days` days (for `bulk_create`).

    `skill[student.pk]` is the chance an attempt is right; it grows a little over time, as
    practice should. A wrong attempt is read as the character's usual look-alike, or not
    recognised at all.
    """
    rng = random.Random(seed)
    faults = random.Random(seed + 1)  # its own stream: the other draws stay as they were
    characters = "".join(sorted({ch for e in exercises for ch in e.characters}))
    samples = real_samples(characters)
    images: dict[int, bytes] = {}
    now = timezone.now()
    n = 0
    for student in students:
        for day in range(days, -1, -1):
            if rng.random() < 0.3:
                continue  # not every day is a practice day
            for _ in range(rng.randint(*per_day)):
                exercise = rng.choice(exercises)
                target = rng.choice(exercise.characters)
                progress = (days - day) / max(days, 1)
                right = rng.random() < min(0.98, skill.get(student.pk, 0.7) + 0.15 * progress)
                if right:
                    read = target
                else:
                    read = LOOK_ALIKES.get(target, "") if rng.random() < 0.8 else ""
                confident = rng.uniform(0.6, 0.97) if right else rng.uniform(0.35, 0.7)
                candidates = _candidates(target, read, confident, rng)
                p_target = sum(c["p"] for c in candidates if c["label"] == target)
                pool = samples.get(target)
                strokes = rng.choice(pool) if pool else _synthetic(target, rng)
                image = b""
                if render:
                    key = id(strokes)
                    if key not in images:
                        raster = ink_to_raster(parse_ink(strokes))
                        images[key] = raster_to_png(raster, scale=2)
                    image = images[key]
                n += 1
                checks = _demo_checks(target, read, right, faults)
                yield Attempt(
                    student=student,
                    exercise=exercise,
                    target=target,
                    ink={"strokes": strokes},
                    image=image,
                    predicted_label=read,
                    candidates=candidates,
                    confidence=candidates[0]["p"],
                    model_version="demo",
                    correct=right,
                    score=round(100 * math.sqrt(p_target)),
                    status=Attempt.Status.RECOGNIZED,
                    checks=checks,
                    failed_checks=",".join(c["name"] for c in checks if not c["ok"]),
                    time_taken_ms=sum(len(s) for s in strokes) * POINT_MS + 400,
                    client_submission_id=f"{DEMO_PREFIX}{student.pk}-{n}",
                    created_at=now
                    - timedelta(days=day, hours=rng.uniform(0, 6), minutes=rng.uniform(0, 59)),
                )


def bulk_create_dated(attempts: Iterator[Attempt] | list[Attempt], batch_size: int = 1000) -> int:
    """`bulk_create` that keeps each attempt's own `created_at` (auto_now_add would stamp them
    all with now, and a history needs its dates). Only for seeding, in one process."""
    field = Attempt._meta.get_field("created_at")
    assert isinstance(field, models.DateTimeField)
    field.auto_now_add = False
    try:
        return len(Attempt.objects.bulk_create(list(attempts), batch_size=batch_size))
    finally:
        field.auto_now_add = True
