"""Latency of the serving runtime (LiteRT) next to Keras ``model.predict()`` on the same model.

Usage: python bench/bench_runtime.py [--model recognition/shipped_model] [--n 2000]

Prints per-character milliseconds for: preprocessing alone, the LiteRT interpreter alone
(single sample, batched), the full ``Recognizer.recognize`` path, and Keras ``predict`` /
direct call on ``model.keras`` (single sample, batched). The raster rows are the raster
model (the image path, and the ink path of version 1 models); a two-view model adds rows for
the pen path, which is what answers ink when its card's weight is 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.harness import UNIPEN, percentile, test_inks  # noqa: E402
from recognition.engine.ink import Ink, parse_ink  # noqa: E402
from recognition.engine.points import ink_to_points  # noqa: E402
from recognition.engine.preprocessing import ink_to_raster  # noqa: E402
from recognition.engine.runtime import Recognizer  # noqa: E402
from recognition.engine.scribbles import make_scribbles  # noqa: E402


def load_inks(n: int) -> list[Ink]:
    """UNIPEN test characters when the data is there, else synthetic strokes."""
    if UNIPEN.is_file():
        return [parse_ink(strokes) for strokes in test_inks(n)]
    return [parse_ink([s.tolist() for s in strokes]) for strokes in make_scribbles(n, 5)]


def per_call_ms(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median and 99th percentile milliseconds of ``fn`` over ``repeats`` calls."""
    for _ in range(min(20, repeats)):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), percentile(times, 99)


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(REPO_ROOT / "recognition" / "shipped_model"))
    parser.add_argument("--n", type=int, default=2000, help="single-sample calls to time")
    parser.add_argument("--skip-keras", action="store_true")
    args = parser.parse_args()
    model_dir = Path(args.model)

    inks = load_inks(1024)
    rasters = np.stack([ink_to_raster(ink) for ink in inks]).astype(np.float32)
    recognizer = Recognizer.load(model_dir)
    rows: list[tuple[str, float, float]] = []
    it = iter(range(10**9))

    def one_ink() -> Ink:
        return inks[next(it) % len(inks)]

    med, p99 = per_call_ms(lambda: ink_to_raster(one_ink()), args.n)
    rows.append(("preprocessing: ink_to_raster (1 char)", med, p99))
    med, p99 = per_call_ms(lambda: recognizer.probabilities(rasters[next(it) % 1024][None]), args.n)
    rows.append(("LiteRT interpreter, batch 1", med, p99))
    for batch in (32, 256):
        xb_lite = rasters[:batch]
        med, p99 = per_call_ms(lambda: recognizer.probabilities(xb_lite), 50)  # noqa: B023
        rows.append((f"LiteRT interpreter, batch {batch} (per char)", med / batch, p99 / batch))
    points_session = recognizer._points_single
    if points_session is not None:  # a two-view model (preprocessing version 2)
        seqs = np.stack([ink_to_points(ink) for ink in inks]).astype(np.float32)
        med, p99 = per_call_ms(lambda: ink_to_points(one_ink()), args.n)
        rows.append(("preprocessing: ink_to_points (1 char)", med, p99))
        med, p99 = per_call_ms(lambda: points_session.run(seqs[next(it) % 1024][None]), args.n)
        rows.append(("LiteRT pen-path interpreter, batch 1", med, p99))
    med, p99 = per_call_ms(lambda: recognizer.recognize(one_ink()), args.n)
    rows.append(("Recognizer.recognize (preprocess + LiteRT + decide)", med, p99))
    med, p99 = per_call_ms(lambda: recognizer.recognize_batch(inks[:256]), 10)
    rows.append(("Recognizer.recognize_batch, 256 (per char)", med / 256, p99 / 256))

    if not args.skip_keras and (model_dir / "model.keras").is_file():
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import keras

        model = keras.models.load_model(model_dir / "model.keras")
        x1 = rasters[:1, ..., None]
        n_keras = max(args.n // 10, 50)
        med, p99 = per_call_ms(lambda: model.predict(x1, verbose=0), n_keras)
        rows.append(("Keras model.predict(), batch 1", med, p99))
        med, p99 = per_call_ms(lambda: model(x1, training=False), n_keras)
        rows.append(("Keras model(x) direct call, batch 1", med, p99))
        for batch in (32, 256):
            xb = rasters[:batch, ..., None]
            med, p99 = per_call_ms(lambda: model.predict(xb, verbose=0), 20)  # noqa: B023
            rows.append(
                (f"Keras model.predict(), batch {batch} (per char)", med / batch, p99 / batch)
            )
        keras_out = model.predict(rasters[:256, ..., None], verbose=0)
        lite_out = recognizer.probabilities(rasters[:256])
        agree = float(np.mean(keras_out.argmax(1) == lite_out.argmax(1)))
        diff = float(np.abs(keras_out - lite_out).max())
        print(f"LiteRT vs Keras on 256 chars: argmax agreement {agree:.4f}, max |dp| {diff:.2e}")

    print(
        f"model {recognizer.version} from {model_dir}; {platform.processor() or 'cpu'}, "
        f"{os.cpu_count()} CPUs; LiteRT num_threads=1"
    )
    print("| path | median ms/char | p99 ms/char |")
    print("|---|---|---|")
    for name, med, p99 in rows:
        print(f"| {name} | {med:.4f} | {p99:.4f} |")


if __name__ == "__main__":
    main()
