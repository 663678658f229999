"""Join a raster model and pen-path models into one served model (preprocessing version 2).

Usage (from the repository root)::

    python -m recognition.engine.combine --raster var/models/ensemble \
        --points var/models/points1 [--points var/models/points2] --out var/models/combined

The raster folder is a finished raster model (version 1: ``model.tflite`` + card); each
points folder is a finished :mod:`points_training` run. Several pen-path models are averaged
into one ``model_points.tflite`` (int8 weights). Everything chosen here is chosen on the
val split, with what will be served (the LiteRT files):

- ``points_weight`` w: ink is answered with ``(1 - w) * raster + w * points``; every w of a
  grid is scored and the one with the best val top1_35 + top1 is kept (the grid goes into
  the card);
- ``reject_threshold`` for ink, on the mixed outputs (rule of
  :func:`training.choose_reject_threshold`);
- ``image_reject_threshold`` for photos and scans (raster model only), on val characters
  and val scribbles rendered by :mod:`image_renders`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .export import KERAS_NAME, TFLITE_NAME, export_tflite, read_model_card, write_model_card
from .image_renders import conditions, render_image
from .labels import CLASS_INDEX
from .points import FEATURES, POINTS, POINTS_VERSION
from .points_training import POINTS_CARD, POINTS_KERAS, POINTS_TFLITE, sequences
from .preprocessing import image_to_raster
from .runtime import RASTER_AND_POINTS, _Session
from .scribbles import make_scribbles
from .training import (
    SCRIBBLE_VAL_SEED,
    Log,
    TrainConfig,
    _accuracy_report,
    choose_reject_threshold,
    rasterise,
    train,
)

WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))
#: Val characters and scribbles rendered as pictures to choose the images' threshold.
IMAGE_CALIBRATION = 1800
IMAGE_SCRIBBLES = 360
IMAGE_SEED = 7


def _summary(raster_card: dict[str, Any], n_points: int, w: float) -> str:
    raster = raster_card.get("summary", "A CNN over the ink's raster.").rstrip(".")
    pen = f"{n_points} 1-D CNN(s) over the pen's path resampled to {POINTS} points, averaged"
    if w >= 1.0:
        return f"Ink: {pen}. Photos and scans: {raster[0].lower()}{raster[1:]}."
    return (
        f"Ink: {pen} (weight {w:.1f}), mixed with the raster view (weight {1 - w:.1f}): "
        f"{raster[0].lower()}{raster[1:]}. Photos and scans: the raster view alone."
    )


def average_points_models(folders: Sequence[Path]) -> Any:
    """One Keras model averaging the pen-path models' outputs."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(POINTS, FEATURES), name="points")
    outputs = []
    for i, folder in enumerate(folders):
        loaded = keras.models.load_model(Path(folder) / POINTS_KERAS, compile=False)
        config = loaded.get_config()
        config["name"] = f"points_{i + 1}"
        member = keras.Model.from_config(config)
        member.set_weights(loaded.get_weights())
        outputs.append(member(inputs))
    averaged = layers.Average(name="probs")(outputs) if len(outputs) > 1 else outputs[0]
    return keras.Model(inputs, averaged, name="inkwell_points_ensemble")


def _predict(session: _Session, x: np.ndarray, batch: int = 512) -> np.ndarray:
    return np.concatenate(
        [session.run(x[i : i + batch].astype(np.float32)) for i in range(0, len(x), batch)]
    )


def image_probabilities(
    session: _Session, strokes_list: list[list[np.ndarray]], seed: int
) -> np.ndarray:
    """Raster-model outputs for inks rendered as pictures (cycling the test conditions)."""
    rng = np.random.default_rng(seed)
    grid = conditions()
    rasters = np.stack(
        [
            image_to_raster(render_image(strokes, grid[k % len(grid)], rng))
            for k, strokes in enumerate(strokes_list)
        ]
    )
    return _predict(session, rasters)


def combine(
    raster_dir: Path,
    points_dirs: Sequence[Path],
    out: Path,
    version: str | None = None,
    log: Log = print,
    max_val: int | None = None,
    points_weight: float | None = None,
    both_directions: bool = True,
) -> dict[str, Any]:
    """Write the combined model folder ``out`` (may be ``raster_dir`` itself); return its card.

    ``max_val`` caps the val characters used (a quick retraining), seeded. ``points_weight``
    fixes w instead of taking the grid's best (the grid is still scored and recorded): 1.0
    serves ink from the pen path alone, without drawing a raster. ``both_directions`` reads
    the pen path as drawn and reversed (see :mod:`runtime`); everything is chosen that way.
    """
    from .training import load_split

    started = time.time()
    out.mkdir(parents=True, exist_ok=True)
    raster_card = read_model_card(raster_dir)
    if Path(raster_dir).resolve() != out.resolve():
        shutil.copy(raster_dir / TFLITE_NAME, out / TFLITE_NAME)
        if (raster_dir / KERAS_NAME).is_file():
            shutil.copy(raster_dir / KERAS_NAME, out / KERAS_NAME)
    points_cards = [json.loads((Path(d) / POINTS_CARD).read_text()) for d in points_dirs]
    if len(points_dirs) == 1:
        shutil.copy(Path(points_dirs[0]) / POINTS_TFLITE, out / POINTS_TFLITE)
        points_bytes = (out / POINTS_TFLITE).stat().st_size
    else:
        points_bytes = export_tflite(
            average_points_models(points_dirs), out / POINTS_TFLITE, quantize=True
        )
    data = list(raster_card["training"]["config"]["data"])
    val_samples, _ = load_split(data, ["val"])
    if max_val is not None and len(val_samples) > max_val:
        pick = np.random.default_rng(0).choice(len(val_samples), max_val, replace=False)
        val_samples = [val_samples[i] for i in sorted(pick)]
    strokes = [list(s.ink.strokes) for s in val_samples]
    labels = np.array([CLASS_INDEX[s.label] for s in val_samples])
    scribbles = make_scribbles(max(len(val_samples) // 5, 200), SCRIBBLE_VAL_SEED)
    raster_session = _Session(out / TFLITE_NAME, 512)
    points_session = _Session(out / POINTS_TFLITE, 512, (POINTS, FEATURES))
    raster_val = _predict(raster_session, rasterise(strokes, None, 1) / 255.0)
    raster_scr = _predict(raster_session, rasterise(scribbles, None, 1) / 255.0)
    points_val = _predict(points_session, sequences(strokes, None))
    points_scr = _predict(points_session, sequences(scribbles, None))
    if both_directions:  # as the runtime reads it: as drawn and with strokes reversed
        back = _predict(points_session, sequences([[s[::-1] for s in k] for k in strokes], None))
        back_scr = _predict(
            points_session, sequences([[s[::-1] for s in k] for k in scribbles], None)
        )
        points_val, points_scr = (points_val + back) / 2, (points_scr + back_scr) / 2

    grid = []
    for w in WEIGHTS:
        report = _accuracy_report((1 - w) * raster_val + w * points_val, labels)
        grid.append({"points_weight": w, **report})
        log(f"points weight {w}: {report}")
    best = max(grid, key=lambda g: (g["top1_35"] + g["top1"], -abs(g["points_weight"] - 0.5)))
    w = float(best["points_weight"]) if points_weight is None else points_weight
    mixed_val = (1 - w) * raster_val + w * points_val
    rejection = choose_reject_threshold(mixed_val, (1 - w) * raster_scr + w * points_scr)
    log(f"chosen points weight {w}; ink rejection {rejection}")

    rng = np.random.default_rng(IMAGE_SEED)
    pick = rng.choice(len(strokes), min(IMAGE_CALIBRATION, len(strokes)), replace=False)
    image_val = image_probabilities(raster_session, [strokes[i] for i in pick], IMAGE_SEED)
    n_scribbles = min(IMAGE_SCRIBBLES, max(len(pick) // 5, 50))
    image_scr = image_probabilities(raster_session, scribbles[:n_scribbles], IMAGE_SEED + 1)
    image_rejection = choose_reject_threshold(image_val, image_scr)
    image_report = _accuracy_report(image_val, labels[pick])
    log(f"images (val renders, before rejection): {image_report}; rejection {image_rejection}")

    card: dict[str, Any] = {
        **{k: v for k, v in raster_card.items() if k not in ("metrics", "commands", "notes")},
        "version": version or str(raster_card["version"]),
        "preprocessing_version": RASTER_AND_POINTS,
        "points_version": POINTS_VERSION,
        "points_weight": w,
        "points_both_directions": both_directions,
        "reject_threshold": rejection["reject_threshold"],
        "image_reject_threshold": image_rejection["reject_threshold"],
        "summary": _summary(raster_card, len(points_dirs), w),
        "points": {
            "members": [
                {"folder": str(d), **{k: c[k] for k in ("config", "params", "seconds", "val")}}
                for d, c in zip(points_dirs, points_cards, strict=True)
            ],
            "history": points_cards[0]["history"],
            "tflite_bytes": points_bytes,
        },
        "combination": {
            "rule": "(1 - w) * raster + w * points, w chosen on val (top1_35 + top1)"
            + ("" if points_weight is None else f"; fixed at {points_weight} by the caller"),
            "best_on_val": best,
            "grid": grid,
            "raster_alone": grid[0],
            "points_alone": grid[-1],
            "image_val_renders": {**image_report, **image_rejection, "n": len(pick)},
            "seconds": round(time.time() - started, 1),
        },
        "metrics": {"val": {**_accuracy_report(mixed_val, labels), **rejection}},
    }
    write_model_card(out, card)
    log(f"wrote {out}")
    return card


def train_two_views(
    config: TrainConfig,
    log: Log = print,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train the raster model, then the pen-path model, and join them in ``config.out``.

    What ``train_model`` and the admin's retraining run. ``config.points_epochs`` 0 stops
    after the raster model (a version 1 folder); ``on_epoch`` sees both trainings' epochs.
    """
    from .points_training import PointsConfig, train_points

    raster_card = train(config, log=log, on_epoch=on_epoch)
    epochs = config.epochs if config.points_epochs is None else config.points_epochs
    if epochs <= 0:
        return raster_card
    out = Path(config.out)
    points = PointsConfig(
        data=config.data,
        out=str(out / "points"),
        epochs=epochs,
        max_samples=config.max_samples,
        seed=config.seed,
    )
    train_points(points, log=log, workers=config.workers, on_epoch=on_epoch)
    max_val = max(config.max_samples // 4, 200) if config.max_samples else None
    card = combine(out, [out / "points"], out, config.version, log=log, max_val=max_val)
    card["training"] = raster_card["training"]
    card["metrics"] = {**raster_card.get("metrics", {}), **card["metrics"]}
    write_model_card(out, card)
    return card


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raster", required=True, help="raster model folder (version 1)")
    parser.add_argument("--points", action="append", required=True, help="points_training run")
    parser.add_argument("--out", required=True)
    parser.add_argument("--version", help="model version name (default: the raster model's)")
    parser.add_argument(
        "--points-weight", type=float, help="fix w (default: the best on val); 1: pen path alone"
    )
    parser.add_argument(
        "--one-direction",
        action="store_true",
        help="read the pen path only as drawn (a backwards stroke may read as another letter)",
    )
    args = parser.parse_args(argv)
    combine(
        Path(args.raster),
        [Path(p) for p in args.points],
        Path(args.out),
        args.version,
        points_weight=args.points_weight,
        both_directions=not args.one_direction,
    )


if __name__ == "__main__":
    main()
