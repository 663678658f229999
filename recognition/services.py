"""Recognition as the platform uses it: one entry for the web, the API, sockets and tasks."""

from typing import Any

from prometheus_client import Counter, Histogram

from recognition.engine.ink import parse_ink
from recognition.engine.labels import parse_charset
from recognition.engine.runtime import Recognition
from recognition.selectors import active_recognizer

RECOGNITIONS = Counter(
    "inkwell_recognitions_total", "Characters recognised", ["source", "rejected"]
)
RECOGNITION_SECONDS = Histogram(
    "inkwell_recognition_seconds",
    "Time the recogniser took for one character",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1),
)


def _observe(recognition: Recognition, source: str) -> Recognition:
    RECOGNITIONS.labels(source=source, rejected=str(recognition.rejected).lower()).inc()
    RECOGNITION_SECONDS.observe(recognition.latency_ms / 1000)
    return recognition


def ink_recognize(*, strokes: Any, charset: str | None = None, source: str = "api") -> Recognition:
    """Recognise a drawing (CONTRACTS section 1) with the active model.

    Raises the engine's InkError / CharsetError for bad input.
    """
    allowed = parse_charset(charset)
    ink = parse_ink(strokes)
    return _observe(active_recognizer().recognize(ink, charset=allowed), source)


def image_recognize(*, data: bytes, charset: str | None = None) -> Recognition:
    """Recognise a photo or scan of one character. Raises ImageError / CharsetError."""
    allowed = parse_charset(charset)
    return _observe(active_recognizer().recognize_image(data, charset=allowed), "image")


def recognition_payload(recognition: Recognition) -> dict[str, Any]:
    """The JSON form shared by the API and the websocket frames."""
    return {
        "label": recognition.label,
        "confidence": round(recognition.confidence, 4),
        "candidates": [{"label": c.label, "p": round(c.p, 4)} for c in recognition.candidates],
        "rejected": recognition.rejected,
        "model_version": recognition.model_version,
        "latency_ms": round(recognition.latency_ms, 3),
    }
