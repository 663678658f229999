"""The one shape of an attempt's result: the practice socket's `result` frame (CONTRACTS
section 5), the reply of `recognize_attempt` and the class live panel's event all use it."""

from typing import Any

from classroom.formation import demonstration_payload
from classroom.models import Attempt

RECOGNIZED = "recognized"
SAVED = "saved"  # stored, recognised later (the recogniser did not answer in time)


def attempt_result(attempt: Attempt) -> dict[str, Any]:
    """`attempt_id`, `target`, `label`, `correct`, `score`, `model_version` and `status`
    (CONTRACTS section 5), with `checks` (section 8), `passed` (correct and every check
    ok) and the `demonstration` to show when a check failed.

    A pending attempt is `saved`: its label, correct and score are null until recognised.
    """
    if attempt.status != Attempt.Status.RECOGNIZED:
        return saved_result(attempt)
    return {
        "attempt_id": attempt.pk,
        "target": attempt.target,
        "label": attempt.predicted_label or None,
        "correct": bool(attempt.correct),
        "score": attempt.score,
        "model_version": attempt.model_version,
        "status": RECOGNIZED,
        "checks": attempt.checks,
        "passed": attempt.passed,
        "demonstration": demonstration_payload(attempt.target, attempt.demonstration),
    }


def saved_result(attempt: Attempt) -> dict[str, Any]:
    """The result of a stored attempt whose recognition is still to come."""
    return {
        "attempt_id": attempt.pk,
        "target": attempt.target,
        "label": None,
        "correct": None,
        "score": None,
        "model_version": None,
        "status": SAVED,
        "checks": [],
        "passed": None,
        "demonstration": None,
    }
