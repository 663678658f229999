"""Retraining on teacher-verified attempts (issue 6)."""

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q

from classroom.models import Attempt, Classroom

_TRAINABLE = Q(verified=True, exercise__classroom__allow_training_use=True) & (
    ~Q(verified_label="") | Q(correct=True)
)


def verified_training_attempts(
    *, exclude_verifiers: Collection[int] = ()
) -> Iterator[tuple[str, list[Any], int, int | None]]:
    """(true label, strokes, student id, verifier id) of every verified attempt a class allows
    training on, but those verified by a teacher in `exclude_verifiers`.

    The true label is the teacher's `verified_label`, or the target when the teacher
    confirmed the attempt correct without naming a character.
    """
    rows = (
        Attempt.objects.filter(_TRAINABLE)
        .exclude(verified_by_id__in=list(exclude_verifiers))
        .order_by("id")
        .values_list("verified_label", "target", "ink", "student_id", "verified_by_id")
    )
    for verified_label, target, ink, student_id, verifier in rows.iterator(chunk_size=500):
        yield (verified_label or target, ink["strokes"], student_id, verifier)


@dataclass(frozen=True)
class TrainingVerifier:
    """A teacher whose verdicts would feed a training run, with how many."""

    user_id: int | None  # None: the verdicts of accounts since deleted
    name: str
    verdicts: int
    relabels: int  # verdicts naming another character than the recogniser read


def training_verifiers() -> list[TrainingVerifier]:
    """Who gave the verdicts `verified_training_attempts` would yield, most verdicts first."""
    rows = (
        Attempt.objects.filter(_TRAINABLE)
        .values("verified_by_id", "verified_by__username", "verified_by__first_name")
        .annotate(
            verdicts=Count("id"),
            relabels=Count(
                "id", filter=~Q(verified_label="") & ~Q(verified_label=F("predicted_label"))
            ),
        )
        .order_by("-verdicts", "verified_by_id")
    )
    return [
        TrainingVerifier(
            user_id=row["verified_by_id"],
            name=row["verified_by__first_name"] or row["verified_by__username"] or "(deleted)",
            verdicts=row["verdicts"],
            relabels=row["relabels"],
        )
        for row in rows
    ]


def verified_training_count(classroom: Classroom) -> int:
    """How many of the class's attempts `verified_training_attempts` yields (0 while the
    class does not allow training use)."""
    if not classroom.allow_training_use:
        return 0
    return Attempt.objects.filter(_TRAINABLE, exercise__classroom=classroom).count()
