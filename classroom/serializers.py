from typing import Any

from rest_framework import serializers

from classroom.models import Attempt, Exercise


class AttemptSerializer(serializers.ModelSerializer[Attempt]):
    exercise_title = serializers.CharField(source="exercise.title", read_only=True)

    class Meta:
        model = Attempt
        fields = ["id", "exercise", "exercise_title", "target", "predicted_label", "confidence",
                  "correct", "score", "status", "model_version", "recognition_latency_ms",
                  "time_taken_ms", "created_at"]  # fmt: skip
        read_only_fields = fields


class AttemptDetailSerializer(AttemptSerializer):
    class Meta(AttemptSerializer.Meta):
        fields = [*AttemptSerializer.Meta.fields, "ink", "candidates"]
        read_only_fields = fields


class ExerciseSerializer(serializers.ModelSerializer[Exercise]):
    classroom_name = serializers.CharField(source="classroom.name", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Exercise
        fields = ["id", "title", "classroom", "classroom_name", "characters", "repetitions",
                  "order", "case_rule", "due_at", "show_tracing", "progress"]  # fmt: skip
        read_only_fields = fields

    def get_progress(self, exercise: Exercise) -> dict[str, Any]:
        progress = self.context["progress"].get(exercise.pk)
        if progress is None:
            return {"done": 0, "total": exercise.total_writes}
        return {"done": progress.done, "total": progress.total}
