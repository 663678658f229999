"""Practice: what a student writes next, and the candidates the recogniser may answer."""

from collections import Counter

from classroom.models import Attempt, Exercise, User
from recognition.engine.labels import DIGITS, LETTERS


def practice_plan(*, student: User, exercise: Exercise) -> list[str]:
    """The characters the student still has to write correctly, in exercise order.

    Walks the exercise's sequence, crossing off one slot per correct attempt.
    """
    correct = Counter(
        Attempt.objects.filter(student=student, exercise=exercise, correct=True).values_list(
            "target", flat=True
        )
    )
    pending: list[str] = []
    for ch in exercise.targets(seed=student.pk):
        if correct[ch] > 0:
            correct[ch] -= 1
        else:
            pending.append(ch)
    return pending


def practice_next_target(
    *, student: User, exercise: Exercise, avoid: str | None = None
) -> str | None:
    """The next character to write, or None when the exercise is done.

    After a wrong attempt the caller passes `avoid`, so the student moves on instead of
    getting stuck; the missed character comes back later.
    """
    pending = practice_plan(student=student, exercise=exercise)
    if not pending:
        return None
    return next((ch for ch in pending if ch != avoid), pending[0])


def practice_charset(*, exercise: Exercise) -> str | None:
    """The candidates the recogniser may answer with while practising `exercise`.

    A digits-only exercise is read as digits and a letters-only one as letters, so a
    stroke like "|" is a 1 in a digits exercise and an l in a letters one; within letters
    every letter stays possible, so reversals such as b/d are still caught. Mixed: all 62.
    """
    if all(ch in DIGITS for ch in exercise.characters):
        return DIGITS
    if all(ch in LETTERS for ch in exercise.characters):
        return LETTERS
    return None
