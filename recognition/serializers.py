from typing import Any

from rest_framework import serializers

from recognition.answers import recognition_answer
from recognition.engine.formation import CHECK_NAMES


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


class RecognizeInputSerializer(serializers.Serializer):
    """Documentation of the request: JSON ink, or a multipart image upload."""

    strokes = serializers.JSONField(required=False, help_text="Ink: [[[x, y, t], ...], ...]")
    image = serializers.ImageField(required=False, help_text="A photo or scan of one character")
    charset = serializers.CharField(required=False, help_text="Allowed characters, e.g. 0123456789")
    guides = GuidesSerializer(
        required=False,
        help_text="Ink only: the canvas's guide lines; with them the size and position of "
        "the drawing decide case pairs (o or O)",
    )
    target = serializers.CharField(
        required=False,
        min_length=1,
        max_length=1,
        help_text="Ink only: the character the writer meant; the answer adds its checks",
    )
