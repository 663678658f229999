from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recognition.answers import recognition_answer
from recognition.engine.formation import CHECK_NAMES
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


class GuidesSerializer(serializers.Serializer):
    """Guide lines in the ink's coordinates, y down: cap_height < x_height < baseline."""

    baseline = serializers.FloatField()
    x_height = serializers.FloatField()
    cap_height = serializers.FloatField()


class CheckSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=list(CHECK_NAMES))
    ok = serializers.BooleanField()
    message = serializers.CharField(help_text="For the child, in plain words")


class RecognitionSerializer(serializers.Serializer):
    """An engine `Recognition` as the API answers it: `recognition.answers` makes the shape,
    these fields describe it in the schema."""

    label = serializers.CharField(allow_null=True)  # type: ignore[assignment]
    confidence = serializers.FloatField()
    candidates = CandidateSerializer(many=True)
    rejected = serializers.BooleanField()
    model_version = serializers.CharField()
    latency_ms = serializers.FloatField()
    checks = CheckSerializer(
        many=True,
        required=False,
        help_text="Only with a target: the formation checks that apply (CONTRACTS section 8)",
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return recognition_answer(instance)


class RecognizeInkSerializer(serializers.Serializer):
    """Documentation of the JSON request: ink."""

    strokes = InkField(help_text="Ink: [[[x, y, t], ...], ...]")
    charset = charset_field()
    guides = GuidesSerializer(
        required=False,
        help_text="The canvas's guide lines; with them the size and position of the drawing "
        "decide case pairs (o or O)",
    )
    target = serializers.CharField(
        required=False,
        min_length=1,
        max_length=1,
        validators=[RegexValidator(r"^[0-9A-Za-z]$")],
        help_text="The character the writer meant; the answer adds its checks",
    )


class RecognizeImageSerializer(serializers.Serializer):
    """Documentation of the multipart request: an image upload."""

    image = serializers.ImageField(help_text="A photo or scan of one character")
    charset = charset_field()
