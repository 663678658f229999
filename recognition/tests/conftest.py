"""The engine's fixtures (the shared data folder, the shipped model), defined once beside the
engine, for the Django side's tests too."""

from recognition.engine.tests.conftest import (  # noqa: F401
    data_dir,
    recognizer,
    shipped_model_dir,
    unipen_test_rows,
)
