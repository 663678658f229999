"""The pen-path view (recognition.engine.points): shape, normalisation, order, pen lifts."""

from __future__ import annotations

import numpy as np

from recognition.engine.ink import parse_ink
from recognition.engine.points import FEATURES, POINTS, ink_to_points

# An "i": a down stroke and a dot above it (y points down).
STEM = [[0.0, 40.0], [0.0, 70.0], [1.0, 100.0]]
DOT = [[0.0, 10.0]]


def test_it_gives_a_fixed_length_sequence_and_zeros_for_no_ink() -> None:
    seq = ink_to_points(parse_ink([STEM, DOT]))
    assert seq.shape == (POINTS, FEATURES) and seq.dtype == np.float32
    assert not ink_to_points([]).any()


def test_it_ignores_scale_and_offset() -> None:
    ink = parse_ink([STEM, DOT])
    moved = parse_ink([[[x * 37 + 500, y * 37 - 90] for x, y in s] for s in (STEM, DOT)])
    assert np.allclose(ink_to_points(ink), ink_to_points(moved), atol=1e-5)


def test_a_dot_keeps_positions_of_its_own() -> None:
    seq = ink_to_points(parse_ink([STEM, DOT]))
    starts = np.nonzero(seq[:, 6])[0]
    assert len(starts) == 2  # the pen went down twice
    dot = seq[starts[1] :]
    assert len(dot) >= 2 and np.allclose(dot[:, 0:2], dot[0, 0:2])  # all at the dot
    assert dot[:, 1].max() < seq[: starts[1], 1].min()  # above the stem


def test_the_direction_of_travel_is_kept() -> None:
    down = ink_to_points(parse_ink([STEM]))
    up = ink_to_points(parse_ink([STEM[::-1]]))
    assert down[:, 5].mean() > 0.9 and up[:, 5].mean() < -0.9  # sin: +y is down the page
    assert np.allclose(down[:, 0:2], up[::-1, 0:2], atol=1e-6)


def test_pen_lifts_are_marked_and_not_travelled() -> None:
    seq = ink_to_points(parse_ink([STEM, DOT]))
    ends = np.nonzero(seq[:, 7])[0]
    assert len(ends) == 2 and ends[-1] == POINTS - 1
    assert not seq[ends[0], 2:4].any()  # no step across the lift
    assert np.allclose(seq[:, 8:10], [[1 / 90, 1.0]] * POINTS, atol=1e-6)  # box shape
