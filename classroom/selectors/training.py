"""Retraining on teacher-verified attempts (issue 6)."""

from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from classroom.models import Attempt, Classroom

_TRAINABLE = Q(verified=True, exercise__classroom__allow_training_use=True) & (
    ~Q(verified_label="") | Q(correct=True)
)


def verified_training_attempts() -> Iterator[tuple[str, list[Any], int]]:
    """(true label, strokes, student id) of every verified attempt a class allows training on.

    The true label is the teacher's `verified_label`, or the target when the teacher
    confirmed the attempt correct without naming a character.
    """
    rows = (
        Attempt.objects.filter(_TRAINABLE)
        .order_by("id")
        .values_list("verified_label", "target", "ink", "student_id")
    )
    for verified_label, target, ink, student_id in rows.iterator(chunk_size=500):
        yield (verified_label or target, ink["strokes"], student_id)


def verified_training_count(classroom: Classroom) -> int:
    """How many of the class's attempts `verified_training_attempts` yields (0 while the
    class does not allow training use)."""
    if not classroom.allow_training_use:
        return 0
    return Attempt.objects.filter(_TRAINABLE, exercise__classroom=classroom).count()
