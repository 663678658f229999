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


def practice_tries_in_a_row(*, student: User, exercise: Exercise, target: str) -> int:
    """How many of the student's latest attempts in the exercise, counted back from the
    newest, were at `target` without passing."""
    latest = (
        Attempt.objects.filter(student=student, exercise=exercise)
        .order_by("-created_at", "-id")
        .only("target", "correct", "checks")[: exercise.tries]
    )
    tries = 0
    for attempt in latest:
        if attempt.target != target or attempt.passed:
            break
        tries += 1
    return tries


def practice_next_target(
    *,
    student: User,
    exercise: Exercise,
    avoid: str | None = None,
    after: Attempt | None = None,
    again: bool = False,
) -> str | None:
    """The next character to write, or None when the exercise is done.

    The one place that chooses it. `after` is the attempt just assessed: when it did not
    pass (not recognised as the target, or a formation check failed) the student tries the
    same character again, up to the exercise's `tries` in a row; then they move on and the
    missed character comes back later in the round. `avoid` (a drawing saved unchecked)
    just moves on. With `again` (another round of a finished exercise) the characters
    come round in order instead of None.
    """
    if after is not None and not after.passed:
        tries = practice_tries_in_a_row(student=student, exercise=exercise, target=after.target)
        if tries < exercise.tries:
            return after.target
        avoid = after.target
    pending = practice_plan(student=student, exercise=exercise)
    if not pending and again:
        chars = exercise.characters
        last = after.target if after is not None else avoid
        if last is None or last not in chars:
            return chars[0]
        return chars[(chars.index(last) + 1) % len(chars)]
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
