"""Serving: load an exported model once per process and recognise ink or images.

Two runtimes, chosen per process (``runtime``), neither imports TensorFlow:

- ``"litert"`` (the default): the LiteRT interpreter from ``ai-edge-litert`` over
  ``model.tflite``. Interpreters are not thread-safe, so each is guarded by a lock; one
  stays at batch size 1 for single characters and a second one is resized for batches.
- ``"onnxruntime"``: ONNX Runtime over ``model.onnx`` (made from ``model.tflite`` by
  :mod:`onnx_export`), on its CUDA execution provider with ``provider="cuda"`` where the
  installed build has one and a GPU answers, else on its CPU provider with a logged
  warning. A GPU pays only for many drawings at once: :meth:`Recognizer.recognize_many`
  answers a whole batch in one ``session.run``.

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
import logging
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
ONNX_FILES = {TFLITE_NAME: "model.onnx", POINTS_TFLITE_NAME: "model_points.onnx"}
ONNX_SOURCE_KEY = "inkwell_source_sha256"  # as recognition.engine.onnx_export writes it
RUNTIMES = ("litert", "onnxruntime")
PROVIDERS = ("cpu", "cuda")

logger = logging.getLogger(__name__)


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


class _OnnxSession:
    """One ONNX Runtime session; ``run`` is thread-safe and takes any batch size."""

    def __init__(
        self, model_path: Path, provider: str, shape: tuple[int, ...] = (SIZE, SIZE, 1)
    ) -> None:
        import onnxruntime as ort

        self._shape = shape
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # as LiteRT's: one worker process per core
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # ORT's own provider warnings: ours below says it
        wanted = ["CPUExecutionProvider"]
        if provider == "cuda":
            if "CUDAExecutionProvider" in ort.get_available_providers():
                wanted.insert(0, "CUDAExecutionProvider")
            else:
                logger.warning(
                    "INFERENCE_PROVIDER is cuda but this onnxruntime build has no CUDA "
                    "provider (it has %s): %s runs on the CPU",
                    ", ".join(ort.get_available_providers()),
                    model_path.name,
                )
        self._session = ort.InferenceSession(str(model_path), options, providers=wanted)
        self.providers = list(self._session.get_providers())
        if "CUDAExecutionProvider" in wanted and "CUDAExecutionProvider" not in self.providers:
            logger.warning(
                "INFERENCE_PROVIDER is cuda but no GPU took %s: it runs on the CPU",
                model_path.name,
            )
        self._input = self._session.get_inputs()[0].name
        meta = self._session.get_modelmeta().custom_metadata_map
        self.source_sha256 = meta.get(ONNX_SOURCE_KEY, "")

    def run(self, rasters: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(rasters.reshape(-1, *self._shape), dtype=np.float32)
        return np.asarray(self._session.run(None, {self._input: x})[0])


def _onnx_session(
    model_dir: Path, tflite_name: str, provider: str, shape: tuple[int, ...] = (SIZE, SIZE, 1)
) -> _OnnxSession:
    """The ONNX session of the file converted from ``tflite_name`` as it is now (the
    converter records its source's SHA-256); ModelError when it is missing or stale."""
    import hashlib

    onnx_path = model_dir / ONNX_FILES[tflite_name]
    hint = f"run python -m recognition.engine.onnx_export {model_dir}"
    if not onnx_path.is_file():
        raise ModelError("model_unavailable", f"no {onnx_path.name} in {model_dir}: {hint}")
    session = _OnnxSession(onnx_path, provider, shape)
    source = hashlib.sha256((model_dir / tflite_name).read_bytes()).hexdigest()
    if session.source_sha256 != source:
        raise ModelError(
            "model_incompatible", f"{onnx_path.name} was made from another {tflite_name}: {hint}"
        )
    return session


_AnySession = _Session | _OnnxSession


class Recognizer:
    """A loaded model: preprocessing, inference, charset restriction and rejection.

    ``runtime`` is ``"litert"`` or ``"onnxruntime"``; ``provider`` (``"cpu"`` or
    ``"cuda"``) matters to ONNX Runtime only.
    """

    def __init__(
        self,
        model_dir: Path,
        card: dict[str, Any],
        runtime: str = "litert",
        provider: str = "cpu",
    ) -> None:
        self.model_dir = model_dir
        self.card = card
        self.version = str(card["version"])
        self.runtime = runtime
        self.reject_threshold = float(card.get("reject_threshold", 1.0))
        self.image_reject_threshold = float(
            card.get("image_reject_threshold", self.reject_threshold)
        )
        self.points_weight = 0.0
        self.both_directions = bool(card.get("points_both_directions", False))
        two_views = str(card.get("preprocessing_version")) == RASTER_AND_POINTS
        self._points_single: _AnySession | None = None
        self._points_batch: _AnySession | None = None
        if two_views:
            self.points_weight = float(card["points_weight"])
        if runtime == "onnxruntime":
            raster = _onnx_session(model_dir, TFLITE_NAME, provider)
            self._single: _AnySession = raster
            self._batch: _AnySession = raster
            if two_views:
                self._points_single = _onnx_session(
                    model_dir, POINTS_TFLITE_NAME, provider, (POINTS, FEATURES)
                )
                self._points_batch = self._points_single
            self.providers = raster.providers
            return
        self.providers = ["litert"]
        self._single = _Session(model_dir / TFLITE_NAME, 1)
        self._batch = _Session(model_dir / TFLITE_NAME, 1)
        if two_views:
            path = model_dir / POINTS_TFLITE_NAME
            self._points_single = _Session(path, 1, (POINTS, FEATURES))
            self._points_batch = _Session(path, 1, (POINTS, FEATURES))

    @classmethod
    def load(cls, model_dir: Path, runtime: str = "litert", provider: str = "cpu") -> Recognizer:
        """Load ``model_dir`` (``model.tflite`` + ``model_card.json``, and ``model.onnx`` for
        ONNX Runtime) on ``runtime``; raises ModelError."""
        if runtime not in RUNTIMES or provider not in PROVIDERS:
            raise ValueError(f"unknown runtime {runtime!r} or provider {provider!r}")
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
        return cls(model_dir, card, runtime, provider)

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
        return self.recognize_many([(ink, charset) for ink in inks])

    def recognize_many(self, drawings: list[tuple[Any, str | None]]) -> list[Recognition]:
        """Recognise ``(ink, charset)`` pairs, each with its own charset, in one call of the
        network (a batch dimension of ``len(drawings)``): the same answers as
        :meth:`recognize` one by one; latency is the per-item share."""
        if not drawings:
            return []
        start = time.perf_counter()
        inks = [parse_ink(ink) for ink, _ in drawings]
        allowed = [np.array(charset_indices(charset)) for _, charset in drawings]
        probs = self.ink_probabilities(inks)
        share = (time.perf_counter() - start) * 1000 / len(drawings)
        return [self._decide(row, a, share) for row, a in zip(probs, allowed, strict=True)]


_CACHE: dict[tuple[str, str, str, str], Recognizer] = {}
_CACHE_LOCK = threading.Lock()
MAX_LOADED_MODELS = 3
_STAMPS: dict[str, tuple[tuple[int, int], str]] = {}
# A folder's card is looked at again at most this often: resolving the path and reading the
# card's stamp cost more than preprocessing a stroke.
CARD_CHECK_S = 1.0
_CHECKED: dict[str, tuple[float, tuple[str, str, str, str]]] = {}


def load_recognizer(model_dir: Path, runtime: str = "litert", provider: str = "cpu") -> Recognizer:
    """The process-wide :class:`Recognizer` for ``model_dir``, keyed by path and version
    (and runtime and provider, see :meth:`Recognizer.load`).

    Loading happens once; a folder whose card names a new version is loaded afresh (noticed
    within ``CARD_CHECK_S``).
    """
    asked = f"{model_dir}|{runtime}|{provider}"
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
    key = (str(path), version, runtime, provider)
    with _CACHE_LOCK:
        recognizer = _CACHE.get(key)
        if recognizer is None:
            recognizer = Recognizer.load(path, runtime, provider)
            _CACHE[key] = recognizer
            # Keep the newest few models: each activation would otherwise add two interpreters.
            while len(_CACHE) > MAX_LOADED_MODELS:
                del _CACHE[next(iter(_CACHE))]
        _CHECKED[asked] = (now, key)
        return recognizer
