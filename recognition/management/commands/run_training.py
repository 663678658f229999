"""``manage.py run_training VERSION_ID``: train one queued version of the registry, as the
training worker's task does. Embedded mode's server starts it in a child process
(recognition/runner.py); it is also a way to run a queued training by hand."""

import os
import shutil
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from recognition import runner, training
from recognition.models import ModelVersion
from recognition.selectors import version_dir


class Command(BaseCommand):
    help = "Train, export and evaluate one queued model version (it ends ready or failed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version_id", type=int)
        parser.add_argument("--nice", type=int, default=0, help="lower this process's priority")
        parser.add_argument(
            "--parent", type=int, help="stop (the version failed) when this process is gone"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        version_id = options["version_id"]
        if options["nice"]:
            os.nice(options["nice"])
        if options["parent"]:
            # The server decides: Ctrl+C on `make run` reaches it, and this process follows.
            signal.signal(signal.SIGINT, signal.SIG_IGN)

            def stop() -> None:
                version = ModelVersion.objects.filter(pk=version_id).first()
                if version is not None:
                    final = version_dir(version)
                    for partial in final.parent.glob(f"{final.name}.partial-*"):
                        shutil.rmtree(partial, ignore_errors=True)
                os._exit(1)

            runner.watch_parent(options["parent"], version_id, stop)
        version = training.model_train(version_id=version_id)
        self.stdout.write(f"version {version.name}: {version.status} {version.failure_reason}")
