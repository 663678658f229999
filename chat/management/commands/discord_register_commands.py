"""`manage.py discord_register_commands`: register Inkwell's slash commands with Discord
(a bulk overwrite of the application's global commands at DISCORD_API_BASE)."""

from typing import Any

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

STRING = 3
COMMANDS = [
    {
        "name": "progress",
        "type": 1,
        "description": "A student's progress in the class of this channel",
        "options": [
            {"type": STRING, "name": "student", "description": "Student name", "required": False}
        ],
    },
    {"name": "status", "type": 1, "description": "Teachers: how the recogniser is doing"},
]


class Command(BaseCommand):
    help = "Register /progress and /status with Discord (needs the application id and bot token)."

    def handle(self, *args: Any, **options: Any) -> None:
        app_id, token = settings.DISCORD_APPLICATION_ID, settings.DISCORD_BOT_TOKEN
        if not app_id or not token:
            raise CommandError("Set DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN first.")
        url = f"{settings.DISCORD_API_BASE}/applications/{app_id}/commands"
        try:
            response = requests.put(
                url,
                json=COMMANDS,
                headers={"Authorization": f"Bot {token}"},
                timeout=settings.DISCORD_TIMEOUT_S,
            )
        except requests.RequestException as exc:
            raise CommandError(f"Could not reach Discord: {exc}") from exc
        if response.status_code >= 300:
            raise CommandError(f"Discord refused ({response.status_code}): {response.text[:300]}")
        names = ", ".join(f"/{c['name']}" for c in COMMANDS)
        self.stdout.write(f"Registered {names}")
