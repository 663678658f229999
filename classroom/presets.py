"""Exercise presets in teaching order: letters grouped by the strokes they share, as
handwriting schemes teach them, then capitals, digits, and the teacher's own list."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    characters: str


OWN = "own"

PRESETS: tuple[Preset, ...] = (
    Preset("round", "Round letters: c o a d g q", "coadgq"),
    Preset("down", "Long ladder letters: l t i", "lti"),
    Preset("ladder", "More ladder letters: u y j", "uyj"),
    Preset("bridge", "Bridge letters: r n m h b p k", "rnmhbpk"),
    Preset("zigzag", "Zigzag letters: v w x z", "vwxz"),
    Preset("curly", "Curly letters: e s f", "esf"),
    Preset("caps-top", "Capitals from the top line: L T I E F H", "LTIEFH"),
    Preset("caps-slant", "Slanting capitals: A K M N V W X Y Z", "AKMNVWXYZ"),
    Preset("caps-round", "Round capitals: C O Q G S U J D P B R", "COQGSUJDPBR"),
    Preset("digits", "Digits: 0 to 9", "0123456789"),
)
BY_KEY = {p.key: p for p in PRESETS}


def preset_choices() -> list[tuple[str, str]]:
    """The form's choices: the teacher's own list first, then the presets in teaching order."""
    return [(OWN, "My own list (type the characters below)")] + [(p.key, p.title) for p in PRESETS]
