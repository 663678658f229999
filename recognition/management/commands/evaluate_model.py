"""``manage.py evaluate_model``: score a model exactly as CONTRACTS section 3 says."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognition.engine.errors import RecognitionError
from recognition.engine.evaluation import evaluate
from recognition.engine.export import read_model_card, write_model_card
from recognition.engine.runtime import load_recognizer
from recognition.selectors import model_dir_for


def _model_dir(version_or_path: str | None) -> Path:
    """A folder given on the command line is used as is (no database needed for it)."""
    if version_or_path and Path(version_or_path).is_dir():
        return Path(version_or_path).resolve()
    return model_dir_for(version_or_path)


class Command(BaseCommand):
    help = "Evaluate a recogniser on ink JSONL files and/or an image folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", action="append", default=[], help="ink JSONL (repeatable)")
        parser.add_argument("--images", help="folder of DIR/<label>/*.png|jpg")
        parser.add_argument("--model", help="model version or folder (default: the active one)")
        parser.add_argument("--charset", help="restrict candidates to these characters")
        parser.add_argument(
            "--split",
            help="split of the ink files to use (default: test where a file has one; 'all')",
        )
        parser.add_argument("--max-samples", type=int, help="stop after this many samples")
        parser.add_argument("--json", action="store_true", help="last stdout line is JSON")
        parser.add_argument(
            "--record",
            metavar="NAME",
            help="also store the figures under metrics.NAME in the model's card",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["data"] and not options["images"]:
            raise CommandError("give --data FILE and/or --images DIR")
        try:
            model_dir = _model_dir(options["model"])
            recognizer = load_recognizer(model_dir)
            result = evaluate(
                recognizer,
                data=options["data"],
                images=options["images"],
                charset=options["charset"],
                split=options["split"],
                max_samples=options["max_samples"],
            )
        except (RecognitionError, ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        summary = (
            f"model {recognizer.version}: n={result['n']} skipped={result['skipped']} "
            f"top1={result['top1']:.4f} top3={result['top3']:.4f} "
            f"top1_35={result['top1_35']:.4f} rejected={result['rejected']:.4f} "
            f"ms/sample={result['ms_per_sample']:.3f}"
        )
        if options["record"]:
            card = read_model_card(model_dir)
            card.setdefault("metrics", {})[options["record"]] = result
            command = "python manage.py evaluate_model " + shlex.join(sys.argv[2:])
            card.setdefault("commands", {})[f"evaluate: {options['record']}"] = command
            write_model_card(model_dir, card)
        if options["json"]:
            self.stdout.write(summary)
            self.stdout.write(json.dumps(result, separators=(",", ":")))
        else:
            self.stdout.write(summary)
            for truth, predicted, count in result["confusions"][:10]:
                self.stdout.write(f"  {truth} -> {predicted}: {count}")
