from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recognition.answers import recognition_answer
from recognition.engine.ink import MAX_ABS_COORDINATE, MAX_POINTS, MAX_STROKES

# CONTRACTS section 1, as far as JSON Schema can say it (4,000 points in all it cannot).
INK_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_STROKES,
    "items": {
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_POINTS,
        "items": {
            "type": "array",
            "minItems": 2,
            "maxItems": 3,
            "items": {
                "type": "number",
                "minimum": -MAX_ABS_COORDINATE,
                "maximum": MAX_ABS_COORDINATE,
            },
        },
    },
}


@extend_schema_field(INK_SCHEMA)
class InkField(serializers.JSONField):
    """Strokes as CONTRACTS section 1 gives them: [[[x, y, t], ...], ...]."""


def charset_field() -> serializers.CharField:
    return serializers.CharField(
        required=False,
        allow_null=True,  # the same as leaving it out
        min_length=1,
        validators=[RegexValidator(r"^[0-9A-Za-z]+$")],
        help_text="Allowed characters, e.g. 0123456789",
    )


class CandidateSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # the contract's name
    p = serializers.FloatField()


class RecognitionSerializer(serializers.Serializer):
    """An engine `Recognition` as the API answers it: `recognition.answers` makes the shape,
    these fields describe it in the schema."""

    label = serializers.CharField(allow_null=True)  # type: ignore[assignment]
    confidence = serializers.FloatField()
    candidates = CandidateSerializer(many=True)
    rejected = serializers.BooleanField()
    model_version = serializers.CharField()
    latency_ms = serializers.FloatField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return recognition_answer(instance)


class RecognizeInkSerializer(serializers.Serializer):
    """Documentation of the JSON request: ink."""

    strokes = InkField(help_text="Ink: [[[x, y, t], ...], ...]")
    charset = charset_field()


class RecognizeImageSerializer(serializers.Serializer):
    """Documentation of the multipart request: an image upload."""

    image = serializers.ImageField(help_text="A photo or scan of one character")
    charset = charset_field()
