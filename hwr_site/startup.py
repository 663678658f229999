"""Checks a server process runs before it takes any request."""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("inkwell")

BANNER = """
  ************************************************************************
  *  DEBUG IS ON: development server only. Error pages show code and     *
  *  settings to anyone. Never expose this process to a network.         *
  ************************************************************************"""


def check_debug() -> None:
    """Refuse DEBUG except in the development server (`make run` sets DEV_SERVER), and
    say so loudly there."""
    if not settings.DEBUG:
        return
    if not settings.DEV_SERVER:
        raise ImproperlyConfigured(
            "DEBUG is on: a server started with DEBUG shows code and settings on every error. "
            "Turn DEBUG off, or use `make run` (which sets DEV_SERVER=true) for development."
        )
    logger.warning(BANNER)
