"""Uploads are decoded within a pixel budget and shrunk at once, so parallel uploads of big
images keep the server's memory bounded (bench/bench_upload_memory.py measures it)."""

import io
import threading

import pytest
from PIL import Image, ImageDraw

from recognition.engine.errors import ImageBusyError
from recognition.engine.preprocessing import PixelBudget, image_to_raster, open_image


def png(size: tuple[int, int], mode: str = "RGBA") -> bytes:
    img = Image.new(mode, size, 0)
    ink = 255 if mode == "L" else (0, 0, 0, 255)
    line = (size[0] // 4, size[1] // 4, size[0] // 2, size[1] * 3 // 4)
    ImageDraw.Draw(img).line(line, fill=ink, width=size[0] // 20)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def test_a_full_size_upload_is_shrunk_while_it_is_decoded() -> None:
    img = open_image(png((4096, 4096)))
    assert img.size == (512, 512) and img.mode == "RGBA"


def test_shrinking_in_strips_matches_shrinking_the_whole_image() -> None:
    data = png((3000, 1100))
    whole = Image.open(io.BytesIO(data)).reduce(5)
    assert open_image(data).tobytes() == whole.tobytes()


def test_a_palette_image_is_shrunk_by_its_colours_not_its_indices() -> None:
    img = Image.new("RGB", (2048, 2048), "white").convert("P")
    out = io.BytesIO()
    img.save(out, "PNG")
    assert open_image(out.getvalue()).mode == "RGBA"


def test_the_exif_orientation_still_turns_a_photo_upright() -> None:
    img = Image.new("L", (2000, 1000), 255)
    exif = img.getexif()
    exif[0x0112] = 6  # rotated 90 degrees clockwise
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    assert open_image(out.getvalue()).size[0] < open_image(out.getvalue()).size[1]


def test_a_decode_waits_for_room_in_the_budget_then_runs() -> None:
    budget = PixelBudget(limit=100, wait_s=5)
    order = []

    def second() -> None:
        with budget.reserve(80):
            order.append(2)

    with budget.reserve(80):
        waiter = threading.Thread(target=second)
        waiter.start()
        waiter.join(0.2)
        assert order == [] and waiter.is_alive()
        order.append(1)
    waiter.join(5)
    assert order == [1, 2]


def test_a_decode_that_finds_no_room_in_time_is_refused_as_busy() -> None:
    budget = PixelBudget(limit=100, wait_s=0.1)
    with budget.reserve(60), pytest.raises(ImageBusyError) as refused, budget.reserve(60):
        pass
    assert refused.value.code == "busy"
    with budget.reserve(60):  # room again once the first is done
        assert budget.used == 60


def test_an_image_larger_than_the_whole_budget_still_runs_alone() -> None:
    budget = PixelBudget(limit=10, wait_s=0.1)
    with budget.reserve(50):
        assert budget.used == 50


def test_a_big_upload_still_gives_the_same_raster_as_a_small_one() -> None:
    big, small = image_to_raster(png((4096, 4096))), image_to_raster(png((512, 512)))
    assert abs(big - small).mean() < 0.03
