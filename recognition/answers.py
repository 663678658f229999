"""The one shape of a recognition answer (CONTRACTS section 4), and the live `prediction`
frame cut from it (CONTRACTS section 5). The API, the live task and a stored attempt's
candidates all come from `recognition_answer`."""

from typing import Any

from recognition.engine.runtime import Recognition

# What a live `prediction` frame carries of an answer (besides its type and seq).
PREDICTION_FIELDS = ("candidates", "rejected", "model_version")


def recognition_answer(recognition: Recognition) -> dict[str, Any]:
    """`label`, `confidence`, `candidates` (best first), `rejected`, `model_version`,
    `latency_ms`, rounded for the wire."""
    return {
        "label": recognition.label,
        "confidence": round(recognition.confidence, 4),
        "candidates": [{"label": c.label, "p": round(c.p, 4)} for c in recognition.candidates],
        "rejected": recognition.rejected,
        "model_version": recognition.model_version,
        "latency_ms": round(recognition.latency_ms, 3),
    }


def prediction_of(answer: dict[str, Any]) -> dict[str, Any]:
    """The part of an answer a `prediction` frame sends."""
    return {key: answer[key] for key in PREDICTION_FIELDS}
