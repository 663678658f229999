"""The shared shape of the access-matrix tests: who visits, what each should get, one visit."""

from collections.abc import Iterable
from typing import Any

import pytest
from django.test import Client

ACTORS = ("anonymous", "member", "outsider", "teacher", "other_teacher", "staff")


def codes(*statuses: int) -> dict[str, int]:
    """Expected statuses, in the order of ACTORS."""
    return dict(zip(ACTORS, statuses, strict=True))


def cases(matrix: Iterable[tuple[str, str, Any, dict[str, int]]]) -> list[Any]:
    """One test case per (row of the matrix, visitor)."""
    return [
        pytest.param(name, method, url, actor, expected[actor], id=f"{method}-{name}-{actor}")
        for name, method, url, expected in matrix
        for actor in ACTORS
    ]


def visit(client: Client, method: str, url: str, data: dict[str, Any]) -> int:
    """The status of one GET, or of one POST of `data`."""
    if method == "post":
        return client.post(url, data).status_code
    return client.get(url).status_code
