from typing import Any

from rest_framework import serializers

from classroom.models import Attempt, Exercise


class AttemptSerializer(serializers.ModelSerializer[Attempt]):
    exercise_title = serializers.CharField(source="exercise.title", read_only=True)

    class Meta:
        model = Attempt
        fields = ["id", "exercise", "exercise_title", "target", "predicted_label", "confidence",
                  "correct", "score", "status", "model_version", "recognition_latency_ms",
                  "time_taken_ms", "verified", "verified_label", "created_at"]  # fmt: skip
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


# The teacher's dashboard (read only): plain serializers over the selector's dataclasses.


class DashboardStudentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="student.pk")
    username = serializers.CharField(source="student.username")
    name = serializers.CharField(source="student")
    attempts = serializers.IntegerField()
    checked = serializers.IntegerField(source="judged")
    correct = serializers.IntegerField()
    accuracy = serializers.FloatField(allow_null=True)
    average_score = serializers.FloatField(allow_null=True)
    mastered = serializers.IntegerField()
    last_active = serializers.DateTimeField(allow_null=True)
    trend = serializers.CharField()


class DashboardCharacterSerializer(serializers.Serializer[Any]):
    character = serializers.CharField()
    checked = serializers.IntegerField(source="judged")
    correct = serializers.IntegerField()
    accuracy = serializers.FloatField(allow_null=True)


class DashboardPeriodSerializer(serializers.Serializer[Any]):
    period = serializers.DateField()
    attempts = serializers.IntegerField()
    checked = serializers.IntegerField(source="judged")
    correct = serializers.IntegerField()
    accuracy = serializers.FloatField(allow_null=True)


class DashboardTotalsSerializer(serializers.Serializer[Any]):
    attempts = serializers.IntegerField()
    checked = serializers.IntegerField(source="judged")
    correct = serializers.IntegerField()
    accuracy = serializers.FloatField(allow_null=True)
    pending = serializers.IntegerField()
    verified = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer[Any]):
    class_id = serializers.IntegerField(source="classroom.pk")
    class_name = serializers.CharField(source="classroom.name")
    filters = serializers.SerializerMethodField()
    totals = DashboardTotalsSerializer()
    students = DashboardStudentSerializer(many=True)
    characters = DashboardCharacterSerializer(many=True)
    confusions = serializers.SerializerMethodField()
    granularity = serializers.CharField()
    timeline = DashboardPeriodSerializer(many=True)
    completion = serializers.SerializerMethodField()
    eligible_for_training = serializers.IntegerField()
    allow_training_use = serializers.BooleanField(source="classroom.allow_training_use")

    def get_filters(self, dashboard: Any) -> dict[str, Any]:
        f = dashboard.filters
        return {
            "exercise": f.exercise_id,
            "from": f.date_from.isoformat() if f.date_from else None,
            "to": f.date_to.isoformat() if f.date_to else None,
        }

    def get_confusions(self, dashboard: Any) -> list[list[Any]]:
        """[target, read, count] for every recognised pair; read "" means not recognised."""
        counts = dashboard.confusion.counts
        return [[t, r, n] for (t, r), n in sorted(counts.items())]

    def get_completion(self, dashboard: Any) -> list[dict[str, Any]]:
        return [
            {
                "student": student.pk,
                "exercises": [
                    {
                        "exercise": cell.exercise.pk,
                        "done": cell.progress.done,
                        "total": cell.progress.total,
                        "complete": cell.progress.complete,
                        "late": cell.late,
                    }
                    for cell in cells
                ],
            }
            for student, cells in dashboard.completion
        ]


class VerdictInputSerializer(serializers.Serializer[Any]):
    """`correct`: true or false, or null to withdraw the verdict; `character`: the character
    really written (optional; the target when confirmed correct)."""

    correct = serializers.BooleanField(allow_null=True)
    character = serializers.CharField(required=False, allow_blank=True, max_length=1, default="")


class VerdictSerializer(serializers.ModelSerializer[Attempt]):
    class Meta:
        model = Attempt
        fields = ["id", "target", "predicted_label", "correct", "verified", "verified_label",
                  "verified_at"]  # fmt: skip
        read_only_fields = fields
