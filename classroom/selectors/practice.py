"""Practice: what a student writes next, and the candidates the recogniser may answer."""

import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from classroom.models import Attempt, Exercise, User
from classroom.selectors.progress import completed_words
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


# Words, letter by letter: each letter is an attempt (its target) that carries the word, the
# write of the word (1, 2, ... per student and exercise) and its place in the word.


@dataclass(frozen=True)
class WordPlace:
    word: str
    write: int
    index: int

    @property
    def letter(self) -> str:
        return self.word[self.index]

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.word, "index": self.index}


def word_plan(*, student: User, exercise: Exercise) -> list[str]:
    """The words the student still has to write in full, in exercise order."""
    words = [w for w in exercise.words_for(student) for _ in range(exercise.repetitions)]
    if exercise.order == Exercise.Order.SHUFFLED:
        random.Random(student.pk).shuffle(words)
    done = completed_words(exercise_ids=[exercise.pk], student_ids=[student.pk])
    left = Counter(done[(exercise.pk, student.pk)])
    pending = []
    for word in words:
        if left[word] > 0:
            left[word] -= 1
        else:
            pending.append(word)
    return pending


def _stays_on_letter(*, exercise: Exercise, latest: Attempt) -> bool:
    """After a checked letter that did not pass, the child tries it again while tries are
    left; a letter saved unchecked (the recogniser was away) moves on."""
    if latest.status != Attempt.Status.RECOGNIZED or latest.passed:
        return False
    same = (
        Attempt.objects.filter(
            student_id=latest.student_id,
            exercise=exercise,
            word_write=latest.word_write,
            letter_index=latest.letter_index,
        )
        .order_by("-created_at", "-id")
        .only("correct", "checks")[: exercise.tries]
    )
    tries = 0
    for attempt in same:
        if attempt.passed:
            break
        tries += 1
    return tries < exercise.tries


def word_next(*, student: User, exercise: Exercise, again: bool = False) -> WordPlace | None:
    """Where the student is in a words exercise: the word, its write and the letter to write
    next, from their latest attempt; None when every word is written (with `again`, another
    round: the words come round in order).

    A letter that did not pass is tried again up to the exercise's `tries`, then the next
    letter follows; a word with a letter never right is not complete and comes back later in
    the round.
    """
    latest = (
        Attempt.objects.filter(student=student, exercise=exercise, word_write__isnull=False)
        .order_by("-created_at", "-id")
        .only("student_id", "word", "word_write", "letter_index", "status", "correct", "checks")
        .first()
    )
    words = exercise.words_for(student)
    last_word = ""
    writes = 0
    if latest is not None and latest.word_write is not None and latest.letter_index is not None:
        writes, last_word = latest.word_write, latest.word
        if last_word in words:
            if _stays_on_letter(exercise=exercise, latest=latest):
                return WordPlace(last_word, writes, latest.letter_index)
            if latest.letter_index + 1 < len(last_word):
                return WordPlace(last_word, writes, latest.letter_index + 1)
    pending = word_plan(student=student, exercise=exercise)
    if not pending:
        if not again or not words:
            return None
        after = words.index(last_word) + 1 if last_word in words else 0
        return WordPlace(words[after % len(words)], writes + 1, 0)
    word = next((w for w in pending if w != last_word), pending[0])
    return WordPlace(word, writes + 1, 0)
