"""Read handwriting data: ink JSONL files (gzipped or plain, any path) and image folders."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .errors import InkError
from .ink import Ink, parse_ink
from .labels import CLASS_INDEX

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


@dataclass(frozen=True)
class InkSample:
    """One labelled drawing from an ink JSONL file."""

    label: str
    ink: Ink
    writer: str
    source: str
    split: str


@dataclass
class ReadStats:
    """What reading skipped and why (reported in the model card and by evaluation)."""

    read: int = 0
    bad_ink: int = 0
    unknown_label: int = 0


def open_text(path: Path) -> TextIO:
    """Open a text file, transparently gunzipping when it starts with the gzip magic."""
    with open(path, "rb") as probe:
        gz = probe.read(2) == b"\x1f\x8b"
    if gz:
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def read_ink_jsonl(
    path: str | Path,
    splits: Iterable[str] | None = None,
    stats: ReadStats | None = None,
    keep_unknown_labels: bool = False,
) -> Iterator[InkSample]:
    """Yield samples of one ink JSONL file, optionally only from some ``splits``.

    Lines whose ink breaks CONTRACTS section 1 are skipped (counted in ``stats.bad_ink``),
    as are labels outside the 62 classes unless ``keep_unknown_labels``.
    """
    wanted = set(splits) if splits is not None else None
    stats = stats if stats is not None else ReadStats()
    with open_text(Path(path)) as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            split = str(row.get("split", ""))
            if wanted is not None and split not in wanted:
                continue
            stats.read += 1
            label = str(row.get("label", ""))
            if label not in CLASS_INDEX and not keep_unknown_labels:
                stats.unknown_label += 1
                continue
            try:
                ink = parse_ink(row.get("strokes"))
            except InkError:
                stats.bad_ink += 1
                continue
            yield InkSample(
                label=label,
                ink=ink,
                writer=str(row.get("writer", "")),
                source=str(row.get("source", "")),
                split=split,
            )


def read_image_folder(root: str | Path) -> Iterator[tuple[str, Path]]:
    """Yield ``(label, path)`` for image files under ``root/<label>/`` (png, jpg, jpeg).

    The label is the folder name; folders that are not one of the 62 classes are yielded too
    so that evaluation can count them as skipped.
    """
    base = Path(root)
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
                yield folder.name, path


def ink_file_splits(path: str | Path) -> frozenset[str]:
    """The splits (``train``, ``val``, ``test``, ...) one ink JSONL file holds.

    Reads until the three usual splits have been seen, so a file that has them all answers
    after its first few hundred lines; one that lacks a split is read to its end.
    """
    seen: set[str] = set()
    with open_text(Path(path)) as lines:
        for line in lines:
            if line.strip():
                seen.add(str(json.loads(line).get("split", "")))
                if {"train", "val", "test"} <= seen:
                    break
    return frozenset(seen)
