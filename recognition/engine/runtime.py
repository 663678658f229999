"""Serving: load an exported model once per process and recognise ink or images.

Uses the LiteRT interpreter from ``ai-edge-litert``; imports no TensorFlow. Interpreters are
not thread-safe, so each is guarded by a lock; one stays at batch size 1 for single
characters and a second one is resized for batches.

Two model layouts are served (``preprocessing_version`` in the card):

- ``"1"``: one ``model.tflite`` over the raster of :mod:`preprocessing`.
- ``"2"``: the same raster model plus ``model_points.tflite`` over the pen path of
  :mod:`points`; for ink their outputs are mixed, ``(1 - w) * raster + w * points`` with the
  card's ``points_weight``; photos and scans have no pen path and use the raster model
  alone, with their own ``image_reject_threshold``. With ``points_both_directions`` the pen
  path is read as drawn and with every stroke reversed, and the two readings averaged, so a
  character drawn backwards reads as the same character.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ImageError, ModelError
from .ink import Ink, parse_ink
from .labels import CLASSES, NUM_CLASSES, REJECT_INDEX, charset_indices
from .points import FEATURES, POINTS, POINTS_VERSION, ink_to_points
from .preprocessing import PREPROCESSING_VERSION, SIZE, image_to_raster, ink_to_raster

TFLITE_NAME = "model.tflite"
POINTS_TFLITE_NAME = "model_points.tflite"
#: Card ``preprocessing_version`` values this code serves: raster only, raster + pen path.
RASTER_ONLY = PREPROCESSING_VERSION
RASTER_AND_POINTS = "2"
CARD_JSON = "model_card.json"
MAX_CANDIDATES = 5


@dataclass(frozen=True)
class Candidate:
    """One possible label and its probability (renormalised over the allowed classes)."""

    label: str
    p: float


@dataclass(frozen=True)
class Recognition:
    """The answer for one drawing.

    ``label`` is the best candidate, or ``None`` when ``rejected`` (the drawing does not look
    like any character); ``candidates`` are still given, best first (5, or every allowed
    class when a charset allows fewer).
    """

    label: str | None
    confidence: float
    candidates: list[Candidate]
    rejected: bool
    model_version: str
    latency_ms: float


class _Session:
    """One LiteRT interpreter with its lock; resizes its batch dimension on demand."""

    def __init__(
        self, model_path: Path, batch: int, shape: tuple[int, ...] = (SIZE, SIZE, 1)
    ) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._shape = shape
        self._interpreter = Interpreter(model_path=str(model_path), num_threads=1)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._batch = 0
        self._lock = threading.Lock()
        self._resize(batch)

    def _resize(self, batch: int) -> None:
        self._interpreter.resize_tensor_input(self._input, [batch, *self._shape])
        self._interpreter.allocate_tensors()
        self._batch = batch

    def run(self, rasters: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(rasters.reshape(-1, *self._shape), dtype=np.float32)
        with self._lock:
            if len(x) != self._batch:
                self._resize(len(x))
            self._interpreter.set_tensor(self._input, x)
            self._interpreter.invoke()
            return np.array(self._interpreter.get_tensor(self._output))


class Recognizer:
    """A loaded model: preprocessing, inference, charset restriction and rejection."""

    def __init__(self, model_dir: Path, card: dict[str, Any]) -> None:
        self.model_dir = model_dir
        self.card = card
        self.version = str(card["version"])
        self.reject_threshold = float(card.get("reject_threshold", 1.0))
        self.image_reject_threshold = float(
            card.get("image_reject_threshold", self.reject_threshold)
        )
        self._single = _Session(model_dir / TFLITE_NAME, 1)
        self._batch = _Session(model_dir / TFLITE_NAME, 1)
        self.points_weight = 0.0
        self.both_directions = bool(card.get("points_both_directions", False))
        self._points_single: _Session | None = None
        self._points_batch: _Session | None = None
        if str(card.get("preprocessing_version")) == RASTER_AND_POINTS:
            self.points_weight = float(card["points_weight"])
            path = model_dir / POINTS_TFLITE_NAME
            self._points_single = _Session(path, 1, (POINTS, FEATURES))
            self._points_batch = _Session(path, 1, (POINTS, FEATURES))

    @classmethod
    def load(cls, model_dir: Path) -> Recognizer:
        """Load ``model_dir`` (``model.tflite`` + ``model_card.json``); raises ModelError."""
        model_dir = Path(model_dir)
        try:
            card = json.loads((model_dir / CARD_JSON).read_text())
        except (OSError, ValueError) as exc:
            raise ModelError("model_unavailable", f"no readable model card in {model_dir}") from exc
        if not (model_dir / TFLITE_NAME).is_file():
            raise ModelError("model_unavailable", f"no {TFLITE_NAME} in {model_dir}")
        wanted = str(card.get("preprocessing_version"))
        if wanted not in (RASTER_ONLY, RASTER_AND_POINTS):
            raise ModelError(
                "model_incompatible",
                f"model expects preprocessing {wanted}, "
                f"this code serves {RASTER_ONLY} and {RASTER_AND_POINTS}",
            )
        if wanted == RASTER_AND_POINTS and (
            str(card.get("points_version")) != POINTS_VERSION
            or not (model_dir / POINTS_TFLITE_NAME).is_file()
            or "points_weight" not in card
        ):
            raise ModelError(
                "model_incompatible",
                f"model needs pen-path version {card.get('points_version')} and "
                f"{POINTS_TFLITE_NAME}; this code has version {POINTS_VERSION}",
            )
        if card.get("classes", CLASSES) != CLASSES or int(card.get("input_size", SIZE)) != SIZE:
            raise ModelError("model_incompatible", "model classes or input size differ")
        return cls(model_dir, card)

    # -- raw inference -------------------------------------------------------------------

    def probabilities(self, rasters: np.ndarray) -> np.ndarray:
        """Network outputs for (n, SIZE, SIZE) rasters: (n, 63), the last column is reject."""
        rasters = np.asarray(rasters, dtype=np.float32).reshape(-1, SIZE, SIZE)
        session = self._single if len(rasters) == 1 else self._batch
        return session.run(rasters)

    def ink_probabilities(self, inks: list[Ink]) -> np.ndarray:
        """Network outputs (n, 63) for parsed inks: both views mixed where the model has two."""
        if self._points_single is None or self._points_batch is None:
            return self.probabilities(np.stack([ink_to_raster(ink) for ink in inks]))
        seqs = np.stack([ink_to_points(ink) for ink in inks])
        session = self._points_single if len(seqs) == 1 else self._points_batch
        points = session.run(seqs)
        if self.both_directions:
            # What was drawn, not which way: the same reading for strokes drawn backwards
            # (formation checks judge the direction).
            back = np.stack([ink_to_points([s[::-1] for s in ink.strokes]) for ink in inks])
            points = (points + session.run(back)) / 2.0
        w = self.points_weight
        if w >= 1.0:  # the pen path alone: no raster to draw
            return points
        probs = self.probabilities(np.stack([ink_to_raster(ink) for ink in inks]))
        return np.asarray((1.0 - w) * probs + w * points, dtype=np.float32)

    def decide(
        self, probs: np.ndarray, charset: str | None = None, latency_ms: float = 0.0
    ) -> Recognition:
        """Turn one row of network outputs into a :class:`Recognition`.

        Candidates are renormalised over the charset's classes (all 62 without one); the
        reject output is never a candidate, it only decides ``rejected``.
        """
        allowed = np.array(charset_indices(charset))
        return self._decide(probs, allowed, latency_ms)

    def _decide(
        self,
        probs: np.ndarray,
        allowed: np.ndarray,
        latency_ms: float,
        threshold: float | None = None,
    ) -> Recognition:
        p_reject = float(probs[REJECT_INDEX])
        class_p = np.asarray(probs[:NUM_CLASSES], dtype=np.float64)[allowed]
        total = float(class_p.sum())
        class_p = class_p / total if total > 1e-12 else np.full(len(allowed), 1 / len(allowed))
        order = np.argsort(-class_p, kind="stable")[:MAX_CANDIDATES]
        candidates = [Candidate(CLASSES[allowed[i]], round(float(class_p[i]), 6)) for i in order]
        rejected = p_reject >= (self.reject_threshold if threshold is None else threshold)
        return Recognition(
            label=None if rejected else candidates[0].label,
            confidence=candidates[0].p,
            candidates=candidates,
            rejected=rejected,
            model_version=self.version,
            latency_ms=round(latency_ms, 3),
        )

    # -- public entry points ---------------------------------------------------------------

    def recognize(self, ink: Ink | object, charset: str | None = None) -> Recognition:
        """Recognise one drawing (an :class:`Ink`, or a payload :func:`parse_ink` accepts)."""
        start = time.perf_counter()
        allowed = np.array(charset_indices(charset))
        probs = self.ink_probabilities([parse_ink(ink)])[0]
        return self._decide(probs, allowed, (time.perf_counter() - start) * 1000)

    def recognize_image(self, data: bytes, charset: str | None = None) -> Recognition:
        """Recognise a photo or scan of one character; raises ImageError for bad images."""
        start = time.perf_counter()
        allowed = np.array(charset_indices(charset))
        raster = image_to_raster(data)
        if not raster.any():
            raise ImageError("empty_image", "no ink found in the image")
        probs = self.probabilities(raster[None])[0]
        latency = (time.perf_counter() - start) * 1000
        return self._decide(probs, allowed, latency, self.image_reject_threshold)

    def recognize_batch(self, inks: list[Any], charset: str | None = None) -> list[Recognition]:
        """Recognise many drawings in one interpreter call; latency is the per-item share."""
        if not inks:
            return []
        start = time.perf_counter()
        allowed = np.array(charset_indices(charset))
        probs = self.ink_probabilities([parse_ink(ink) for ink in inks])
        share = (time.perf_counter() - start) * 1000 / len(inks)
        return [self._decide(row, allowed, share) for row in probs]


_CACHE: dict[tuple[str, str], Recognizer] = {}
_CACHE_LOCK = threading.Lock()
MAX_LOADED_MODELS = 3
_STAMPS: dict[str, tuple[tuple[int, int], str]] = {}
# A folder's card is looked at again at most this often: resolving the path and reading the
# card's stamp cost more than preprocessing a stroke.
CARD_CHECK_S = 1.0
_CHECKED: dict[str, tuple[float, tuple[str, str]]] = {}


def load_recognizer(model_dir: Path) -> Recognizer:
    """The process-wide :class:`Recognizer` for ``model_dir``, keyed by path and version.

    Loading happens once; a folder whose card names a new version is loaded afresh (noticed
    within ``CARD_CHECK_S``).
    """
    asked = str(model_dir)
    now = time.monotonic()
    checked = _CHECKED.get(asked)
    if checked is not None and now - checked[0] < CARD_CHECK_S:
        recognizer = _CACHE.get(checked[1])
        if recognizer is not None:
            return recognizer
    path = Path(model_dir).resolve()
    try:
        stamp = (path / CARD_JSON).stat()
    except OSError as exc:
        raise ModelError("model_unavailable", f"no readable model card in {path}") from exc
    seen = _STAMPS.get(str(path))
    if seen is not None and seen[0] == (stamp.st_mtime_ns, stamp.st_size):
        version = seen[1]
    else:
        try:
            version = str(json.loads((path / CARD_JSON).read_text())["version"])
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError("model_unavailable", f"no readable model card in {path}") from exc
        _STAMPS[str(path)] = ((stamp.st_mtime_ns, stamp.st_size), version)
    key = (str(path), version)
    with _CACHE_LOCK:
        recognizer = _CACHE.get(key)
        if recognizer is None:
            recognizer = Recognizer.load(path)
            _CACHE[key] = recognizer
            # Keep the newest few models: each activation would otherwise add two interpreters.
            while len(_CACHE) > MAX_LOADED_MODELS:
                del _CACHE[next(iter(_CACHE))]
        _CHECKED[asked] = (now, key)
        return recognizer
