"""Trainings in embedded mode (no broker, so no training worker): each runs in a child process
of the server (`manage.py run_training`), started once the admin's request has committed.

The child updates the version exactly as a training worker does, so the admin shows the same
progress. It runs at a lower CPU priority, so live recognition keeps the machine first, and
TensorFlow never loads into the server. Its life is the server's: it stops, marking the
version failed, when the server that started it goes away; the server marks failed a run
whose process died (`runner_gone`), so no version stays "training" after a restart.
(docs/decisions/016-embedded-training-in-a-child-process.md)
"""

import logging
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from recognition.models import ModelVersion

logger = logging.getLogger(__name__)

# A version in one of these states is waiting for, or held by, a training process.
UNFINISHED = (
    ModelVersion.Status.QUEUED,
    ModelVersion.Status.TRAINING,
    ModelVersion.Status.EVALUATING,
)
# Live recognition, in the server, comes first on a small machine.
CHILD_NICENESS = 10
PARENT_CHECK_S = 1.0

SERVER_STOPPED = (
    "Stopped before it finished: the server running this training was stopped or restarted. "
    "Retry it to train again."
)
PROCESS_GONE = (
    "Stopped before it finished: its training process is gone (the server running it was "
    "stopped or restarted, or the process was killed). Retry it to train again."
)

NEVER_STARTED = (
    "It never started: the server was stopped or restarted before its training process "
    "began. Retry it to train again."
)


def runner_mark() -> dict[str, Any]:
    """Which process holds a training (kept in its progress), for `runner_gone`."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def runner_gone(progress: dict[str, Any]) -> bool:
    """Whether the process named in a version's progress has ended (on this machine only:
    a pid says nothing about another's)."""
    pid, host = progress.get("pid"), progress.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


def fail_unfinished(version_id: int, reason: str) -> bool:
    """Mark a version failed with `reason` unless it has ended already; whether it was."""
    return bool(
        ModelVersion.objects.filter(pk=version_id, status__in=UNFINISHED).update(
            status=ModelVersion.Status.FAILED,
            failure_reason=reason,
            finished_at=timezone.now(),
        )
    )


def run_log_path(version_id: int) -> Path:
    """Where a training process's own output goes (its progress goes to the database)."""
    return Path(settings.MEDIA_ROOT) / "training-runs" / f"version-{version_id}.log"


def start_training_process(version_id: int) -> None:
    """Start the child process that trains queued version `version_id`, and a thread that
    marks the version failed, with a plain reason, if that process ends without finishing."""
    log_path = run_log_path(version_id)
    command = [
        sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "run_training",
        str(version_id), "--nice", str(CHILD_NICENESS), "--parent", str(os.getpid()),
    ]  # fmt: skip
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            child = subprocess.Popen(  # noqa: S603 - our own command, no outside input
                command, cwd=settings.BASE_DIR, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
    except OSError as exc:
        logger.exception("could not start the training of version %s", version_id)
        fail_unfinished(version_id, f"The training process could not be started ({exc}).")
        return
    # Until the child claims the version (it then names itself): who to ask whether it lives.
    ModelVersion.objects.filter(pk=version_id, status=ModelVersion.Status.QUEUED).update(
        progress={"stage": "queued", "pid": child.pid, "host": socket.gethostname()}
    )
    threading.Thread(
        target=_reap, args=(child, version_id, log_path), name=f"training-{version_id}",
        daemon=True,
    ).start()  # fmt: skip


def _reap(child: subprocess.Popen[bytes], version_id: int, log_path: Path) -> None:
    code = child.wait()
    try:
        if code == 0:
            return
        if code < 0:
            reason = (
                f"The training process was killed (signal {-code}) before it finished. On a "
                "small machine the usual cause is memory running out: train on fewer samples "
                "(Max samples) or fewer sources."
            )
        else:
            reason = (
                f"The training process stopped with exit code {code} before it finished; its "
                f"output is in {log_path}."
            )
        fail_unfinished(version_id, reason)
    except Exception:
        logger.exception("could not record the end of the training of version %s", version_id)
    finally:
        close_old_connections()


def watch_parent(parent_pid: int, version_id: int, on_gone: Any) -> None:
    """In the child: when the server `parent_pid` is gone, call `on_gone()` (which ends this
    process) after marking the version failed."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            threading.Event().wait(PARENT_CHECK_S)
        try:
            fail_unfinished(version_id, SERVER_STOPPED)
        finally:
            on_gone()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
