"""What a child sees while practising, in headless Chromium against the real server, Redis
and a Celery worker: real test-split ink (and faults made from it) replayed as pointer
events onto the canvas's guide lines."""

import json

import pytest

from classroom.tests.factories import ExerciseFactory
from classroom.tests.test_browser_practice import logged_in_context, wait_until
from recognition.tests.samples import placed, unipen_test_samples

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.worker]

TABLET = {"width": 820, "height": 1180}
LAPTOP = {"width": 1366, "height": 800}


def canvas_guides(page):
    """The canvas's guide lines in ink coordinates (what the page sends the server)."""
    wait_until(page, "document.querySelector('#ink-canvas').dataset.guides !== 'null'")
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
    wait_until(
        page,
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
        wait_until(page, "!document.querySelector('#candidates .candidate')")
        draw_on_lines(page, strokes, top=lines["cap_height"], bottom=lines["baseline"])
        tall = top_candidate(page, "oO")
    finally:
        context.close()
    assert (small, tall) == ("o", "O")


def mirrored(strokes):
    """The drawing reflected left to right: the reversal children make most."""
    right = max(p[0] for s in strokes for p in s)
    return [[[right - p[0], *p[1:]] for p in s] for s in strokes]


def practise(browser, client, student, exercise, asgi_server, viewport):
    """The practice page open, as a tablet (touch, no mouse) or a laptop shows it."""
    touch = {"has_touch": True, "is_mobile": True} if viewport is TABLET else {}
    context = logged_in_context(browser, client, student, viewport=viewport, **touch)
    page = context.new_page()
    page.goto(f"{asgi_server}/practice/{exercise.pk}/")
    page.wait_for_selector("#ws-status[data-state=open]", timeout=10_000)
    return context, page


@pytest.mark.parametrize("viewport", [TABLET, LAPTOP], ids=["tablet", "laptop"])
def test_a_mirrored_5_is_backwards_and_the_child_tries_again_with_a_demonstration(
    asgi_server, celery_worker, browser, screenshot_dir, client, student, classroom, viewport
):
    exercise = ExerciseFactory.create(classroom=classroom, characters="52", repetitions=1)
    five = unipen_test_samples(labels="5", per_label=1)[0]["strokes"]
    context, page = practise(browser, client, student, exercise, asgi_server, viewport)
    try:
        lines = canvas_guides(page)
        draw_on_lines(page, mirrored(five), top=lines["cap_height"], bottom=lines["baseline"])
        page.click("#btn-submit")
        page.wait_for_selector("#feedback[data-verdict=try-again]", timeout=10_000)
        page.wait_for_selector("#ink-canvas[data-demo]", timeout=5_000)
        feedback = page.inner_text("#feedback")
        page.evaluate("window.scrollTo(0, 0)")
        name = f"practice_try_again_{viewport['width']}.png"
        page.screenshot(path=str(screenshot_dir / name))
        bottoms = page.evaluate(LAYOUT)
        keys_shown = page.is_visible("#ink-keys")
        page.wait_for_selector("#ink-canvas[data-demo=done]", timeout=10_000)
        still = page.inner_text("#target-char").strip()
        submit_enabled = page.is_enabled("#btn-submit")
        # A touch laptop passes for a laptop until the child draws with a finger.
        page.dispatch_event("#practice", "pointerdown", {"pointerType": "touch"})
        keys_after_touch = page.is_visible("#ink-keys")
    finally:
        context.close()
    assert "try again" in feedback and "backwards" in feedback
    assert "%" not in feedback and "recogni" not in feedback.lower()
    assert still == "5" and submit_enabled
    assert min(bottoms["targets"].values()) >= 44, bottoms["targets"]  # touch targets
    assert not bottoms["overflowing"], bottoms["overflowing"]  # every label fits its button
    assert keys_shown == (viewport is LAPTOP)  # no keyboard hints on a touch tablet
    assert not keys_after_touch
    if viewport is TABLET:  # all of it on one screen, no scrolling
        assert max(bottoms[k] for k in ("target", "canvas", "feedback", "guesses")) <= 1180
    else:
        assert bottoms["submit"] <= 800  # Submit above the fold


# Where the parts of the practice page end (px from the top of the page, scrolled to the
# top), the smaller side of every visible button and link of the page (its tap target),
# and the buttons whose label is wider than the button.
LAYOUT = """() => {
  const bottom = (sel) => document.querySelector(sel).getBoundingClientRect().bottom;
  const shown = [...document.querySelectorAll('main button, main a[href], main summary')]
    .filter((e) => e.getClientRects().length);
  const name = (e) => e.id || e.textContent.trim().slice(0, 30);
  return {
    target: bottom('#target-char'), canvas: bottom('#ink-canvas'), feedback: bottom('#feedback'),
    guesses: bottom('.ink-guesses'), submit: bottom('#btn-submit'),
    targets: Object.fromEntries(shown.map((e) => {
      const r = e.getBoundingClientRect();
      return [name(e), Math.min(r.width, r.height)];
    })),
    overflowing: [...document.querySelectorAll('.ink-actions button')]
      .filter((b) => b.scrollWidth > b.clientWidth).map(name),
  };
}"""


@pytest.mark.parametrize("viewport", [TABLET, LAPTOP], ids=["tablet", "laptop"])
def test_a_good_5_is_praised_and_the_verdict_clears_with_the_next_character(
    asgi_server, celery_worker, browser, screenshot_dir, client, student, classroom, viewport
):
    exercise = ExerciseFactory.create(classroom=classroom, characters="52", repetitions=1)
    five = unipen_test_samples(labels="5", per_label=1)[0]["strokes"]
    context, page = practise(browser, client, student, exercise, asgi_server, viewport)
    try:
        lines = canvas_guides(page)
        draw_on_lines(page, five, top=lines["cap_height"], bottom=lines["baseline"])
        page.click("#btn-submit")
        page.wait_for_selector("#feedback[data-verdict]", timeout=10_000)
        verdict = page.get_attribute("#feedback", "data-verdict")
        feedback = page.inner_text("#feedback")
        page.screenshot(path=str(screenshot_dir / f"practice_passed_{viewport['width']}.png"))
        wait_until(
            page,
            "document.querySelector('#target-char').textContent.trim() === '2'",
            timeout=10_000,
        )
        cleared = page.inner_text("#feedback").strip()
        progress = page.inner_text("#progress")
    finally:
        context.close()
    assert verdict == "passed", feedback
    assert "Next: 2" in feedback and "%" not in feedback
    assert cleared == "" and progress == "1 of 2 done"


def test_a_dot_is_refused_kindly_and_not_counted(
    asgi_server, celery_worker, browser, client, student, classroom
):
    exercise = ExerciseFactory.create(classroom=classroom, characters="52", repetitions=1)
    context, page = practise(browser, client, student, exercise, asgi_server, TABLET)
    try:
        box = page.locator("#ink-canvas").bounding_box()
        page.mouse.move(box["x"] + 200, box["y"] + 200)
        page.mouse.down()
        page.mouse.move(box["x"] + 202, box["y"] + 201)
        page.mouse.up()
        page.click("#btn-submit")
        page.wait_for_selector("#notice[data-kind=just_a_dot]", timeout=10_000)
        notice = page.inner_text("#notice")
    finally:
        context.close()
    assert "just a dot" in notice
    assert not exercise.attempts.exists()


def test_on_a_touch_tablet_there_are_no_key_hints_and_show_me_how_draws_the_model(
    asgi_server, celery_worker, browser, client, student, classroom
):
    exercise = ExerciseFactory.create(classroom=classroom, characters="a", repetitions=1)
    context = logged_in_context(
        browser, client, student, viewport=TABLET, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    try:
        page.goto(f"{asgi_server}/practice/{exercise.pk}/")
        page.wait_for_selector("#ws-status[data-state=open]", timeout=10_000)
        keys_shown = page.is_visible("#ink-keys")
        page.tap("#btn-show")
        page.wait_for_selector("#ink-canvas[data-demo=running]", timeout=5_000)
        page.wait_for_selector("#ink-canvas[data-demo=done]", timeout=10_000)
    finally:
        context.close()
    assert not keys_shown
