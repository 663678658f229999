"""Average trained models into one: one Keras graph, one ``model.tflite``, one threshold.

Usage (from the repository root)::

    python -m recognition.engine.ensemble --member var/models/run1 --member var/models/run2 \
        --quantize --out var/models/ensemble

Each member folder is a finished training run (``model.keras`` + ``model_card.json``). The
combined model feeds the same raster to every member and averages their softmax outputs
(62 classes + reject), so the runtime serves it unchanged; ``--quantize`` stores its weights
as int8 (dynamic range) so two networks cost less than one float one. The reject threshold
is chosen again, on the exported model's outputs for the val split, with
:func:`training.choose_reject_threshold` (same rule and val scribble seed as training);
nothing here looks at a test split.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .export import KERAS_NAME, TFLITE_NAME, export_tflite, read_model_card, write_model_card
from .labels import CLASS_INDEX
from .preprocessing import PREPROCESSING_VERSION
from .runtime import _Session
from .scribbles import make_scribbles
from .training import (
    SCRIBBLE_VAL_SEED,
    Log,
    _accuracy_report,
    choose_reject_threshold,
    load_split,
    rasterise,
)


def average_models(member_dirs: Sequence[Path]) -> Any:
    """A functional model averaging the members' outputs (members renamed to stay unique)."""
    import keras
    from keras import layers

    from .preprocessing import SIZE

    inputs = keras.Input(shape=(SIZE, SIZE, 1), name="raster")
    outputs = []
    for i, folder in enumerate(member_dirs):
        loaded = keras.models.load_model(Path(folder) / KERAS_NAME, compile=False)
        config = loaded.get_config()
        config["name"] = f"member_{i + 1}"
        member = keras.Model.from_config(config)
        member.set_weights(loaded.get_weights())
        outputs.append(member(inputs))
    averaged = layers.Average(name="probs")(outputs) if len(outputs) > 1 else outputs[0]
    return keras.Model(inputs, averaged, name="inkwell_ensemble")


def build_ensemble(
    member_dirs: Sequence[Path],
    out: Path,
    data: Sequence[str] | None = None,
    quantize: bool = False,
    log: Log = print,
) -> dict[str, Any]:
    """Write the averaged model folder ``out``; return its model card.

    ``data`` defaults to the first member's training files (their val split is used).
    """
    started = time.time()
    out.mkdir(parents=True, exist_ok=True)
    cards = [read_model_card(Path(d)) for d in member_dirs]
    first = cards[0]
    data = list(data or first["training"]["config"]["data"])
    model = average_models(member_dirs)
    val_samples, _ = load_split(data, ["val"])
    x_val = rasterise([list(s.ink.strokes) for s in val_samples], None, 1)
    y_val = np.array([CLASS_INDEX[s.label] for s in val_samples])
    scribbles = rasterise(
        make_scribbles(max(len(val_samples) // 5, 200), SCRIBBLE_VAL_SEED), None, 1
    )

    tflite_bytes = export_tflite(model, out / TFLITE_NAME, quantize=quantize)
    model.save(out / KERAS_NAME)  # built fresh, so no optimizer state is stored
    session = _Session(out / TFLITE_NAME, 512)  # choices are made on what will be served

    def predict(u8: np.ndarray) -> np.ndarray:
        x = u8.astype(np.float32) / 255.0
        return np.concatenate([session.run(x[i : i + 512]) for i in range(0, len(x), 512)])

    val_probs = predict(x_val)
    rejection = choose_reject_threshold(val_probs, predict(scribbles))
    val_report = _accuracy_report(val_probs, y_val)
    log(f"val (before rejection): {val_report}; rejection: {rejection}")
    training = {**first["training"], "params": int(model.count_params())}
    training["tflite_bytes"] = tflite_bytes
    card: dict[str, Any] = {
        "version": first["version"],
        # Raster networks only: a two-view member contributes its raster view.
        "preprocessing_version": PREPROCESSING_VERSION,
        "input_size": first["input_size"],
        "classes": first["classes"],
        "reject_output": True,
        "reject_threshold": rejection["reject_threshold"],
        "summary": (
            f"An average of {len(cards)} compact CNNs (same architecture, trained separately) "
            "over a 28x28 anti-aliased raster of the ink, 62 classes plus a reject output, "
            "served as one LiteRT model."
        ),
        "ensemble": {
            "members": [
                {
                    "folder": str(d),
                    "config": c["training"]["config"],
                    "params": c["training"]["params"],
                    "seconds": c["training"]["seconds"],
                    "val": c["metrics"]["val"],
                }
                for d, c in zip(member_dirs, cards, strict=True)
            ],
            "combination": "mean of the members' softmax outputs (63 each)",
            "quantized": quantize,
            "seconds": round(time.time() - started, 1),
        },
        "training": training,
        "metrics": {"val": {**val_report, **rejection}},
    }
    write_model_card(out, card)
    log(f"wrote {out} ({tflite_bytes / 1e6:.2f} MB tflite)")
    return card


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--member", action="append", required=True, help="trained model folder")
    parser.add_argument("--out", required=True, help="folder for the averaged model")
    parser.add_argument(
        "--data",
        action="append",
        help="ink JSONL (repeatable; default: the first member's training files)",
    )
    parser.add_argument(
        "--quantize", action="store_true", help="int8 weights (dynamic-range quantisation)"
    )
    args = parser.parse_args(argv)
    build_ensemble([Path(m) for m in args.member], Path(args.out), args.data, args.quantize)


if __name__ == "__main__":
    main()
