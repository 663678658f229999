"""Score the image path per rendering condition against the same characters as ink.

Usage: python bench/bench_images.py SET_DIR [--model recognition/shipped_model] [--json]

SET_DIR is what ``bench/render_test_images.py`` wrote. Prints, per condition and in all,
top1_35 and top1 of the images, the same for the same characters as ink, and the share of
images rejected. The ink and image figures of a model are also what ``evaluate_model
--images SET_DIR/images`` and ``evaluate_model --data SET_DIR/ink.jsonl`` print.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from recognition.engine.errors import ImageError  # noqa: E402
from recognition.engine.ink import parse_ink  # noqa: E402
from recognition.engine.labels import fold35  # noqa: E402
from recognition.engine.runtime import Recognition, Recognizer  # noqa: E402


def _score(truth: str, r: Recognition | None) -> tuple[int, int, int]:
    if r is None or r.rejected:
        return 0, 0, 1
    best = r.candidates[0].label
    return int(fold35(best) == fold35(truth)), int(best == truth), 0


def main() -> None:
    """Print the per-condition table (Markdown), or JSON with ``--json``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("set_dir")
    parser.add_argument("--model", default=str(REPO_ROOT / "recognition" / "shipped_model"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    root = Path(args.set_dir)
    recognizer = Recognizer.load(Path(args.model))
    inks = [json.loads(line) for line in (root / "ink.jsonl").read_text().splitlines()]
    manifest = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]
    ink_results = recognizer.recognize_batch([parse_ink(r["strokes"]) for r in inks])
    tally: dict[str, list[int]] = defaultdict(lambda: [0] * 7)
    for row, ink_result in zip(manifest, ink_results, strict=True):
        label = row["label"]
        matches = list((root / "images" / label).glob(f"{row['k']}-*"))
        try:
            image_result = recognizer.recognize_image(matches[0].read_bytes())
        except ImageError:
            image_result = None
        img = _score(label, image_result)
        ink = _score(label, ink_result)
        for key in (row["condition"], "all"):
            t = tally[key]
            t[0] += 1
            for j, v in enumerate(img + ink):
                t[1 + j] += v
    table = {
        name: {
            "n": t[0],
            "image_top1_35": t[1] / t[0],
            "image_top1": t[2] / t[0],
            "image_rejected": t[3] / t[0],
            "ink_top1_35": t[4] / t[0],
            "ink_top1": t[5] / t[0],
            "ink_rejected": t[6] / t[0],
        }
        for name, t in tally.items()
    }
    if args.json:
        print(json.dumps(table))
        return
    print(f"model {recognizer.version} from {args.model}; {root}")
    print(
        "| condition | n | image top1_35 | ink top1_35 | image top1 | ink top1 | image rejected |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, m in sorted(table.items(), key=lambda kv: (kv[0] == "all", kv[0])):
        print(
            f"| {name} | {m['n']} | {m['image_top1_35']:.3f} | {m['ink_top1_35']:.3f} | "
            f"{m['image_top1']:.3f} | {m['ink_top1']:.3f} | {m['image_rejected']:.3f} |"
        )


if __name__ == "__main__":
    main()
