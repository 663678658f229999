"""Classes, the 35-class folding and charsets (CONTRACTS section 2)."""

from __future__ import annotations

import pytest

from recognition.engine.errors import CharsetError
from recognition.engine.labels import CLASSES, charset_indices, fold35, parse_charset


def test_there_are_62_classes_in_contract_order() -> None:
    assert CLASSES == "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def test_fold35_ignores_case_and_merges_zero_with_o() -> None:
    assert fold35("A") == fold35("a")
    assert fold35("0") == fold35("o") == fold35("O")
    assert fold35("1") != fold35("l")
    assert len({fold35(c) for c in CLASSES}) == 35


def test_charset_is_deduplicated_into_class_order() -> None:
    assert parse_charset("ba0a") == "0ab"
    assert charset_indices("01") == [0, 1]
    assert charset_indices(None) == list(range(62))


@pytest.mark.parametrize("charset", ["", "ab!", "é", "a b"])
def test_it_rejects_a_bad_charset(charset: str) -> None:
    with pytest.raises(CharsetError) as info:
        parse_charset(charset)
    assert info.value.code == "bad_charset"
