"""Ink parsing and validation (CONTRACTS section 1)."""

from __future__ import annotations

import pytest

from recognition.engine.errors import InkError
from recognition.engine.ink import MAX_POINTS, MAX_STROKES, parse_ink


def _code(payload: object) -> str:
    with pytest.raises(InkError) as info:
        parse_ink(payload)
    return info.value.code


def test_it_accepts_the_object_form_with_times() -> None:
    ink = parse_ink({"strokes": [[[1, 2, 0], [3, 4, 16]], [[5, 6, 40]]]})
    assert len(ink.strokes) == 2
    assert ink.strokes[0].tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_it_accepts_a_bare_strokes_list_without_times() -> None:
    assert parse_ink([[[1.5, -2], [3, 4]]]).num_points == 2


def test_it_drops_empty_strokes() -> None:
    assert len(parse_ink([[], [[1, 1]], []]).strokes) == 1


def test_it_rejects_a_drawing_without_points_as_empty_ink() -> None:
    assert _code({"strokes": []}) == "empty_ink"
    assert _code([[], []]) == "empty_ink"


def test_it_rejects_more_than_64_strokes() -> None:
    assert _code([[[i, i]] for i in range(MAX_STROKES + 1)]) == "too_many_strokes"


def test_it_accepts_exactly_the_limits() -> None:
    per = MAX_POINTS // MAX_STROKES
    strokes = [[[i, j] for j in range(per)] for i in range(MAX_STROKES - 1)]
    strokes.append([[99, j] for j in range(MAX_POINTS - per * (MAX_STROKES - 1))])
    assert parse_ink(strokes).num_points == MAX_POINTS


def test_it_rejects_more_than_4000_points_in_all() -> None:
    assert _code([[[i, 0] for i in range(2001)], [[i, 1] for i in range(2000)]]) == (
        "too_many_points"
    )


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 100_001, -1e9])
def test_it_rejects_non_finite_or_huge_coordinates(value: float) -> None:
    assert _code([[[0, 0], [value, 1]]]) == "bad_coordinate"


@pytest.mark.parametrize(
    "payload",
    [
        {"lines": []},
        "strokes",
        {"strokes": "x"},
        [["not a point"]],
        [[[1]]],
        [[[1, 2, 3, 4]]],
        [[["1", 2]]],
        [[[True, 2]]],
        [[[None, 2]]],
        [[{"x": 1, "y": 2}]],
    ],
)
def test_it_rejects_malformed_payloads_as_bad_format(payload: object) -> None:
    assert _code(payload) == "bad_format"


def test_errors_carry_a_human_message() -> None:
    with pytest.raises(InkError) as info:
        parse_ink([[[0, 0], [1e6, 0]]])
    assert "100000" in info.value.message
