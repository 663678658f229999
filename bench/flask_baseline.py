"""The common approach, for comparison: Flask calling Keras `model.predict()` per request.

Same model weights and the same preprocessing as Inkwell; served by Flask's threaded server.

    .venv/bin/python bench/flask_baseline.py --port 5005
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from flask import Flask, jsonify, request

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from recognition.engine.ink import parse_ink  # noqa: E402
from recognition.engine.labels import CLASSES  # noqa: E402
from recognition.engine.preprocessing import ink_to_raster  # noqa: E402


def create_app(model_path: Path) -> Flask:
    import keras

    model = keras.models.load_model(model_path, compile=False)
    app = Flask(__name__)

    @app.post("/recognize")
    def recognize():
        raster = ink_to_raster(parse_ink(request.get_json()))
        probs = model.predict(raster[None, ..., None], verbose=0)[0][: len(CLASSES)]
        top = np.argsort(probs)[::-1][:3]
        return jsonify(
            {
                "label": CLASSES[top[0]],
                "candidates": [{"label": CLASSES[i], "p": float(probs[i])} for i in top],
            }
        )

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument(
        "--model", type=Path, default=REPO / "recognition" / "shipped_model" / "model.keras"
    )
    args = parser.parse_args()
    create_app(args.model).run(host="127.0.0.1", port=args.port, threaded=True)
