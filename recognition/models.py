"""The model registry: every version of the recogniser, how it was made, how it scores."""

from django.conf import settings
from django.db import models


class ModelVersion(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        TRAINING = "training", "Training"
        EVALUATING = "evaluating", "Evaluating"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # Relative to MEDIA_ROOT (trained here) or absolute (the model shipped in the repository).
    artifact_dir = models.CharField(max_length=500, blank=True)
    model_card = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True, help_text="CONTRACTS section 3 JSON")
    data_sources = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    progress = models.JSONField(default=dict, blank=True)
    training_log = models.TextField(blank=True)
    failure_reason = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    base_version = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one version serves at a time.
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="active"),
                name="one_active_model_version",
            )
        ]

    def __str__(self) -> str:
        return f"v{self.name} ({self.status})"
