"""Fixtures of the recognition app's tests. The engine's (the shared data folder, the shipped
model) are defined once beside the engine and imported here."""

import pytest

from recognition.engine.tests.conftest import (  # noqa: F401
    data_dir,
    recognizer,
    shipped_model_dir,
    unipen_test_rows,
)


@pytest.fixture
def user(django_user_model):
    """A user with a password and no role."""
    return django_user_model.objects.create_user("pat", password="pw-12345678")
