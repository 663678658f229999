"""Guide lines (baseline, x-height, cap height) and the case they decide.

A practice canvas draws three lines; a child writes capitals, digits and ascenders from the
baseline up to the cap height, x-height letters up to the x-height, and lets descenders hang
below the baseline. The recogniser throws size and position away (its raster is fitted to
the drawing's box), so it cannot tell ``o`` from ``O``. :func:`apply_guides` puts them back:
it scores each candidate's expected extent against where the drawing actually sits and
re-ranks the recogniser's candidates, adding the same-shape partners (``o``/``O``/``0``,
``s``/``S``, ``1``/``l``/``I``, ...) the recogniser may have left out.

Heights are in the ink's coordinates, y down: ``cap_height < x_height < baseline``. Inside
this module positions are in *guide units*: 0 on the baseline, 1 on the cap height, up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from .errors import GuidesError
from .ink import Ink, parse_ink
from .labels import CLASSES
from .runtime import Candidate, Recognition

#: Characters whose shapes differ mainly by size or position (case pairs and look-alikes).
SHAPE_GROUPS: tuple[str, ...] = (
    "oO0",
    "cC",
    "sS",
    "uU",
    "vV",
    "wW",
    "xX",
    "zZ",
    "kK",
    "pP",
    "yY",
    "mM",
    "jJ",
    "1lI",
    "9gq",
)
_GROUP_OF: dict[str, str] = {c: g for g in SHAPE_GROUPS for c in g}

_TALL_LOWER = "bdfhkl"
_SMALL = "acemnorsuvwxz"
_DESCENDERS = "gpqy"

#: How far below the baseline a descender reaches, as a fraction of the x-height band.
DESCENDER_DEPTH = 0.9
#: Spread (guide units) of where a child's letter tops and bottoms land around the ideal.
SIGMA = 0.12
#: Share of a shape group's probability lent to each partner the recogniser ranked lower.
PARTNER_SHARE = 0.25
#: The likelihood never drops below this, so a wildly placed drawing keeps its shape ranking.
FLOOR = 1e-6


@dataclass(frozen=True)
class Guides:
    """Three horizontal guide lines in the ink's coordinates (y down).

    Build with :func:`parse_guides` (or the constructor, which validates): the heights must
    be finite and ``cap_height < x_height < baseline``; otherwise :class:`GuidesError` with
    code ``bad_guides``.
    """

    baseline: float
    x_height: float
    cap_height: float

    def __post_init__(self) -> None:
        values = (self.baseline, self.x_height, self.cap_height)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise GuidesError("bad_guides", "guides must be numbers")
        try:
            finite = all(math.isfinite(v) for v in values)
        except OverflowError:  # an int too large for a float
            finite = False
        if not finite:
            raise GuidesError("bad_guides", "guides must be finite numbers")
        if not self.cap_height < self.x_height < self.baseline:
            raise GuidesError(
                "bad_guides", "guides need cap_height < x_height < baseline (y points down)"
            )

    @property
    def body(self) -> float:
        """Distance from the baseline up to the cap height (one guide unit)."""
        return self.baseline - self.cap_height

    @property
    def x_ratio(self) -> float:
        """The x-height in guide units (about 0.5 on a child's paper)."""
        return (self.baseline - self.x_height) / self.body

    def units(self, y: float) -> float:
        """An ink y coordinate in guide units (0 baseline, 1 cap height, up)."""
        return (self.baseline - y) / self.body

    def to_y(self, u: float) -> float:
        """Inverse of :meth:`units`."""
        return self.baseline - u * self.body

    def as_dict(self) -> dict[str, float]:
        """The CONTRACTS section 8 form."""
        return {"baseline": self.baseline, "x_height": self.x_height, "cap_height": self.cap_height}


def parse_guides(payload: object) -> Guides | None:
    """``None`` for ``None``; a :class:`Guides` for ``{"baseline", "x_height", "cap_height"}``.

    Raises :class:`GuidesError` (``bad_guides``) for anything else.
    """
    if payload is None:
        return None
    if isinstance(payload, Guides):
        return payload
    if not isinstance(payload, dict):
        raise GuidesError("bad_guides", "guides must be an object")
    keys = ("baseline", "x_height", "cap_height")
    missing = [k for k in keys if k not in payload]
    if missing:
        raise GuidesError("bad_guides", f"guides need {', '.join(missing)}")
    values: list[Any] = [payload[k] for k in keys]
    return Guides(*values)


@dataclass(frozen=True)
class Extent:
    """Where a drawing (or a character's ideal form) sits: top and bottom in guide units."""

    top: float
    bottom: float

    @property
    def height(self) -> float:
        return self.top - self.bottom


def measure(ink: Ink | object, guides: Guides) -> Extent:
    """The drawing's top and bottom in guide units."""
    _, min_y, _, max_y = parse_ink(ink).bounds()
    return Extent(guides.units(min_y), guides.units(max_y))


def expected_extents(label: str, x_ratio: float) -> tuple[Extent, ...]:
    """The accepted ideal extents of ``label`` on guides with this x-height (guide units).

    More than one where schools differ (``f`` and ``J`` with or without a descender).
    """
    depth = -DESCENDER_DEPTH * x_ratio
    dot = x_ratio + 0.5 * (1 - x_ratio)  # the dot of i and j floats between the lines
    if label in "ij":
        return (Extent(dot, depth if label == "j" else 0.0),)
    if label == "t":
        return (Extent(x_ratio + 0.7 * (1 - x_ratio), 0.0),)
    if label == "f":
        return (Extent(1.0, 0.0), Extent(1.0, depth))
    if label == "J":
        return (Extent(1.0, 0.0), Extent(1.0, depth))
    if label in _SMALL:
        return (Extent(x_ratio, 0.0),)
    if label in _DESCENDERS:
        return (Extent(x_ratio, depth),)
    if label in _TALL_LOWER or label.isupper() or label.isdigit():
        return (Extent(1.0, 0.0),)
    raise GuidesError("bad_guides", f"no guide form for {label!r}")


def fit(label: str, extent: Extent, x_ratio: float, sigma: float = SIGMA) -> float:
    """How well a drawing's extent fits ``label``'s ideal forms (1 perfect, towards 0 worse)."""
    best = 0.0
    for ideal in expected_extents(label, x_ratio):
        d2 = (extent.top - ideal.top) ** 2 + (extent.bottom - ideal.bottom) ** 2
        best = max(best, math.exp(-d2 / (2 * sigma * sigma)))
    return best + FLOOR


def same_shape(a: str, b: str) -> bool:
    """Whether two labels differ mainly by size or position (``o``/``O``, ``1``/``l``)."""
    return a == b or (a in _GROUP_OF and _GROUP_OF.get(b) == _GROUP_OF[a])


def partners(label: str) -> str:
    """The other members of ``label``'s shape group ('' when it has none)."""
    return _GROUP_OF.get(label, label).replace(label, "")


def guided_scores(
    candidates: list[Candidate],
    extent: Extent,
    x_ratio: float,
    allowed: str | None = None,
    sigma: float = SIGMA,
    partner_share: float = PARTNER_SHARE,
) -> list[Candidate]:
    """Re-rank candidates by shape probability times fit to the guides, best first.

    Each candidate's same-shape partners join the list (within ``allowed``) with a share of
    the group's probability, since the recogniser cannot rank them apart; the scores are
    renormalised over the enlarged list.
    """
    shape_p = {c.label: c.p for c in candidates}
    pool = dict.fromkeys(shape_p)
    for c in candidates:
        for other in partners(c.label):
            if allowed is None or other in allowed:
                pool.setdefault(other)
    scores: dict[str, float] = {}
    for label in pool:
        group = sum(shape_p.get(o, 0.0) for o in partners(label))
        prior = shape_p.get(label, 0.0) + partner_share * group
        scores[label] = prior * fit(label, extent, x_ratio, sigma)
    total = sum(scores.values()) or 1.0
    ranked = sorted(scores, key=lambda k: (-scores[k], CLASSES.index(k)))
    return [Candidate(k, round(scores[k] / total, 6)) for k in ranked]


def apply_guides(
    recognition: Recognition, ink: Ink | object, guides: Guides | None, charset: str | None = None
) -> Recognition:
    """The recognition re-ranked by the drawing's size and position against ``guides``.

    Without guides the recognition comes back unchanged. A rejected drawing stays rejected;
    its candidates are re-ranked all the same. ``charset`` (validated) limits the partners
    that may join.
    """
    if guides is None or not recognition.candidates:
        return recognition
    ranked = guided_scores(recognition.candidates, measure(ink, guides), guides.x_ratio, charset)
    top = ranked[: max(len(recognition.candidates), 5)]
    return replace(
        recognition,
        label=None if recognition.rejected else top[0].label,
        confidence=top[0].p,
        candidates=top,
    )
