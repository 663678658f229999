"""Which model serves, and where its files are."""

from pathlib import Path

from django.conf import settings

from recognition.engine.runtime import Recognizer, load_recognizer


def active_model_dir() -> Path:
    """The folder of the model that serves predictions now."""
    return Path(settings.SHIPPED_MODEL_DIR)


def model_dir_for(version_or_path: str | None) -> Path:
    """Resolve a model given by version name or folder path; None means the active one."""
    if version_or_path is None:
        return active_model_dir()
    candidate = Path(version_or_path)
    if candidate.is_dir():
        return candidate.resolve()
    raise ValueError(f"No model version or folder named {version_or_path!r}")


def active_recognizer() -> Recognizer:
    """The active model, loaded once per process and cached by version."""
    return load_recognizer(active_model_dir())


def active_model_version() -> str:
    """The version name of the active model."""
    return active_recognizer().version
