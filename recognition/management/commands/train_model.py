"""``manage.py train_model``: train, export and card a recogniser (see recognition.engine)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from recognition.engine.combine import train_two_views
from recognition.engine.export import write_model_card
from recognition.engine.training import TrainConfig

DEFAULT_FILES = ("unipen-1abc.jsonl.gz", "pendigits.jsonl.gz")


def default_data_dir() -> Path:
    """``../shared/data`` next to the project, unless settings name another folder."""
    configured = getattr(settings, "INKWELL_DATA_DIR", None)
    return Path(configured) if configured else Path(settings.BASE_DIR).parent / "shared" / "data"


class Command(BaseCommand):
    help = "Train the handwriting recogniser and export it (LiteRT + model card) to --out."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data",
            action="append",
            help="ink JSONL file (repeatable; default: both files in ../shared/data)",
        )
        parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
        parser.add_argument("--max-samples", type=int, default=None, help="cap for quick runs")
        parser.add_argument("--out", default="var/models/trained", help="output folder")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--width", type=int, default=TrainConfig.width, help="CNN width")
        parser.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
        parser.add_argument(
            "--learning-rate", type=float, default=TrainConfig.learning_rate, help="peak rate"
        )
        parser.add_argument("--augmented-copies", type=int, default=TrainConfig.augmented_copies)
        parser.add_argument("--workers", type=int, default=TrainConfig.workers)
        parser.add_argument("--model-version", default="1", help="version name in the card")

    def handle(self, *args: Any, **options: Any) -> None:
        data = options["data"] or [str(default_data_dir() / name) for name in DEFAULT_FILES]
        config = TrainConfig(
            data=data,
            out=options["out"],
            epochs=options["epochs"],
            max_samples=options["max_samples"],
            seed=options["seed"],
            width=options["width"],
            augmented_copies=options["augmented_copies"],
            batch_size=options["batch_size"],
            learning_rate=options["learning_rate"],
            workers=options["workers"],
            version=options["model_version"],
        )

        def log(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        card = train_two_views(config, log=log)
        # The card names the exact command, so a retraining can reproduce this model.
        card.setdefault("commands", {})["train"] = "python manage.py " + shlex.join(sys.argv[1:])
        write_model_card(Path(config.out), card)
        val = card["metrics"]["val"]
        self.stdout.write(
            self.style.SUCCESS(
                f"model {card['version']} written to {config.out}: val top1 {val['top1']:.4f}, "
                f"top1_35 {val['top1_35']:.4f}, reject threshold {card['reject_threshold']:.2f}"
            )
        )
