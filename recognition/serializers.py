from typing import Any

from rest_framework import serializers

from recognition.answers import recognition_answer


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


class RecognizeInputSerializer(serializers.Serializer):
    """Documentation of the request: JSON ink, or a multipart image upload."""

    strokes = serializers.JSONField(required=False, help_text="Ink: [[[x, y, t], ...], ...]")
    image = serializers.ImageField(required=False, help_text="A photo or scan of one character")
    charset = serializers.CharField(required=False, help_text="Allowed characters, e.g. 0123456789")
