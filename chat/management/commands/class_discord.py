"""`manage.py class_discord CLASS_ID --webhook URL` / `--off` (CONTRACTS section 6)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat import services
from classroom.models import Classroom


class Command(BaseCommand):
    help = "Set a class's Discord webhook (only Discord's origin), or remove it with --off."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("class_id", type=int)
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--webhook", metavar="URL")
        group.add_argument("--off", action="store_true")
        parser.add_argument("--no-feedback", action="store_true", help="do not relay feedback")

    def handle(self, *args: Any, **options: Any) -> None:
        classroom = Classroom.objects.filter(pk=options["class_id"]).first()
        if classroom is None:
            raise CommandError(f"No class {options['class_id']}")
        if options["off"]:
            services.relay_remove(classroom=classroom)
            self.stdout.write(f"{classroom}: Discord webhook removed")
            return
        try:
            relay = services.relay_configure(
                classroom=classroom,
                webhook_url=options["webhook"],
                relay_feedback=False if options["no_feedback"] else None,
            )
        except services.ChatError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"{classroom}: relays to {relay.webhook_display}")
