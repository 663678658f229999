"""Tasks registered only in the worker that the reliability test starts (`--include`)."""

import os
import signal
from pathlib import Path

from hwr_site.celery import app


@app.task(name="tests.die_once")
def die_once(folder: str) -> None:
    """The first run kills its own pool process mid-task; a second run finishes the work."""
    runs = Path(folder)
    started = runs / f"started-{os.getpid()}"
    first = not any(runs.glob("started-*"))
    started.touch()
    if first:
        os.kill(os.getpid(), signal.SIGKILL)
    (runs / "done").write_text(str(os.getpid()))
