"""The ONNX Runtime path (INFERENCE_RUNTIME=onnxruntime), on its CPU provider: conversion
from the served .tflite files, batches, agreement with LiteRT, provider fallback."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from recognition.engine.errors import ModelError
from recognition.engine.ink import parse_ink
from recognition.engine.onnx_export import export_onnx, file_sha256
from recognition.engine.runtime import ONNX_SOURCE_KEY, Recognizer, load_recognizer
from recognition.engine.tests.conftest import REPO_ROOT

CANDIDATE_TWO_VIEWS = REPO_ROOT / "recognition" / "candidate_models" / "2"


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory, shipped_model_dir: Path) -> Path:
    """Copies of the shipped (raster) and a two-view model, converted to ONNX here."""
    root = tmp_path_factory.mktemp("onnx")
    for name, source in (("raster", shipped_model_dir), ("two_views", CANDIDATE_TWO_VIEWS)):
        target = root / name
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.onnx", "*.keras"))
        export_onnx(target)
    return root


@pytest.fixture(scope="module")
def drawings(unipen_test_rows: list[dict]) -> list:
    rng = np.random.default_rng(5)
    picks = rng.choice(len(unipen_test_rows), 64, replace=False)
    return [parse_ink(unipen_test_rows[i]["strokes"]) for i in picks]


@pytest.mark.parametrize("layout", ["raster", "two_views"])
def test_a_batch_on_onnx_runtime_answers_as_one_by_one(
    converted: Path, drawings: list, layout: str
) -> None:
    recognizer = Recognizer.load(converted / layout, runtime="onnxruntime")
    charsets = [None, "0123456789", "OoQ0"]
    pairs = [(ink, charsets[i % 3]) for i, ink in enumerate(drawings[:24])]
    batch = recognizer.recognize_many(pairs)
    for (ink, charset), answer in zip(pairs, batch, strict=True):
        alone = recognizer.recognize(ink, charset=charset)
        # Same labels and decisions; a probability may move in its 7th digit (the float
        # kernels sum in another order for another batch size), LiteRT's do not at all.
        assert (answer.label, answer.rejected) == (alone.label, alone.rejected)
        assert [c.label for c in answer.candidates] == [c.label for c in alone.candidates]
        assert np.allclose([c.p for c in answer.candidates], [c.p for c in alone.candidates],
                           atol=1e-5)  # fmt: skip


@pytest.mark.parametrize("layout", ["raster", "two_views"])
def test_onnx_runtime_agrees_with_litert(converted: Path, drawings: list, layout: str) -> None:
    onnx = Recognizer.load(converted / layout, runtime="onnxruntime").ink_probabilities(drawings)
    lite = Recognizer.load(converted / layout).ink_probabilities(drawings)
    # int8 weights served exactly; only LiteRT's per-call activation quantisation differs
    assert float(np.abs(onnx - lite).max()) < 2e-2
    assert float(np.mean(onnx.argmax(1) == lite.argmax(1))) >= 0.98


def test_cuda_without_a_cuda_build_runs_on_the_cpu_and_says_so(
    converted: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has a CUDA provider")
    with caplog.at_level(logging.WARNING, logger="recognition.engine.runtime"):
        recognizer = Recognizer.load(converted / "raster", "onnxruntime", "cuda")
    assert recognizer.providers == ["CPUExecutionProvider"]
    assert "runs on the CPU" in caplog.text


def test_a_folder_without_onnx_files_is_unavailable_and_names_the_command(
    tmp_path: Path, shipped_model_dir: Path
) -> None:
    shutil.copytree(shipped_model_dir, tmp_path / "m", ignore=shutil.ignore_patterns("*.onnx"))
    with pytest.raises(ModelError) as failure:
        Recognizer.load(tmp_path / "m", runtime="onnxruntime")
    assert failure.value.code == "model_unavailable"
    assert "recognition.engine.onnx_export" in failure.value.message


def test_an_onnx_file_of_another_tflite_is_refused(tmp_path: Path, converted: Path) -> None:
    shutil.copytree(converted / "raster", tmp_path / "m")
    # the raster model's place taken by another model's conversion
    shutil.copy(converted / "two_views" / "model_points.onnx", tmp_path / "m" / "model.onnx")
    with pytest.raises(ModelError) as failure:
        Recognizer.load(tmp_path / "m", runtime="onnxruntime")
    assert failure.value.code == "model_incompatible"


def test_the_shipped_model_onnx_was_made_from_the_shipped_tflite(shipped_model_dir: Path) -> None:
    session = ort.InferenceSession(str(shipped_model_dir / "model.onnx"))
    made_from = session.get_modelmeta().custom_metadata_map[ONNX_SOURCE_KEY]
    assert made_from == file_sha256(shipped_model_dir / "model.tflite"), (
        "run python -m recognition.engine.onnx_export recognition/shipped_model"
    )


def test_each_runtime_has_its_own_loaded_recognizer(shipped_model_dir: Path) -> None:
    lite = load_recognizer(shipped_model_dir)
    onnx = load_recognizer(shipped_model_dir, "onnxruntime", "cpu")
    assert (lite.runtime, onnx.runtime) == ("litert", "onnxruntime")
    assert load_recognizer(shipped_model_dir, "onnxruntime", "cpu") is onnx
