"""Helpers to set up rooms and relays in tests."""

from chat import services
from chat.models import RelaySettings
from chat.tests.conftest import webhook_url
from classroom.models import Classroom


def relay_to(server, classroom: Classroom, **flags: bool) -> RelaySettings:
    """The class relays to the fake Discord's webhook."""
    return services.relay_configure(
        classroom=classroom,
        webhook_url=webhook_url(server),
        relay_feedback=flags.get("feedback", True),
        relay_bot=flags.get("bot", False),
        relay_milestones=flags.get("milestones", False),
    )
