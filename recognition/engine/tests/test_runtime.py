"""The serving runtime with the shipped model: candidates, charsets, images, rejection."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from recognition.engine import runtime
from recognition.engine.errors import CharsetError, ImageError, ModelError
from recognition.engine.ink import parse_ink
from recognition.engine.preprocessing import ink_to_raster
from recognition.engine.runtime import Recognizer, load_recognizer
from recognition.engine.scribbles import make_scribbles
from recognition.engine.tests.drawing import render_png

# Training used scribble seeds 1000-1002 and 424242 (validation); these are unseen.
TEST_SCRIBBLE_SEED = 20_261_124


@pytest.fixture(scope="module")
def test_inks(unipen_test_rows: list[dict]) -> list[tuple[str, object]]:
    rng = np.random.default_rng(1)
    picks = rng.choice(len(unipen_test_rows), 200, replace=False)
    return [
        (unipen_test_rows[i]["label"], parse_ink(unipen_test_rows[i]["strokes"])) for i in picks
    ]


def test_the_shipped_model_loads_with_its_card(recognizer: Recognizer) -> None:
    assert recognizer.version == "1"
    assert 0 < recognizer.reject_threshold < 1


def test_a_character_gets_at_least_three_candidates_best_first(
    recognizer: Recognizer, test_inks: list
) -> None:
    _, ink = test_inks[0]
    result = recognizer.recognize(ink)
    ps = [c.p for c in result.candidates]
    assert len(ps) >= 3 and ps == sorted(ps, reverse=True) and sum(ps) <= 1.0 + 1e-6
    assert result.confidence == ps[0]
    assert result.label == (None if result.rejected else result.candidates[0].label)
    assert result.model_version == "1" and result.latency_ms > 0


def test_a_charset_restricts_and_renormalises_the_candidates(
    recognizer: Recognizer, test_inks: list
) -> None:
    _, ink = test_inks[0]
    result = recognizer.recognize(ink, charset="10")
    assert [c.label for c in result.candidates] in (["0", "1"], ["1", "0"])
    assert sum(c.p for c in result.candidates) == pytest.approx(1.0, abs=1e-4)


def test_a_bad_charset_is_a_domain_error(recognizer: Recognizer, test_inks: list) -> None:
    with pytest.raises(CharsetError):
        recognizer.recognize(test_inks[0][1], charset="1+1")


def test_batches_answer_like_single_calls(recognizer: Recognizer, test_inks: list) -> None:
    inks = [ink for _, ink in test_inks[:20]]
    batch = recognizer.recognize_batch(inks)
    single = [recognizer.recognize(ink) for ink in inks]
    for b, s in zip(batch, single, strict=True):
        assert b.candidates[0].label == s.candidates[0].label
        assert b.confidence == pytest.approx(s.confidence, abs=1e-4)


def test_concurrent_callers_get_their_own_answers(recognizer: Recognizer, test_inks: list) -> None:
    inks = [ink for _, ink in test_inks[:40]]
    expected = [recognizer.recognize(ink).candidates[0].label for ink in inks]
    got: dict[int, list[str]] = {}

    def work(n: int) -> None:
        got[n] = [recognizer.recognize(ink).candidates[0].label for ink in inks]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(labels == expected for labels in got.values())


def test_an_image_of_rendered_ink_is_recognised_like_the_ink(
    recognizer: Recognizer, test_inks: list
) -> None:
    same = 0
    for _, ink in test_inks[:100]:
        # Pictures are read by the raster view: compare with that view's answer for the ink.
        raster = recognizer.probabilities(ink_to_raster(ink)[None])[0]
        from_ink = recognizer.decide(raster).candidates[0].label
        from_image = recognizer.recognize_image(render_png(ink)).candidates[0].label
        same += from_ink == from_image
    assert same >= 90


def test_a_blank_image_is_an_error(recognizer: Recognizer) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buf, format="PNG")
    with pytest.raises(ImageError) as info:
        recognizer.recognize_image(buf.getvalue())
    assert info.value.code == "empty_image"


def test_random_scribbles_are_rejected(recognizer: Recognizer) -> None:
    scribbles = [
        parse_ink([s.tolist() for s in strokes])
        for strokes in make_scribbles(450, TEST_SCRIBBLE_SEED)
    ]
    rejected = sum(r.rejected for r in recognizer.recognize_batch(scribbles))
    assert rejected / len(scribbles) >= 0.90


def test_real_characters_are_rarely_rejected(recognizer: Recognizer, test_inks: list) -> None:
    results = recognizer.recognize_batch([ink for _, ink in test_inks])
    assert sum(r.rejected for r in results) / len(results) <= 0.03


def test_the_recognizer_is_loaded_once_per_process(shipped_model_dir: Path) -> None:
    assert load_recognizer(shipped_model_dir) is load_recognizer(shipped_model_dir)


def test_a_rewritten_card_is_noticed_at_the_next_check(
    shipped_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "model"
    shutil.copytree(shipped_model_dir, folder)
    monkeypatch.setattr(runtime, "CARD_CHECK_S", 3600.0)
    first = load_recognizer(folder)
    card = json.loads((folder / runtime.CARD_JSON).read_text())
    card["version"] = "rewritten-in-place"
    (folder / runtime.CARD_JSON).write_text(json.dumps(card))
    assert load_recognizer(folder) is first  # within the check interval: not looked at
    monkeypatch.setattr(runtime, "CARD_CHECK_S", 0.0)
    again = load_recognizer(folder)
    assert again is not first and again.version == "rewritten-in-place"


def test_a_folder_without_a_model_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        Recognizer.load(tmp_path)
