"""Real ink for the formation tests: the UNIPEN test split, read once, placed on guides."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from recognition.engine.datasets import read_ink_jsonl
from recognition.engine.guided_set import paper, place_on_guides
from recognition.engine.guides import Guides
from recognition.engine.ink import Ink
from recognition.engine.runtime import Recognizer

REPO_ROOT = Path(__file__).resolve().parents[3]
SHIPPED_MODEL = REPO_ROOT / "recognition" / "shipped_model"


def data_file() -> Path:
    """``../shared/data/unipen-1abc.jsonl.gz``; skips the test when it is absent."""
    base = Path(os.environ.get("INKWELL_DATA_DIR") or REPO_ROOT.parent / "shared" / "data")
    path = base / "unipen-1abc.jsonl.gz"
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"handwriting data not found in {base}")
        pytest.skip(f"handwriting data not found in {base}")
    return path


@cache
def _test_split() -> dict[str, list[Ink]]:
    by_writer: dict[str, dict[str, list[Ink]]] = {}
    for sample in read_ink_jsonl(data_file(), ["test"]):
        by_writer.setdefault(sample.label, {}).setdefault(sample.writer, []).append(sample.ink)
    # Round robin over the writers: the first drawings come from as many writers as there are.
    out: dict[str, list[Ink]] = {}
    for label, writers in by_writer.items():
        rows = list(writers.values())
        out[label] = [r[i] for i in range(max(map(len, rows))) for r in rows if i < len(r)]
    return out


def real(label: str, n: int) -> list[Ink]:
    """``n`` test-split drawings of ``label``, one per writer before any writer's second."""
    return _test_split()[label][:n]


def on_guides(label: str, n: int, seed: int = 3) -> list[tuple[Ink, Guides]]:
    """Real drawings of ``label`` placed on guide lines as a child writes it."""
    rng = np.random.default_rng(seed)
    out = []
    for ink in real(label, n):
        guides = paper(rng)
        out.append((place_on_guides(ink, label, guides, rng), guides))
    return out


@cache
def recognizer() -> Recognizer:
    """The shipped model, loaded once."""
    return Recognizer.load(SHIPPED_MODEL)
