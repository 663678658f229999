"""The 62 classes of CONTRACTS section 2, the 35-class folding and charset parsing."""

from __future__ import annotations

from .errors import CharsetError

CLASSES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DIGITS = CLASSES[:10]
LETTERS = CLASSES[10:]
NUM_CLASSES = len(CLASSES)
CLASS_INDEX = {c: i for i, c in enumerate(CLASSES)}

#: The network has one more output than there are classes: "none of them" (scribbles).
REJECT_INDEX = NUM_CLASSES
NUM_OUTPUTS = NUM_CLASSES + 1


def fold35(label: str) -> str:
    """Map a label onto the UJI 35-class scheme: case-insensitive letters, ``0`` == ``o``."""
    low = label.lower()
    return "o" if low == "0" else low


def parse_charset(charset: str | None) -> str | None:
    """Validate a charset and return its distinct characters in class order.

    ``None`` means no restriction. Raises :class:`CharsetError` (code ``bad_charset``) when
    the string is empty or holds a character outside the 62 classes.
    """
    if charset is None:
        return None
    if not isinstance(charset, str):
        raise CharsetError("bad_charset", "charset must be a string of characters")
    if not charset:
        raise CharsetError("bad_charset", "charset must not be empty")
    unknown = sorted({c for c in charset if c not in CLASS_INDEX})
    if unknown:
        shown = "".join(unknown)[:20]
        raise CharsetError("bad_charset", f"charset holds characters outside 0-9A-Za-z: {shown!r}")
    return "".join(c for c in CLASSES if c in charset)


def charset_indices(charset: str | None) -> list[int]:
    """Class indices allowed by a (validated or raw) charset; all 62 for ``None``."""
    parsed = parse_charset(charset)
    if parsed is None:
        return list(range(NUM_CLASSES))
    return [CLASS_INDEX[c] for c in parsed]
