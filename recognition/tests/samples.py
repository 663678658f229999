"""Real handwriting from the writer-independent test split, for tests that need real ink."""

import gzip
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    return Path(os.environ.get("INKWELL_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


@cache
def _unipen_test_split() -> tuple[dict[str, Any], ...]:
    path = data_dir() / "unipen-1abc.jsonl.gz"
    with gzip.open(path, "rt") as lines:
        return tuple(s for s in map(json.loads, lines) if s["split"] == "test")


def unipen_test_samples(*, labels: str, per_label: int) -> list[dict[str, Any]]:
    """The first `per_label` UNIPEN test samples of each label, in file order (deterministic)."""
    picked: list[dict[str, Any]] = []
    for label in labels:
        matches = [s for s in _unipen_test_split() if s["label"] == label][:per_label]
        picked.extend(matches)
    return picked


#: Guide lines of a 300 x 300 canvas in ink coordinates (y down), as a practice page sends.
GUIDES = {"baseline": 210.0, "x_height": 140.0, "cap_height": 66.0}


def placed(strokes: list[Any], *, top: float, bottom: float, left: float = 100) -> list[Any]:
    """The drawing scaled (aspect kept) so that it spans `top` to `bottom` (ink y, down),
    starting at `left`: real ink written on a practice canvas's lines."""
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    scale = (bottom - top) / max(max(ys) - min(ys), 1e-6)
    return [
        [
            [
                round(left + (p[0] - min(xs)) * scale, 2),
                round(top + (p[1] - min(ys)) * scale, 2),
                *p[2:],
            ]
            for p in stroke
        ]
        for stroke in strokes
    ]
