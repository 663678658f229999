"""What the platform holds about one student: their lockout, their data for an export."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from classroom import signals
from classroom.models import Attempt, User


def student_locked_out(*, student: User) -> bool:
    """Whether wrong passwords have locked the student's account (django-axes)."""
    from axes.models import AccessAttempt

    # One row per address the wrong passwords came from: the account's lockout counts them all.
    failures = AccessAttempt.objects.filter(username=student.username).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return (failures or 0) >= settings.AXES_FAILURE_LIMIT


@dataclass(frozen=True)
class StudentDataPart:
    """What another app holds about a student, for the export: entries to add to attempts
    (`per_attempt[attempt_id]["comments"] = [...]`) and sections of their own
    (`sections["chat_messages"] = [...]`). Values are JSON-able (datetimes included)."""

    per_attempt: dict[int, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


# Every attempt entry has these, whether or not an app answers `student_data_requested`.
ATTEMPT_PARTS = ("comments",)


def _attempt_entry(a: Attempt) -> dict[str, Any]:
    return {
        "id": a.pk,
        "created_at": a.created_at,
        "class": a.exercise.classroom.name,
        "exercise": a.exercise.title,
        "target": a.target,
        "ink": a.ink,
        "time_taken_ms": a.time_taken_ms,
        "status": a.status,
        "recognised_as": a.predicted_label or None,
        "confidence": a.confidence,
        "correct": a.correct,
        "score": a.score,
        "checks": [
            {"name": c.get("name"), "ok": bool(c.get("ok")), "message": c.get("message", "")}
            for c in a.checks or []
            if isinstance(c, dict)
        ],
        "verdict": (
            {
                "correct": a.correct,
                "label": a.verified_label,
                "by": a.verified_by.get_username() if a.verified_by else None,
                "at": a.verified_at,
            }
            if a.verified
            else None
        ),
        **{part: [] for part in ATTEMPT_PARTS},
    }


def student_export(*, student: User) -> dict[str, Any]:
    """Everything Inkwell holds about a student: the account, their classes, every attempt
    with its ink, what the recogniser read, the formation checks, the teacher's verdict and
    comments, and what other apps hold (`signals.student_data_requested`: chat messages).

    The JSON download and the readable page both show exactly this; datetimes stay
    datetimes (the JSON encoder writes them in ISO 8601)."""
    attempts = (
        Attempt.objects.filter(student=student)
        .select_related("exercise", "exercise__classroom", "verified_by")
        .defer("image", "candidates", "demonstration", "guides")
        .order_by("created_at", "id")
    )
    entries = [_attempt_entry(a) for a in attempts]
    data: dict[str, Any] = {
        "exported_at": timezone.now(),
        "account": {
            "username": student.username,
            "first_name": student.first_name,
            "last_name": student.last_name,
            "email": student.email,
            "date_joined": student.date_joined,
            "last_login": student.last_login,
        },
        "classes": [
            {
                "name": m.classroom.name,
                "teacher": str(m.classroom.teacher),
                "joined_at": m.joined_at,
            }
            for m in student.memberships.select_related("classroom__teacher").order_by("joined_at")
        ],
        "attempts": entries,
    }
    by_id = {entry["id"]: entry for entry in entries}
    for _, part in signals.student_data_requested.send(sender=User, student=student):
        if not isinstance(part, StudentDataPart):
            continue
        for attempt_id, extras in part.per_attempt.items():
            if attempt_id in by_id:
                for key, values in extras.items():
                    by_id[attempt_id].setdefault(key, []).extend(values)
        for key, values in part.sections.items():
            data.setdefault(key, []).extend(values)
    return data


def student_has_other_teachers(*, student: User, teacher: User) -> bool:
    """Whether the student is in a class of another teacher too (their data is not only
    this teacher's to delete)."""
    return student.memberships.exclude(classroom__teacher=teacher).exists()
