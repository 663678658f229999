"""Guide lines: their validation, and the case they decide on real ink."""

from __future__ import annotations

import math

import pytest

from recognition.engine.errors import GuidesError
from recognition.engine.guides import Guides, apply_guides, parse_guides
from recognition.engine.ink import Ink

from .formation_ink import on_guides, real, recognizer


def _placed(ink: Ink, top: float, bottom: float, guides: Guides) -> Ink:
    """``ink`` scaled so its box runs from ``top`` to ``bottom`` (guide units)."""
    min_x, min_y, _, max_y = ink.bounds()
    scale = (top - bottom) * guides.body / (max_y - min_y)
    return Ink(tuple((s - (min_x, min_y)) * scale + (50, guides.to_y(top)) for s in ink.strokes))


def test_it_reads_the_contract_form() -> None:
    guides = parse_guides({"baseline": 300, "x_height": 200, "cap_height": 100.5})
    assert guides == Guides(300, 200, 100.5)
    assert guides is not None and guides.x_ratio == pytest.approx(0.5, abs=0.01)
    assert parse_guides(None) is None


@pytest.mark.parametrize(
    "payload",
    [
        {"baseline": 100, "x_height": 200, "cap_height": 300},  # y up instead of down
        {"baseline": 300, "x_height": 50, "cap_height": 100},  # x-height above the caps
        {"baseline": 300, "x_height": 200, "cap_height": math.nan},
        {"baseline": 300, "x_height": math.inf, "cap_height": 100},
        {"baseline": 300, "x_height": "200", "cap_height": 100},
        {"baseline": 300, "cap_height": 100},
        [300, 200, 100],
    ],
)
def test_it_rejects_guides_that_cannot_be_lines_of_a_page(payload: object) -> None:
    with pytest.raises(GuidesError) as caught:
        parse_guides(payload)
    assert caught.value.code == "bad_guides"


@pytest.mark.parametrize("small, capital", [("o", "O"), ("s", "S"), ("c", "C"), ("x", "X")])
def test_size_on_the_guides_decides_the_case_of_real_ink(small: str, capital: str) -> None:
    guides = Guides(300, 200, 100)
    r = recognizer()
    right = 0
    # Drawings whose shape the recogniser reads as the letter (either case): the guides
    # decide the case, not the shape.
    inks = [
        ink
        for ink in real(small, 15) + real(capital, 15)
        if r.recognize(ink).label in (small, capital)
    ]
    assert len(inks) >= 15
    for ink in inks:
        plain = r.recognize(ink)
        low = apply_guides(plain, _placed(ink, 0.5, 0, guides), guides)
        tall = apply_guides(plain, _placed(ink, 1.0, 0, guides), guides)
        right += low.label == small
        # A tall round shape may be the digit 0 as well: only the case is asserted here.
        right += tall.label in ((capital, "0") if small == "o" else (capital,))
    assert right >= 0.9 * 2 * len(inks)


def test_a_descender_below_the_baseline_reads_as_g_not_9() -> None:
    r = recognizer()
    drawings = on_guides("g", 20)
    right = sum(apply_guides(r.recognize(i), i, g).label == "g" for i, g in drawings)
    assert right >= 16


def test_without_guides_the_answer_is_the_recognisers() -> None:
    ink = real("o", 1)[0]
    plain = recognizer().recognize(ink)
    assert apply_guides(plain, ink, None) is plain
