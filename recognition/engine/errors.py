"""Domain exceptions of the recognition engine, each with a stable ``code``."""

from __future__ import annotations


class RecognitionError(ValueError):
    """Base class: bad input the caller can fix; ``code`` is stable, ``message`` is for humans."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class InkError(RecognitionError):
    """Ink that breaks CONTRACTS section 1 (``empty_ink``, ``too_many_points``, ...)."""


class ImageError(RecognitionError):
    """An uploaded image that cannot be used (``not_an_image``, ``image_too_large``, ...)."""


class ImageBusyError(ImageError):
    """Too many images are being decoded in this process right now (``busy``)."""


class CharsetError(RecognitionError):
    """A ``charset`` that is empty or names characters outside the 62 classes."""


class ModelError(RecognitionError):
    """A model folder that is missing or does not hold a usable exported model."""


class GuidesError(RecognitionError):
    """Guide lines that are not three finite heights with ``cap_height < x_height < baseline``."""


class TargetError(RecognitionError):
    """A formation target that is not one of the 62 characters (code ``bad_target``)."""
