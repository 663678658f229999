"""Reading the shared ink JSONL files and image folders."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from recognition.engine.datasets import (
    ReadStats,
    ink_file_splits,
    read_image_folder,
    read_ink_jsonl,
)


@pytest.mark.slow  # reads each whole file
@pytest.mark.parametrize(
    ("name", "splits", "classes"),
    [
        ("unipen-1abc.jsonl.gz", {"train", "val", "test"}, 62),
        ("pendigits.jsonl.gz", {"train", "test"}, 10),
    ],
)
def test_each_dataset_file_parses(
    data_dir: Path, name: str, splits: set[str], classes: int
) -> None:
    stats = ReadStats()
    samples = list(read_ink_jsonl(data_dir / name, stats=stats))
    assert stats.bad_ink == 0 and stats.unknown_label == 0
    assert len(samples) == stats.read > 10_000
    assert {s.split for s in samples} == splits
    assert len({s.label for s in samples}) == classes


@pytest.mark.parametrize(
    ("name", "splits"),
    [("unipen-1abc.jsonl.gz", {"train", "val", "test"}), ("pendigits.jsonl.gz", {"train", "test"})],
)
def test_it_names_the_splits_a_file_holds(data_dir: Path, name: str, splits: set[str]) -> None:
    assert ink_file_splits(data_dir / name) == splits


def test_a_plain_file_without_val_says_so(tmp_path: Path) -> None:
    path = tmp_path / "two.jsonl"
    rows = [{"label": "a", "split": "train", "strokes": [[[0, 0], [1, 1]]]},
            {"label": "b", "split": "test", "strokes": [[[0, 0], [1, 1]]]}]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "\n")
    assert ink_file_splits(path) == {"train", "test"}


@pytest.mark.slow
def test_splits_are_by_writer(data_dir: Path) -> None:
    writers: dict[str, set[str]] = {}
    for s in read_ink_jsonl(data_dir / "unipen-1abc.jsonl.gz"):
        writers.setdefault(s.writer, set()).add(s.split)
    assert all(len(splits) == 1 for splits in writers.values())


def test_a_plain_jsonl_file_reads_like_a_gzipped_one(tmp_path: Path) -> None:
    rows = [
        {
            "label": "a",
            "writer": "w",
            "source": "s",
            "split": "test",
            "strokes": [[[0, 0], [1, 1]]],
        },
        {"label": "?", "writer": "w", "source": "s", "split": "test", "strokes": [[[0, 0]]]},
        {"label": "b", "writer": "w", "source": "s", "split": "train", "strokes": []},
    ]
    text = "\n".join(json.dumps(r) for r in rows) + "\n"
    (tmp_path / "plain.jsonl").write_text(text)
    with gzip.open(tmp_path / "packed.jsonl.gz", "wt") as f:
        f.write(text)
    for name in ("plain.jsonl", "packed.jsonl.gz"):
        stats = ReadStats()
        labels = [s.label for s in read_ink_jsonl(tmp_path / name, stats=stats)]
        assert labels == ["a"]
        assert (stats.read, stats.unknown_label, stats.bad_ink) == (3, 1, 1)
    assert [s.label for s in read_ink_jsonl(tmp_path / "plain.jsonl", splits=["train"])] == []


def test_image_folders_yield_label_and_path(tmp_path: Path) -> None:
    for label, names in {"a": ["1.png", "2.JPG"], "B": ["x.jpeg", "notes.txt"]}.items():
        (tmp_path / label).mkdir()
        for name in names:
            if name.endswith(".txt"):
                (tmp_path / label / name).write_text("ignored")
            else:
                Image.new("L", (4, 4)).save(tmp_path / label / name, format="PNG")
    found = Counter(label for label, _ in read_image_folder(tmp_path))
    assert found == {"a": 2, "B": 1}
