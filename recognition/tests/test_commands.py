"""The management commands: evaluate_model answers exactly as CONTRACTS section 3 says."""

from __future__ import annotations

import io
import json
from pathlib import Path

from django.core.management import call_command

CONTRACT_KEYS = {
    "n",
    "skipped",
    "top1",
    "top3",
    "top1_35",
    "rejected",
    "per_class",
    "confusions",
    "ms_per_sample",
}


def _write_sample(data_dir: Path, path: Path, n: int) -> Path:
    import gzip

    lines = []
    with gzip.open(data_dir / "pendigits.jsonl.gz", "rt") as f:
        for line in f:
            if json.loads(line)["split"] == "test":
                lines.append(line)
            if len(lines) >= n:
                break
    extra = {"label": "#", "writer": "w", "source": "s", "split": "test", "strokes": [[[0, 0]]]}
    path.write_text("".join(lines) + json.dumps(extra) + "\n")
    return path


def test_evaluate_model_prints_the_contract_json_last(
    data_dir: Path, shipped_model_dir: Path, tmp_path: Path
) -> None:
    data = _write_sample(data_dir, tmp_path / "digits.jsonl", 200)
    out = io.StringIO()
    call_command(
        "evaluate_model",
        "--data",
        str(data),
        "--model",
        str(shipped_model_dir),
        "--charset",
        "0123456789",
        "--json",
        stdout=out,
    )
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert set(result) == CONTRACT_KEYS
    assert result["n"] == 200 and result["skipped"] == 1  # the "#" is outside the 62 classes
    assert result["top1"] > 0.9
    assert set(result["per_class"]) <= set("0123456789")
    assert all(len(c) == 3 for c in result["confusions"])


def test_evaluate_model_reads_image_folders(shipped_model_dir: Path, tmp_path: Path) -> None:
    from recognition.engine.ink import parse_ink
    from recognition.engine.tests.drawing import render_png

    folder = tmp_path / "images" / "7"
    folder.mkdir(parents=True)
    seven = parse_ink([[[0, 0], [60, 0], [25, 100]]])
    (folder / "a.png").write_bytes(render_png(seven))
    (folder / "b.png").write_bytes(render_png(seven, invert=True, width=20))
    (folder / "broken.png").write_bytes(b"not an image")
    out = io.StringIO()
    call_command(
        "evaluate_model",
        "--images",
        str(tmp_path / "images"),
        "--model",
        str(shipped_model_dir),
        "--json",
        stdout=out,
    )
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert (result["n"], result["skipped"]) == (2, 1)
