"""Convert a model folder's served LiteRT files to ONNX, for ONNX Runtime (its CUDA build).

    python -m recognition.engine.onnx_export MODEL_DIR

Writes ``model.onnx`` beside ``model.tflite`` (and ``model_points.onnx`` beside
``model_points.tflite``), converted from the very files LiteRT serves, so every model layout
and every way a model was made (training, ensemble, combine) converts the same way. Each
ONNX file records the SHA-256 of the ``.tflite`` it came from; the runtime refuses an ONNX
file whose source has since changed.

int8 weights become float32 initialisers (their exact values): LiteRT's hybrid kernels quantise
activations per call, and the converter emulates that with a quantise/dequantise pair per
layer whose scale is taken over the whole batch, which would make one drawing's answer
depend on the others in its batch. Those pairs are removed, so a batch answers exactly as
its drawings one by one; the result differs from LiteRT's by about 1e-2 in probability at
most (``recognition/engine/tests/test_onnx_runtime.py`` measures it).

tf2onnx, onnx and TensorFlow are imported inside the functions: serving needs only
``onnxruntime`` (or ``onnxruntime-gpu``).
"""

from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path
from typing import Any

TFLITE_FILES = {"model.tflite": "model.onnx", "model_points.tflite": "model_points.onnx"}
SOURCE_KEY = "inkwell_source_sha256"
OPSET = 17


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _float_activations(model: Any) -> Any:
    """Drop every DynamicQuantizeLinear -> DequantizeLinear pair on an activation."""
    graph = model.graph
    by_output = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            consumers[name] = consumers.get(name, 0) + 1
    rename: dict[str, str] = {}
    dropped: set[int] = set()
    for node in graph.node:
        if node.op_type != "DequantizeLinear":
            continue
        source = by_output.get(node.input[0])
        if source is None or source.op_type != "DynamicQuantizeLinear":
            continue
        if any(consumers.get(out, 0) != 1 for out in source.output):
            continue  # its outputs feed something else too: leave it
        rename[node.output[0]] = source.input[0]
        dropped.update((id(node), id(source)))
    kept = [node for node in graph.node if id(node) not in dropped]
    for node in kept:
        for i, name in enumerate(node.input):
            if name in rename:
                node.input[i] = rename[name]
    for output in graph.output:
        if output.name in rename:
            raise ValueError("a quantised activation is a graph output; cannot convert")
    del graph.node[:]
    graph.node.extend(kept)
    return model


def _float_weights(model: Any) -> Any:
    """Replace every DequantizeLinear of a constant (an int8 weight) by its float32 value:
    computed once here rather than on every call."""
    import numpy as np
    from onnx import numpy_helper

    graph = model.graph
    constants = {init.name: init for init in graph.initializer}
    kept = []
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and all(n in constants for n in node.input):
            values = [numpy_helper.to_array(constants[n]) for n in node.input]
            q, scale = values[0].astype(np.float32), values[1].astype(np.float32)
            zero = values[2].astype(np.float32) if len(values) > 2 else np.float32(0)
            axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
            if scale.ndim == 1 and scale.size > 1:  # per channel, along `axis`
                shape = [1] * q.ndim
                shape[axis] = scale.size
                scale, zero = scale.reshape(shape), np.reshape(zero, shape)
            weight = ((q - zero) * scale).astype(np.float32)
            graph.initializer.append(numpy_helper.from_array(weight, node.output[0]))
        else:
            kept.append(node)
    del graph.node[:]
    graph.node.extend(kept)
    used = {name for node in kept for name in node.input} | {o.name for o in graph.output}
    unused = [init for init in graph.initializer if init.name not in used]
    for init in unused:
        graph.initializer.remove(init)
    return model


def convert_tflite(tflite_path: Path, onnx_path: Path) -> int:
    """Convert one ``.tflite`` file to ONNX (float activations); returns the file's size."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import onnx
    import tf2onnx

    model, _ = tf2onnx.convert.from_tflite(str(tflite_path), opset=OPSET)
    model = _float_weights(_float_activations(model))
    onnx.checker.check_model(model)
    entry = model.metadata_props.add()
    entry.key, entry.value = SOURCE_KEY, file_sha256(tflite_path)
    partial = onnx_path.with_name(f".{onnx_path.name}.partial")
    onnx.save(model, str(partial))
    os.replace(partial, onnx_path)  # a serving process never reads half a file
    return onnx_path.stat().st_size


def export_onnx(model_dir: Path) -> list[Path]:
    """Convert every served ``.tflite`` in ``model_dir``; returns the ONNX files written."""
    written = []
    for tflite_name, onnx_name in TFLITE_FILES.items():
        source = Path(model_dir) / tflite_name
        if source.is_file():
            convert_tflite(source, Path(model_dir) / onnx_name)
            written.append(Path(model_dir) / onnx_name)
    if not written:
        raise FileNotFoundError(f"no model.tflite in {model_dir}")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model_dir", type=Path)
    args = parser.parse_args()
    for path in export_onnx(args.model_dir):
        print(f"{path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
