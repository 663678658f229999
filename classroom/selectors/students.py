"""What the platform holds about one student: their lockout, their data for an export."""

from typing import Any

from django.conf import settings
from django.db.models import Sum

from classroom.models import Attempt, User


def student_locked_out(*, student: User) -> bool:
    """Whether wrong passwords have locked the student's account (django-axes)."""
    from axes.models import AccessAttempt

    # One row per address the wrong passwords came from: the account's lockout counts them all.
    failures = AccessAttempt.objects.filter(username=student.username).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return (failures or 0) >= settings.AXES_FAILURE_LIMIT


def student_export(*, student: User) -> dict[str, Any]:
    """Everything Inkwell holds about a student, as JSON: the account, their classes, and
    every attempt with its ink, what the recogniser read and the teacher's verdict."""
    attempts = (
        Attempt.objects.filter(student=student)
        .select_related("exercise", "exercise__classroom", "verified_by")
        .order_by("created_at", "id")
    )
    return {
        "account": {
            "username": student.username,
            "first_name": student.first_name,
            "email": student.email,
            "date_joined": student.date_joined.isoformat(),
        },
        "classes": [
            {"name": m.classroom.name, "joined_at": m.joined_at.isoformat()}
            for m in student.memberships.select_related("classroom").order_by("joined_at")
        ],
        "attempts": [
            {
                "id": a.pk,
                "created_at": a.created_at.isoformat(),
                "class": a.exercise.classroom.name,
                "exercise": a.exercise.title,
                "target": a.target,
                "ink": a.ink,
                "recognised_as": a.predicted_label or None,
                "correct": a.correct,
                "score": a.score,
                "verdict": (
                    {
                        "correct": a.correct,
                        "label": a.verified_label,
                        "by": a.verified_by.get_username() if a.verified_by else None,
                        "at": a.verified_at.isoformat() if a.verified_at else None,
                    }
                    if a.verified
                    else None
                ),
            }
            for a in attempts
        ],
    }


def student_has_other_teachers(*, student: User, teacher: User) -> bool:
    """Whether the student is in a class of another teacher too (their data is not only
    this teacher's to delete)."""
    return student.memberships.exclude(classroom__teacher=teacher).exists()
