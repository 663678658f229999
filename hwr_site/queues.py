"""Celery queue names, in one place."""

DEFAULT = "default"
INFERENCE = "inference"
TRAINING = "training"
# Calls to Discord: slow or rate-limited answers never hold up the other queues.
DISCORD = "discord"
# What `make run` and `make worker` consume.
ALL = (DEFAULT, INFERENCE, TRAINING, DISCORD)
