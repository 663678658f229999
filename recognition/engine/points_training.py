"""Train the pen-path model (:mod:`points`), resumably, and export it to LiteRT.

Usage (from the repository root)::

    python -m recognition.engine.points_training --out var/models/points1 --epochs 20

Same data, filtering, stroke augmentation and reject scribbles as the raster model
(:mod:`training`); the folder gets ``model_points.tflite``, ``model_points.keras``,
``points_card.json`` and ``val_probs.npz`` (its outputs on the val split and the val
scribbles, from which :mod:`combine` chooses the ensemble weight and thresholds). After each
epoch the model, its optimizer and the epoch number are saved in ``checkpoint.keras``: a run
started again with the same arguments resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .augmentation import augment_strokes
from .labels import CLASS_INDEX, NUM_OUTPUTS, REJECT_INDEX
from .points import FEATURES, POINTS, POINTS_VERSION, ink_to_points
from .scribbles import make_scribbles
from .training import (
    SCRIBBLE_TRAIN_SEED_OFFSET,
    SCRIBBLE_VAL_SEED,
    Log,
    _accuracy_report,
    filter_samples,
    load_split,
)

POINTS_TFLITE = "model_points.tflite"
POINTS_KERAS = "model_points.keras"
POINTS_CARD = "points_card.json"
VAL_PROBS = "val_probs.npz"
CHECKPOINT = "checkpoint.keras"


@dataclass
class PointsConfig:
    """Parameters of a pen-path training run (stored in its card)."""

    data: list[str]
    out: str
    epochs: int = 20
    max_samples: int | None = None
    seed: int = 0
    width: int = 64
    batch_size: int = 256
    learning_rate: float = 3e-3
    label_smoothing: float = 0.1
    augmented_copies: int = 2
    scribble_fraction: float = 0.06
    fragment_ratio: float = 0.15
    #: Chance, per augmented sample, that each stroke is reversed and the order shuffled:
    #: other writers draw an O the other way round or cross a t first.
    reorder: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _reordered(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Strokes with some reversed and their order shuffled."""
    out = [s[::-1] if rng.random() < 0.5 else s for s in strokes]
    return [out[i] for i in rng.permutation(len(out))]


def _points_chunk(args: tuple[list[list[np.ndarray]], int | None, float]) -> np.ndarray:
    strokes_list, seed, reorder = args
    rng = np.random.default_rng(seed) if seed is not None else None
    out = np.empty((len(strokes_list), POINTS, FEATURES), dtype=np.float16)
    for i, strokes in enumerate(strokes_list):
        if rng is not None:
            strokes, _ = augment_strokes(strokes, rng)
            if reorder and rng.random() < reorder:
                strokes = _reordered(strokes, rng)
        out[i] = ink_to_points(strokes)
    return out


def sequences(
    strokes_list: list[list[np.ndarray]],
    seed: int | None,
    workers: int = 1,
    chunk: int = 4000,
    reorder: float = 0.0,
) -> np.ndarray:
    """Point sequences (float16) of many inks; ``seed`` None means no augmentation."""
    jobs = [
        (strokes_list[i : i + chunk], None if seed is None else seed * 100_003 + i, reorder)
        for i in range(0, len(strokes_list), chunk)
    ]
    if workers > 1 and len(jobs) > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_points_chunk, jobs)
    else:
        parts = [_points_chunk(j) for j in jobs]
    if not parts:
        return np.zeros((0, POINTS, FEATURES), dtype=np.float16)
    return np.concatenate(parts)


def train_points(
    config: PointsConfig,
    log: Log = print,
    workers: int = 1,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train (or resume) the pen-path model; write its folder and return its card."""
    import keras

    from .export import export_tflite
    from .network import build_points_model

    started = time.time()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    train_samples, _ = load_split(config.data, ["train"])
    val_samples, _ = load_split(config.data, ["val"])
    rng = np.random.default_rng(config.seed)
    if config.max_samples and len(train_samples) > config.max_samples:
        pick = rng.choice(len(train_samples), config.max_samples, replace=False)
        train_samples = [train_samples[i] for i in sorted(pick)]
        cap_val = max(config.max_samples // 4, 200)
        if len(val_samples) > cap_val:
            pick = rng.choice(len(val_samples), cap_val, replace=False)
            val_samples = [val_samples[i] for i in sorted(pick)]
    train_samples, dropped = filter_samples(train_samples, config.fragment_ratio)
    n_scribbles = round(config.scribble_fraction * len(train_samples))
    copies = 1 + config.augmented_copies
    t0 = time.time()
    strokes = [list(s.ink.strokes) for s in train_samples]
    versions = [sequences(strokes, None, workers)] + [
        sequences(strokes, config.seed * 10 + k + 1, workers, reorder=config.reorder)
        for k in range(config.augmented_copies)
    ]
    scribbles = [
        sequences(
            make_scribbles(n_scribbles, config.seed * 10 + k + SCRIBBLE_TRAIN_SEED_OFFSET),
            config.seed * 10 + k + 7 if k else None,
            workers,
        )
        for k in range(copies)
    ]
    x_versions = np.stack(
        [np.concatenate([v, s]) for v, s in zip(versions, scribbles, strict=True)]
    )
    y_train = np.array([CLASS_INDEX[s.label] for s in train_samples] + [REJECT_INDEX] * n_scribbles)
    x_val = sequences([list(s.ink.strokes) for s in val_samples], None, workers).astype(np.float32)
    y_val = np.array([CLASS_INDEX[s.label] for s in val_samples])
    val_scribbles = sequences(
        make_scribbles(max(len(val_samples) // 5, 200), SCRIBBLE_VAL_SEED), None, workers
    ).astype(np.float32)
    features_seconds = time.time() - t0
    log(
        f"points: {copies} x {len(y_train)} training sequences ({dropped} fragments dropped), "
        f"{len(y_val)} val, in {features_seconds:.0f}s"
    )

    steps_per_epoch = int(np.ceil(len(y_train) / config.batch_size))
    total_steps = steps_per_epoch * config.epochs
    warmup = min(steps_per_epoch, max(total_steps // 10, 1))
    ckpt = out / CHECKPOINT
    state_path = out / "checkpoint_state.json"
    history: list[dict[str, Any]] = []
    if ckpt.is_file() and state_path.is_file():
        model = keras.models.load_model(ckpt)
        history = json.loads(state_path.read_text())["history"]
        log(f"resuming after epoch {len(history)}")
    else:
        model = build_points_model(width=config.width, seed=config.seed)
        schedule = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=config.learning_rate * 0.1,
            decay_steps=max(total_steps - warmup, 1),
            warmup_target=config.learning_rate,
            warmup_steps=warmup,
            alpha=0.01,
        )
        model.compile(
            optimizer=keras.optimizers.AdamW(learning_rate=schedule, weight_decay=1e-4),
            loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
            metrics=["accuracy"],
        )
    y_val_1h = keras.utils.to_categorical(y_val, NUM_OUTPUTS)
    for epoch in range(len(history), config.epochs):
        t_epoch = time.time()
        # Per-epoch seed: a resumed run draws the same versions as an uninterrupted one.
        erng = np.random.default_rng(config.seed * 1000 + epoch)
        order = erng.permutation(len(y_train))
        which = erng.integers(0, copies, len(y_train))
        x_epoch = x_versions[which[order], order].astype(np.float32)
        y_epoch = keras.utils.to_categorical(y_train[order], NUM_OUTPUTS)
        fit = model.fit(
            x_epoch, y_epoch, batch_size=config.batch_size, epochs=1, verbose=0, shuffle=False
        )
        _, val_acc = model.evaluate(x_val, y_val_1h, batch_size=1024, verbose=0)
        row = {
            "epoch": epoch + 1,
            "loss": float(fit.history["loss"][-1]),
            "accuracy": float(fit.history["accuracy"][-1]),
            "val_accuracy": float(val_acc),
            "seconds": round(time.time() - t_epoch, 1),
        }
        history.append(row)
        model.save(ckpt)
        state_path.write_text(json.dumps({"history": history}))
        log(
            f"points epoch {row['epoch']}/{config.epochs}  loss {row['loss']:.4f}  "
            f"accuracy {row['accuracy']:.4f}  val_accuracy {row['val_accuracy']:.4f}  "
            f"{row['seconds']:.0f}s"
        )
        if on_epoch is not None:
            on_epoch(row)

    val_probs = model.predict(x_val, batch_size=1024, verbose=0)
    scribble_probs = model.predict(val_scribbles, batch_size=1024, verbose=0)
    report = _accuracy_report(val_probs, y_val)
    log(f"points val (before rejection): {report}")
    fresh = keras.Model.from_config(model.get_config())
    fresh.set_weights(model.get_weights())
    fresh.save(out / POINTS_KERAS)
    tflite_bytes = export_tflite(fresh, out / POINTS_TFLITE, quantize=True)
    np.savez_compressed(out / VAL_PROBS, val=val_probs, scribbles=scribble_probs, labels=y_val)
    card: dict[str, Any] = {
        "points_version": POINTS_VERSION,
        "config": asdict(config),
        "params": int(model.count_params()),
        "history": history,
        "features_seconds": round(features_seconds, 1),
        "seconds": round(time.time() - started, 1),
        "machine": f"{platform.machine()}, {multiprocessing.cpu_count()} CPUs",
        "tflite_bytes": tflite_bytes,
        "val": report,
    }
    (out / POINTS_CARD).write_text(json.dumps(card, indent=2) + "\n")
    ckpt.unlink()  # finished: nothing left to resume
    state_path.unlink()
    return card


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", help="ink JSONL (repeatable)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=PointsConfig.epochs)
    parser.add_argument("--max-samples", type=int, default=None)
    parser.add_argument("--width", type=int, default=PointsConfig.width)
    parser.add_argument("--batch-size", type=int, default=PointsConfig.batch_size)
    parser.add_argument("--learning-rate", type=float, default=PointsConfig.learning_rate)
    parser.add_argument("--augmented-copies", type=int, default=PointsConfig.augmented_copies)
    parser.add_argument("--reorder", type=float, default=PointsConfig.reorder)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    data = args.data or ["../shared/data/unipen-1abc.jsonl.gz", "../shared/data/pendigits.jsonl.gz"]
    config = PointsConfig(
        data=data,
        out=args.out,
        epochs=args.epochs,
        max_samples=args.max_samples,
        width=args.width,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        augmented_copies=args.augmented_copies,
        reorder=args.reorder,
        seed=args.seed,
    )
    card = train_points(config, log=lambda line: print(line, flush=True), workers=args.workers)
    print(json.dumps(card["val"]))


if __name__ == "__main__":
    main()
