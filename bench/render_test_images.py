"""Build the image test set: UNIPEN test characters rendered as scans and photos of paper.

Usage: python bench/render_test_images.py OUT_DIR [--n 1800] [--seed 0] [--split test]

Writes OUT_DIR/images/<label>/<k>-<condition>.png|jpg (for ``evaluate_model --images``),
OUT_DIR/ink.jsonl with the same characters as ink (``evaluate_model --data ... --split
all``: the figure the images are compared with) and OUT_DIR/manifest.jsonl (k, label,
condition). Sample k is drawn under condition k mod 18 of
``recognition.engine.image_renders.conditions()``: 28, 64 and 256 px; thin and thick pens;
clean scans, photos of ruled paper (uneven light, texture, perspective, JPEG), pencil, and
light ink on dark ground. The data can be rebuilt at any time, so only this builder is kept.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.harness import UNIPEN  # noqa: E402
from recognition.engine.image_renders import conditions, render_image  # noqa: E402


def main() -> None:
    """Render ``--n`` samples of ``--split`` into OUT_DIR."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--n", type=int, default=1800)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", default="test", help="never tune on test: use val for that")
    args = parser.parse_args()
    with gzip.open(UNIPEN, "rt") as f:
        rows = [r for r in map(json.loads, f) if r["split"] == args.split]
    rng = np.random.default_rng(args.seed)
    grid = conditions()
    out = Path(args.out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    picks = rng.choice(len(rows), min(args.n, len(rows)), replace=False)
    with open(out / "ink.jsonl", "w") as ink_file, open(out / "manifest.jsonl", "w") as manifest:
        for k, i in enumerate(picks):
            row = rows[int(i)]
            strokes = [np.asarray(s, dtype=np.float64)[:, :2] for s in row["strokes"] if s]
            condition = grid[k % len(grid)]
            suffix = "jpg" if condition.jpeg else "png"
            folder = out / "images" / row["label"]
            folder.mkdir(exist_ok=True)
            name = f"{k}-{condition.name}.{suffix}"
            (folder / name).write_bytes(render_image(strokes, condition, rng))
            ink_file.write(json.dumps({**row, "split": "all"}) + "\n")
            manifest.write(
                json.dumps({"k": k, "label": row["label"], "condition": condition.name}) + "\n"
            )
    print(f"wrote {len(picks)} images to {out / 'images'}", file=sys.stderr)


if __name__ == "__main__":
    main()
