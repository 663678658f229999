"""Evaluate a recogniser on ink files and image folders: the CONTRACTS section 3 JSON."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .datasets import ReadStats, open_text, read_image_folder, read_ink_jsonl
from .errors import RecognitionError
from .labels import CLASS_INDEX, fold35, parse_charset
from .runtime import Recognition, Recognizer

BATCH = 256
MAX_CONFUSIONS = 50


@dataclass
class Tally:
    """Running counts for one evaluation."""

    n: int = 0
    skipped: int = 0
    top1: int = 0
    top3: int = 0
    top1_35: int = 0
    rejected: int = 0
    seconds: float = 0.0
    per_class_n: Counter[str] = field(default_factory=Counter)
    per_class_ok: Counter[str] = field(default_factory=Counter)
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, truth: str, result: Recognition) -> None:
        """Count one answer; a rejected answer counts as wrong everywhere."""
        self.n += 1
        self.per_class_n[truth] += 1
        if result.rejected:
            self.rejected += 1
            return
        best = result.candidates[0].label
        if best == truth:
            self.top1 += 1
            self.per_class_ok[truth] += 1
        else:
            self.confusions[(truth, best)] += 1
        if truth in [c.label for c in result.candidates[:3]]:
            self.top3 += 1
        if fold35(best) == fold35(truth):
            self.top1_35 += 1

    def as_json(self) -> dict[str, Any]:
        """The CONTRACTS section 3 object (fractions 0..1)."""
        n = max(self.n, 1)
        return {
            "n": self.n,
            "skipped": self.skipped,
            "top1": self.top1 / n,
            "top3": self.top3 / n,
            "top1_35": self.top1_35 / n,
            "rejected": self.rejected / n,
            "per_class": {
                c: self.per_class_ok[c] / self.per_class_n[c]
                for c in sorted(self.per_class_n, key=CLASS_INDEX.__getitem__)
            },
            "confusions": [[a, b, k] for (a, b), k in self.confusions.most_common(MAX_CONFUSIONS)],
            "ms_per_sample": 1000 * self.seconds / n,
        }


def _wanted_split(path: str | Path, split: str | None) -> list[str] | None:
    """Default: the file's ``test`` split when it has one, otherwise every sample."""
    if split == "all":
        return None
    if split:
        return [split]
    with open_text(Path(path)) as lines:
        for line in lines:
            # Substring first: parsing every line's JSON would double the read time.
            if '"test"' in line and json.loads(line).get("split") == "test":
                return ["test"]
    return None


def evaluate(
    recognizer: Recognizer,
    data: Iterable[str | Path] = (),
    images: str | Path | None = None,
    charset: str | None = None,
    split: str | None = None,
    max_samples: int | None = None,
) -> dict[str, Any]:
    """Score ``recognizer`` on ink files and/or an image folder.

    Samples whose label is outside the 62 classes, or outside ``charset`` when one is given,
    are counted in ``skipped``, as are unreadable inks and images. ``split`` picks the
    samples of ink files (default: ``test`` where the file has one; ``all`` for every one).
    """
    allowed = parse_charset(charset) or "".join(CLASS_INDEX)
    tally = Tally()
    pending: list[tuple[str, Any]] = []

    def flush() -> None:
        if not pending:
            return
        start = time.perf_counter()
        results = recognizer.recognize_batch([ink for _, ink in pending], charset)
        tally.seconds += time.perf_counter() - start
        for (truth, _), result in zip(pending, results, strict=True):
            tally.add(truth, result)
        pending.clear()

    for path in data:
        stats = ReadStats()
        for sample in read_ink_jsonl(path, _wanted_split(path, split), stats, True):
            if max_samples is not None and tally.n + len(pending) >= max_samples:
                break
            if sample.label not in allowed or len(sample.label) != 1:
                tally.skipped += 1
                continue
            pending.append((sample.label, sample.ink))
            if len(pending) >= BATCH:
                flush()
        flush()
        tally.skipped += stats.bad_ink
    if images is not None:
        for label, image_path in read_image_folder(images):
            if label not in allowed or len(label) != 1:
                tally.skipped += 1
                continue
            start = time.perf_counter()
            try:
                result = recognizer.recognize_image(image_path.read_bytes(), charset)
            except (RecognitionError, OSError):
                tally.skipped += 1
                continue
            tally.seconds += time.perf_counter() - start
            tally.add(label, result)
    return tally.as_json()
