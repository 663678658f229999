"""Celery queue names, in one place."""

DEFAULT = "default"
INFERENCE = "inference"
TRAINING = "training"
