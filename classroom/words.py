"""Words and the student's own name as exercises: what a teacher may enter, and the word a
student's name gives. A word is practised letter by letter (each letter an attempt with the
usual checks, CONTRACTS sections 5 and 8); there is no whole-word recogniser."""

from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ValidationError

from recognition.engine.labels import CLASSES, LETTERS

MAX_WORD_LENGTH = 12
MAX_WORDS = 12
# A name is written in letters: digits, spaces, hyphens and accents are skipped.
NAME_CHARSET = LETTERS


def parse_words(text: str) -> list[str]:
    """The words of a teacher's list (spaces or commas between them), checked: each of
    1 to MAX_WORD_LENGTH characters from the 62 classes, at most MAX_WORDS, none twice.

    Raises ValidationError with a stable code: empty, unknown_character, word_too_long,
    too_many_words, repeated_word.
    """
    words = text.replace(",", " ").split()
    if not words:
        raise ValidationError("Enter at least one word.", code="empty")
    unknown = sorted({ch for w in words for ch in w if ch not in CLASSES})
    if unknown:
        shown = " ".join(repr(ch) for ch in unknown)
        raise ValidationError(
            f"Words can use only digits 0-9 and letters A-Z, a-z, not {shown}.",
            code="unknown_character",
        )
    long = [w for w in words if len(w) > MAX_WORD_LENGTH]
    if long:
        raise ValidationError(
            f"A word may have at most {MAX_WORD_LENGTH} letters: {', '.join(long)}.",
            code="word_too_long",
        )
    if len(words) > MAX_WORDS:
        raise ValidationError(
            f"At most {MAX_WORDS} words in one exercise ({len(words)} given).",
            code="too_many_words",
        )
    repeated = sorted({w for w in words if words.count(w) > 1})
    if repeated:
        raise ValidationError(
            f"Each word may appear once (use repetitions to practise it more): "
            f"{', '.join(repeated)}.",
            code="repeated_word",
        )
    return words


def letters_of(words: list[str]) -> str:
    """Each character of the words once, in the order they first appear."""
    return "".join(dict.fromkeys(ch for w in words for ch in w))


class Named(Protocol):
    first_name: str
    username: str


@dataclass(frozen=True)
class NameWord:
    """The word a student practises for their own name: the first word of their first name
    (their username without one) with the characters outside NAME_CHARSET left out."""

    source: str
    word: str
    skipped: str  # the characters left out, each once

    @property
    def usable(self) -> bool:
        return bool(self.word)


def name_word(user: Named) -> NameWord:
    """See NameWord. A username like "ada.42" gives "ada"."""
    parts = user.first_name.split()
    source = parts[0] if parts else user.username.split(".")[0]
    kept = "".join(ch for ch in source if ch in NAME_CHARSET)[:MAX_WORD_LENGTH]
    skipped = "".join(dict.fromkeys(ch for ch in source if ch not in NAME_CHARSET))
    return NameWord(source=source, word=kept, skipped=skipped)
