"""Training new model versions: queue, run (train, export, evaluate on the holdout),
cancel, retry, and report progress. Runs in the `training` worker, or in embedded mode in a
child process of the server (recognition/runner.py); the engine does the work.

Training data beyond the ink files comes from sources the apps above register
(`register_training_source`): the classroom app offers its teacher-verified attempts, so
this module names no app above it.
"""

import json
import shutil
import time
import traceback
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_record
from recognition import runner
from recognition.metrics import TRAINING_RUNS
from recognition.models import ModelVersion
from recognition.services import RegistryError

# The task that runs `model_train` (recognition/tasks.py), queued by name: tasks import this
# module, not the other way round.
TRAIN_TASK = "recognition.train_model_version"

# (true label, strokes, writer id, id of the teacher whose verdict gave the label) of extra
# training samples; a source is called with the teachers an admin left out.
TrainingSample = tuple[str, list[Any], str, int | None]
_sources: dict[str, Callable[..., Iterable[TrainingSample]]] = {}
# (teacher id, name, verdicts, relabels) the sources would bring in, for the admin's choice.
TrainingVerifierRow = tuple[int | None, str, int, int]
_verifiers: dict[str, Callable[[], Iterable[TrainingVerifierRow]]] = {}


def register_training_source(
    name: str,
    samples: Callable[..., Iterable[TrainingSample]],
    verifiers: Callable[[], Iterable[TrainingVerifierRow]] | None = None,
) -> None:
    """Offer `samples` (called with `exclude_verifiers=` when a training that includes them
    starts) under `name`, and who gave their labels (`verifiers`)."""
    _sources[name] = samples
    if verifiers is not None:
        _verifiers[name] = verifiers


def training_verifiers() -> list[TrainingVerifierRow]:
    """Every teacher whose verdicts the registered sources would bring into a training."""
    return [row for verifiers in _verifiers.values() for row in verifiers()]


def _queue_training(version_id: int) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:  # embedded mode: no broker, no worker
        runner.start_training_process(version_id)
        return
    current_app.send_task(TRAIN_TASK, kwargs={"version_id": version_id})


# The fixed writer-independent holdout every version is scored on: the whole `val` split
# of the ink files it was trained with (never the test split).
HOLDOUT_SPLIT = "val"
STALE_TRAINING_S = 15 * 60
TRAINING_STATES = (ModelVersion.Status.TRAINING, ModelVersion.Status.EVALUATING)


def training_data_files() -> list[Path]:
    """The ink JSONL files an admin can train on."""
    folder = Path(settings.TRAINING_DATA_DIR)
    return sorted(p for p in folder.glob("*.jsonl*") if p.is_file())


@lru_cache(maxsize=64)
def _splits(path: str, mtime_ns: int, size: int) -> frozenset[str]:
    from recognition.engine.datasets import ink_file_splits

    return ink_file_splits(path)


def data_file_splits(path: str | Path) -> frozenset[str]:
    """The splits an ink file holds (read once per version of the file)."""
    stat = Path(path).stat()
    return _splits(str(path), stat.st_mtime_ns, stat.st_size)


class TrainingDataError(Exception):
    """Training data that cannot make a version; the message says why in plain words."""


def training_data_check(files: Sequence[str]) -> None:
    """Raise TrainingDataError unless `files` can train a version and score it: together
    they need a `train` split to learn from and a `val` split, the holdout every version is
    scored on (test splits are never used). The admin's form, the service and the run ask
    this same function."""
    if not files:
        raise TrainingDataError("Choose at least one data source.")
    missing = [str(p) for p in files if not Path(p).is_file()]
    if missing:
        raise TrainingDataError(
            f"Training data not found: {', '.join(missing)} (moved or deleted since the "
            "training was chosen)."
        )
    splits = {str(p): data_file_splits(p) for p in files}
    for split, use in (("train", "to learn from"), ("val", "to score the new version on")):
        if not any(split in held for held in splits.values()):
            held = "; ".join(f"{Path(p).name} holds {_split_names(s)}" for p, s in splits.items())
            raise TrainingDataError(
                f"The chosen sources have no {split} split {use} ({held}). Add a source "
                f"that has one{_with_split(split)}."
            )


def _split_names(splits: Collection[str]) -> str:
    names = [s for s in ("train", "val", "test") if s in splits] + sorted(
        s for s in splits if s not in ("train", "val", "test")
    )
    if not names:
        return "no split"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]} only"


def _with_split(split: str) -> str:
    names = [p.name for p in training_data_files() if split in data_file_splits(p)]
    return f", such as {' or '.join(names)}" if names else ""


def _plain_reason(exc: BaseException) -> str:
    """Why a run failed, in words an admin can act on (the traceback goes to its log)."""
    if isinstance(exc, TrainingDataError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return (
            f"A file the training needs is missing: {exc.filename or exc}. It may have been "
            "moved or deleted since the training started."
        )
    if isinstance(exc, MemoryError):
        return (
            "The machine ran out of memory. Train on fewer samples (Max samples) or fewer sources."
        )
    detail = str(exc) or "no message"
    return (
        f"The training stopped on an unexpected error ({type(exc).__name__}: {detail}). The "
        "training log has the details; retrying helps only once the cause is fixed."
    )


def _next_version_name() -> str:
    numbers = [int(n) for n in ModelVersion.objects.values_list("name", flat=True) if n.isdigit()]
    return str(max(numbers, default=0) + 1)


def model_training_start(
    *,
    user: Any,
    data: list[str],
    include_classroom: bool,
    epochs: int,
    max_samples: int | None,
    base_version: ModelVersion | None,
    seed: int = 0,
    exclude_verifiers: Collection[int] = (),
) -> ModelVersion:
    """Register a new version and queue its training on the `training` queue (audited);
    classroom attempts verified by a teacher in `exclude_verifiers` stay out of it.

    Raises RegistryError (`bad_sources`) when `data` cannot train and score a version.
    """
    try:
        training_data_check(data)
    except TrainingDataError as exc:
        raise RegistryError("bad_sources", str(exc)) from None
    fields = {
        "status": ModelVersion.Status.QUEUED,
        "data_sources": {
            "files": list(data),
            "include_classroom": include_classroom,
            "exclude_verifiers": sorted(exclude_verifiers),
        },
        "params": {"epochs": epochs, "max_samples": max_samples, "seed": seed},
        "base_version": base_version,
        "created_by": user if getattr(user, "pk", None) else None,
        "progress": {"stage": "queued", "queued_at": time.time()},
    }
    version = None
    for _attempt in range(5):  # two admins starting at once: the unique name decides
        name = _next_version_name()
        try:
            with transaction.atomic():
                version = ModelVersion.objects.create(
                    name=name, artifact_dir=f"models/{name}", **fields
                )
            break
        except IntegrityError:
            continue
    if version is None:
        raise RegistryError("busy", "Could not name the new version; try again.")
    audit_record(actor=user, action="model.train", target=version,
                 include_classroom=include_classroom,
                 exclude_verifiers=sorted(exclude_verifiers))  # fmt: skip
    version_id = version.pk
    transaction.on_commit(lambda: _queue_training(version_id))
    return version


def model_training_cancel(*, version: ModelVersion) -> ModelVersion:
    """Ask a queued or running training to stop; it ends `failed` with the reason."""
    if version.status == ModelVersion.Status.QUEUED:
        ModelVersion.objects.filter(pk=version.pk).update(
            status=ModelVersion.Status.FAILED,
            failure_reason="Cancelled before it started.",
            cancel_requested=True,
            finished_at=timezone.now(),
        )
    elif version.status in TRAINING_STATES:
        ModelVersion.objects.filter(pk=version.pk).update(cancel_requested=True)
    else:
        raise RegistryError("not_training", f"A {version.status} version is not training.")
    version.refresh_from_db()
    return version


def model_training_retry(*, version: ModelVersion) -> ModelVersion:
    """Queue a failed training again, with the same parameters and a clean folder."""
    if version.status != ModelVersion.Status.FAILED:
        raise RegistryError("not_failed", "Only a failed training can be retried.")
    ModelVersion.objects.filter(pk=version.pk).update(
        status=ModelVersion.Status.QUEUED,
        failure_reason="",
        cancel_requested=False,
        progress={"stage": "queued", "queued_at": time.time()},
        training_log="",
        started_at=None,
        finished_at=None,
    )
    transaction.on_commit(lambda: _queue_training(version.pk))
    version.refresh_from_db()
    return version


def model_fail_stale_trainings() -> int:
    """Mark failed the trainings whose worker stopped reporting (it died or was killed) and,
    in embedded mode, those whose training process is gone (the server was restarted)."""
    cutoff = time.time() - STALE_TRAINING_S
    stale = [
        v.pk
        for v in ModelVersion.objects.filter(status__in=TRAINING_STATES)
        if float((v.progress or {}).get("heartbeat", 0)) < cutoff
    ]
    failed = ModelVersion.objects.filter(pk__in=stale, status__in=TRAINING_STATES).update(
        status=ModelVersion.Status.FAILED,
        failure_reason="The worker running this training stopped reporting (it died or was "
        "restarted).",
        finished_at=timezone.now(),
    )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Queued this long ago with no process started for it: the server stopped first.
        orphan_cutoff = time.time() - 60
        for version in ModelVersion.objects.filter(status__in=runner.UNFINISHED):
            progress = version.progress or {}
            if runner.runner_gone(progress):
                failed += runner.fail_unfinished(version.pk, runner.PROCESS_GONE)
            elif "pid" not in progress and float(progress.get("queued_at", 0)) < orphan_cutoff:
                failed += runner.fail_unfinished(version.pk, runner.NEVER_STARTED)
    return failed


def progress_text(version: ModelVersion) -> str:
    """One line on where a version stands, for the admin."""
    p = version.progress or {}
    if version.status == ModelVersion.Status.FAILED:
        return f"Failed: {version.failure_reason}"
    if version.status == ModelVersion.Status.TRAINING and "epoch" in p:
        left = p.get("seconds_left")
        eta = f", about {int(left) // 60} min {int(left) % 60} s left" if left else ""
        return (
            f"Epoch {p['epoch']} of {p['epochs']}: loss {p.get('loss', 0):.3f}, accuracy "
            f"{p.get('accuracy', 0):.3f}, validation accuracy {p.get('val_accuracy', 0):.3f}{eta}"
        )
    return str(p.get("stage") or version.get_status_display())


def metrics_comparison(
    *, version: ModelVersion, active: ModelVersion | None
) -> list[dict[str, Any]]:
    """Headline and per-class metrics of `version` beside the active version's, with the
    differences that matter flagged (`css`: "better", "worse" or "")."""
    mine, theirs = version.metrics or {}, (active.metrics if active else {}) or {}
    rows = []
    names = ["top1", "top3", "top1_35", "rejected"]
    per_class = sorted(set(mine.get("per_class", {})) | set(theirs.get("per_class", {})))
    for key in names + [f"class {c}" for c in per_class]:
        if key.startswith("class "):
            c = key[6:]
            a, b = mine.get("per_class", {}).get(c), theirs.get("per_class", {}).get(c)
        else:
            a, b = mine.get(key), theirs.get(key)
        delta = a - b if isinstance(a, int | float) and isinstance(b, int | float) else None
        lower_is_better = key == "rejected"
        css = ""
        if delta is not None and abs(delta) >= 0.02:
            css = "better" if (delta < 0) == lower_is_better else "worse"
        rows.append({"name": key, "this": a, "active": b, "delta": delta, "css": css})
    return rows


class TrainingCancelled(Exception):
    """Raised inside a training run when an admin cancelled it."""


def _classroom_training_file(
    folder: Path, *, exclude_verifiers: Collection[int]
) -> tuple[Path | None, dict[str, int]]:
    """The registered sources' samples (the classroom's verified attempts), as one ink JSONL
    train split, without the verdicts of the teachers the admin left out; and how many
    verdicts of each teacher (by id) went in. Each sample names its verifier."""
    path = folder / "classroom-verified.jsonl"
    counts: dict[str, int] = {}
    with path.open("w") as out:
        for source in _sources.values():
            for label, strokes, writer, verifier in source(exclude_verifiers=exclude_verifiers):
                sample = {"label": label, "strokes": strokes, "split": "train",
                          "writer": writer, "source": "classroom",
                          "verified_by": verifier}  # fmt: skip
                out.write(json.dumps(sample) + "\n")
                counts[str(verifier)] = counts.get(str(verifier), 0) + 1
    if not counts:
        path.unlink()
        return None, {}
    return path, counts


def model_train(*, version_id: int) -> ModelVersion:
    """Train, export and evaluate one queued version; it ends `ready` or `failed`.

    Files are written to a private folder and moved into place only when complete, so
    concurrent runs never share or corrupt files. The active model is never touched.
    """
    from recognition.engine.combine import train_two_views
    from recognition.engine.evaluation import evaluate
    from recognition.engine.runtime import Recognizer
    from recognition.engine.training import TrainConfig
    from recognition.selectors import version_dir

    claimed = ModelVersion.objects.filter(pk=version_id, status=ModelVersion.Status.QUEUED).update(
        status=ModelVersion.Status.TRAINING,
        started_at=timezone.now(),
        progress={"stage": "loading data", "heartbeat": time.time(), **runner.runner_mark()},
    )
    version = ModelVersion.objects.get(pk=version_id)
    if not claimed:
        return version  # cancelled while queued, or already taken by another worker
    final_dir = version_dir(version)
    work_dir = final_dir.with_name(f"{final_dir.name}.partial-{uuid.uuid4().hex[:8]}")
    log_lines: list[str] = []
    last_write = [0.0]

    def save_progress(**fields: Any) -> None:
        progress = {**(version.progress or {}), **fields, "heartbeat": time.time()}
        version.progress = progress
        ModelVersion.objects.filter(pk=version.pk).update(
            progress=progress, training_log="\n".join(log_lines)[-100_000:]
        )
        if ModelVersion.objects.filter(pk=version.pk, cancel_requested=True).exists():
            raise TrainingCancelled

    def log(line: str) -> None:
        log_lines.append(line)
        if time.time() - last_write[0] > 2:
            last_write[0] = time.time()
            save_progress()

    def on_epoch(row: dict[str, Any]) -> None:
        epochs = int(version.params.get("epochs") or 1)
        per_epoch = float(row.get("seconds", 0))
        save_progress(stage="training", epochs=epochs,
                      seconds_left=per_epoch * (epochs - int(row["epoch"])), **row)  # fmt: skip

    try:
        work_dir.mkdir(parents=True)
        files = [str(Path(p)) for p in version.data_sources.get("files", [])]
        training_data_check(files)  # files may have gone since it was queued
        if version.data_sources.get("include_classroom"):
            extra, verdicts = _classroom_training_file(
                work_dir, exclude_verifiers=version.data_sources.get("exclude_verifiers", [])
            )
            # Who gave the verdicts this version learnt from (teacher id: verdicts).
            version.data_sources = {**version.data_sources, "classroom_verdicts_by": verdicts}
            version.save(update_fields=["data_sources"])
            if extra is not None:
                files.append(str(extra))
        config = TrainConfig(
            data=files,
            out=str(work_dir),
            epochs=int(version.params.get("epochs") or 12),
            max_samples=version.params.get("max_samples"),
            seed=int(version.params.get("seed") or 0),
            version=version.name,
        )
        card = train_two_views(config, log=log, on_epoch=on_epoch)
        save_progress(stage="evaluating on the holdout")
        ModelVersion.objects.filter(pk=version.pk).update(status=ModelVersion.Status.EVALUATING)
        metrics = evaluate(
            Recognizer.load(work_dir),
            data=[p for p in files if "classroom" not in Path(p).name],
            split=HOLDOUT_SPLIT,
        )
        if final_dir.exists():
            shutil.rmtree(final_dir)
        work_dir.rename(final_dir)
    except TrainingCancelled:
        _fail(version, "Cancelled by an admin.", log_lines)
        shutil.rmtree(work_dir, ignore_errors=True)
        TRAINING_RUNS.labels(outcome="failed").inc()
        return version
    except Exception as exc:  # noqa: BLE001 - any crash ends the run as failed, with its reason
        _fail(version, _plain_reason(exc), [*log_lines, traceback.format_exc()])
        shutil.rmtree(work_dir, ignore_errors=True)
        TRAINING_RUNS.labels(outcome="failed").inc()
        return version
    card["metrics"] = {**card.get("metrics", {}), "holdout": metrics}
    # Only if nothing else ended it meanwhile (a cancel, or the stale-training sweep).
    ModelVersion.objects.filter(
        pk=version.pk, status=ModelVersion.Status.EVALUATING, cancel_requested=False
    ).update(
        status=ModelVersion.Status.READY,
        metrics=metrics,
        model_card=card,
        finished_at=timezone.now(),
        progress={**(version.progress or {}), "stage": "ready"},
        training_log="\n".join(log_lines)[-100_000:],
    )
    if (
        ModelVersion.objects.filter(pk=version.pk, cancel_requested=True)
        .exclude(status=ModelVersion.Status.FAILED)
        .exists()
    ):
        _fail(version, "Cancelled by an admin.", log_lines)
    version.refresh_from_db()
    succeeded = version.status == ModelVersion.Status.READY
    TRAINING_RUNS.labels(outcome="succeeded" if succeeded else "failed").inc()
    return version


def _fail(version: ModelVersion, reason: str, log_lines: list[str]) -> None:
    ModelVersion.objects.filter(pk=version.pk).update(
        status=ModelVersion.Status.FAILED,
        failure_reason=reason[:2000],
        finished_at=timezone.now(),
        training_log="\n".join(log_lines)[-100_000:],
    )
    version.refresh_from_db()
