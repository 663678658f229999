"""What a child sees while practising, in headless Chromium against the real server, Redis
and a Celery worker: real test-split ink (and faults made from it) replayed as pointer
events onto the canvas's guide lines."""

import json

import pytest

from classroom.tests.factories import ExerciseFactory
from classroom.tests.test_browser_practice import logged_in_context
from recognition.tests.samples import placed, unipen_test_samples

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.worker]

TABLET = {"width": 820, "height": 1180}
LAPTOP = {"width": 1366, "height": 800}


def canvas_guides(page):
    """The canvas's guide lines in ink coordinates (what the page sends the server)."""
    page.wait_for_function("document.querySelector('#ink-canvas').dataset.guides !== 'null'")
    return json.loads(page.locator("#ink-canvas").get_attribute("data-guides"))


def draw_on_lines(page, strokes, *, top, bottom):
    """Replay `strokes` scaled to span the ink heights `top` to `bottom` on the canvas."""
    box = page.locator("#ink-canvas").bounding_box()
    ink = placed(strokes, top=top, bottom=bottom, left=box["width"] * 0.4)
    for stroke in ink:
        page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
        page.mouse.down()
        for x, y, *_ in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.up()


def top_candidate(page, labels):
    page.wait_for_function(
        "(labels) => [...document.querySelectorAll('#candidates .candidate')]"
        ".some((c) => labels.includes(c.dataset.label))",
        arg=labels,
        timeout=10_000,
    )
    return page.locator("#candidates .candidate").first.get_attribute("data-label")


@pytest.mark.parametrize("viewport", [TABLET, LAPTOP], ids=["tablet", "laptop"])
def test_a_small_o_on_the_x_height_is_o_and_a_tall_one_is_O(
    asgi_server, celery_worker, browser, client, student, classroom, viewport
):
    exercise = ExerciseFactory.create(classroom=classroom, characters="oO", repetitions=1)
    strokes = unipen_test_samples(labels="o", per_label=1)[0]["strokes"]
    context = logged_in_context(browser, client, student, viewport=viewport)
    page = context.new_page()
    try:
        page.goto(f"{asgi_server}/practice/{exercise.pk}/")
        page.wait_for_selector("#ws-status[data-state=open]", timeout=10_000)
        lines = canvas_guides(page)
        draw_on_lines(page, strokes, top=lines["x_height"], bottom=lines["baseline"])
        small = top_candidate(page, "oO")
        page.click("#btn-clear")
        page.wait_for_function("!document.querySelector('#candidates .candidate')")
        draw_on_lines(page, strokes, top=lines["cap_height"], bottom=lines["baseline"])
        tall = top_candidate(page, "oO")
    finally:
        context.close()
    assert (small, tall) == ("o", "O")
