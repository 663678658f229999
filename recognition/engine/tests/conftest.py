"""Fixtures for the recognition engine tests: the shared data folder and the shipped model.

Plain pytest: `pytest recognition/engine` runs these tests with no Django settings at all
(recognition/engine/pytest.ini stands in for the project's pytest configuration there).
The Django side's tests that need the same fixtures import them from here."""

from __future__ import annotations

import gzip
import itertools
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from recognition.engine.runtime import Recognizer

REPO_ROOT = Path(__file__).resolve().parents[3]
SHIPPED_MODEL_DIR = REPO_ROOT / "recognition" / "shipped_model"


def _data_dir() -> Path:
    return Path(os.environ.get("INKWELL_DATA_DIR") or REPO_ROOT.parent / "shared" / "data")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``../shared/data`` (or ``INKWELL_DATA_DIR``); skips when absent, fails under CI."""
    path = _data_dir()
    if not (path / "unipen-1abc.jsonl.gz").is_file():
        if os.environ.get("CI"):  # CI always has ../shared beside the clone
            pytest.fail(f"handwriting data not found in {path}")
        pytest.skip(f"handwriting data not found in {path}")
    return path


@pytest.fixture(scope="session")
def shipped_model_dir() -> Path:
    """The committed model folder."""
    assert (SHIPPED_MODEL_DIR / "model.tflite").is_file(), "shipped model missing"
    return SHIPPED_MODEL_DIR


@pytest.fixture(scope="session")
def recognizer(shipped_model_dir: Path) -> Recognizer:
    """The shipped model, loaded once for the session."""
    from recognition.engine.runtime import load_recognizer

    return load_recognizer(shipped_model_dir)


@pytest.fixture(scope="session")
def unipen_test_rows(data_dir: Path) -> list[dict]:
    """Raw rows of the UNIPEN test split (writer-independent)."""
    with gzip.open(data_dir / "unipen-1abc.jsonl.gz", "rt") as f:
        return [row for row in map(json.loads, f) if row["split"] == "test"]


@pytest.fixture
def small_unipen_file(data_dir: Path, tmp_path: Path) -> Callable[[int], Path]:
    """Writes a few hundred UNIPEN samples to a file: ``per_split`` train and a quarter as
    many val; returns its path."""

    def write(per_split: int) -> Path:
        wanted = {"train": per_split, "val": per_split // 4}
        rows = []
        with gzip.open(data_dir / "unipen-1abc.jsonl.gz", "rt") as f:
            for row in map(json.loads, itertools.islice(f, 60_000)):
                if wanted.get(row["split"], 0) > 0:
                    wanted[row["split"]] -= 1
                    rows.append(row)
        path = tmp_path / "small.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        return path

    return write
