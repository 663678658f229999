"""A student practises in headless Chromium against the real server (daphne), Redis and a
Celery worker: real test-split ink replayed as pointer events on the canvas."""

import time

import pytest

from classroom.models import Attempt
from classroom.tests.factories import ExerciseFactory
from recognition.tests.samples import unipen_test_samples

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.worker]


def wait_until(page, expression: str, timeout: float = 10_000, arg=None) -> None:
    """Until the page's `expression` is truthy. Playwright's wait_for_function evaluates its
    string inside the page, which the Content-Security-Policy (no eval) refuses."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression, arg):
        assert time.monotonic() < deadline, f"never true: {expression}"
        time.sleep(0.05)


def logged_in_context(browser, client, user, **options):
    """A browser context (Playwright's `options`) holding `user`'s session (logging in by
    form is tested elsewhere)."""
    client.force_login(user)
    options.setdefault("viewport", {"width": 1024, "height": 768})
    context = browser.new_context(**options)
    cookie = {
        "name": "sessionid",
        "value": client.cookies["sessionid"].value,
        "domain": "127.0.0.1",
        "path": "/",
    }
    context.add_cookies([cookie])
    return context


def replay(page, strokes):
    """Draw the ink on the canvas, scaled into its middle, as a person would with a mouse."""
    box = page.locator("#ink-canvas").bounding_box()
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1)
    scale = 0.6 * min(box["width"], box["height"]) / span
    left = box["x"] + (box["width"] - (max(xs) - min(xs)) * scale) / 2
    top = box["y"] + (box["height"] - (max(ys) - min(ys)) * scale) / 2

    def at(point):
        return left + (point[0] - min(xs)) * scale, top + (point[1] - min(ys)) * scale

    for stroke in strokes:
        page.mouse.move(*at(stroke[0]))
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*at(point))
        page.mouse.up()


def test_a_student_draws_a_real_sample_sees_it_recognised_live_and_submits(
    asgi_server, celery_worker, browser, screenshot_dir, client, student, classroom
):
    exercise = ExerciseFactory.create(
        classroom=classroom,
        title="Threes and fives",
        characters="35",
        repetitions=1,
        order="as_written",
    )
    sample = unipen_test_samples(labels="3", per_label=1)[0]

    context = logged_in_context(browser, client, student)
    page = context.new_page()
    try:
        page.goto(f"{asgi_server}/practice/{exercise.pk}/")
        page.wait_for_selector("#ws-status[data-state=open]", timeout=10_000)
        assert page.inner_text("#target-char").strip() == "3"

        replay(page, sample["strokes"])
        page.wait_for_selector("#candidates .candidate[data-label='3']", timeout=10_000)
        top = page.locator("#candidates .candidate").first.get_attribute("data-label")
        assert top == "3"
        page.screenshot(path=str(screenshot_dir / "practice_live.png"), full_page=True)

        page.click("#btn-submit")
        page.wait_for_selector("#feedback[data-correct=true]", timeout=10_000)
        feedback = page.inner_text("#feedback")
        assert page.get_attribute("#feedback", "data-verdict") == "passed", feedback
        assert "✓" in feedback and "★" in feedback and "%" not in feedback
        page.screenshot(path=str(screenshot_dir / "practice_feedback.png"), full_page=True)
        wait_until(page, "document.querySelector('#target-char').textContent.trim() === '5'")
    finally:
        context.close()

    attempt = Attempt.objects.get()
    assert (attempt.student, attempt.exercise, attempt.target) == (student, exercise, "3")
    assert attempt.correct is True and attempt.status == Attempt.Status.RECOGNIZED
    assert len(attempt.ink["strokes"]) == len(sample["strokes"])
    assert all(len(p) == 3 for s in attempt.ink["strokes"] for p in s)  # with timings


def test_free_drawing_shows_live_candidates(
    asgi_server, celery_worker, browser, screenshot_dir, client, student
):
    sample = unipen_test_samples(labels="B", per_label=1)[0]
    context = logged_in_context(browser, client, student)
    page = context.new_page()
    try:
        page.goto(f"{asgi_server}/draw/")
        page.wait_for_selector("#ws-status[data-state=open]", timeout=10_000)
        replay(page, sample["strokes"])
        page.wait_for_selector("#candidates .candidate[data-label='B']", timeout=10_000)
        page.screenshot(path=str(screenshot_dir / "free_drawing.png"), full_page=True)
        assert page.locator("#btn-submit").count() == 0 or not page.is_visible("#btn-submit")
    finally:
        context.close()


# The canvas as drawn: for each row of device pixels, the share painted over the paper (read
# at the top-left corner, above every guide); the number of painted pixels; the pixel ratio.
CANVAS_PIXELS = """() => {
  const canvas = document.querySelector('#ink-canvas');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const dpr = canvas.width / canvas.getBoundingClientRect().width;
  const bg = (canvas.width + 1) * 4;
  const painted = (i) => [0, 1, 2].some((c) => Math.abs(data[i + c] - data[bg + c]) > 8);
  const rows = [];
  let all = 0;
  for (let y = 0; y < canvas.height; y++) {
    let n = 0;
    for (let x = 0; x < canvas.width; x++) if (painted((y * canvas.width + x) * 4)) n++;
    rows.push(n / canvas.width);
    all += n;
  }
  return {dpr, rows, all};
}"""


def runs(rows, keep):
    """The runs of consecutive row numbers whose share passes `keep`."""
    found: list[list[int]] = []
    for y, share in enumerate(rows):
        if keep(share):
            if found and found[-1][-1] == y - 1:
                found[-1].append(y)
            else:
                found.append([y])
    return found


def test_the_canvas_has_guide_lines_a_faded_model_and_is_crisp_on_high_dpi(
    asgi_server, browser, client, student, classroom
):
    traced, plain = (
        ExerciseFactory.create(classroom=classroom, characters="3", show_tracing=tracing)
        for tracing in (True, False)
    )
    context = logged_in_context(browser, client, student, device_scale_factor=2)
    page = context.new_page()
    try:
        pixels = {}
        for name, exercise in (("traced", traced), ("plain", plain)):
            page.goto(f"{asgi_server}/practice/{exercise.pk}/")
            page.wait_for_selector("#ws-status[data-state=open]", timeout=10_000)
            pixels[name] = page.evaluate(CANVAS_PIXELS)
    finally:
        context.close()
    plain, traced = pixels["plain"], pixels["traced"]
    assert plain["dpr"] == 2  # the backing store has a device pixel per pixel
    # Two solid lines across the canvas, cap line and baseline; one dashed line between them,
    # the x-height; nothing between the x-height and the baseline.
    solid = runs(plain["rows"], lambda share: share > 0.9)
    assert len(solid) == 2
    cap, baseline = solid
    dashed = [
        run
        for run in runs(plain["rows"], lambda share: 0.2 < share <= 0.9)
        if cap[-1] < run[0] and run[-1] < baseline[0]
    ]
    assert len(dashed) == 1
    between = range(dashed[0][-1] + 1, baseline[0])
    assert len(between) > 0 and max(plain["rows"][y] for y in between) == 0
    # The faded "3" to trace adds ink between the guides.
    assert max(traced["rows"][y] for y in between) > 0 and traced["all"] > plain["all"]


def test_undo_clear_keys_candidates_feedback_and_a_dropped_socket(
    asgi_server, celery_worker, browser, screenshot_dir, client, student, classroom
):
    exercise = ExerciseFactory.create(
        classroom=classroom, characters="4", repetitions=1, order="as_written"
    )
    sample = unipen_test_samples(labels="4", per_label=1)[0]["strokes"]
    assert len(sample) >= 2

    def painted():
        return page.evaluate(f"({CANVAS_PIXELS})().all")

    def wait_for_ink(compare):
        """Until the canvas's painted pixels stand `compare` ("< 123", "== 99") after a redraw."""
        wait_until(page, f"({CANVAS_PIXELS})().all {compare}", timeout=5_000)
        return painted()

    # Every socket the page opens goes through here, so that the test can drop one.
    sockets = []

    def route(ws):
        ws.connect_to_server()
        sockets.append(ws)

    def wait_for_top_candidate(label):
        page.wait_for_selector(f"#candidates .candidate.is-top[data-label='{label}']",
                               timeout=10_000)  # fmt: skip

    context = logged_in_context(browser, client, student)
    page = context.new_page()
    try:
        page.route_web_socket("**/ws/**", route)
        page.goto(f"{asgi_server}/practice/{exercise.pk}/")
        page.wait_for_selector("#ws-status[data-state=open]", timeout=10_000)
        blank = painted()  # the guides and nothing else
        replay(page, sample)
        wait_for_top_candidate("4")
        drawn = painted()
        assert drawn > blank
        # The top three guesses, best first, each with a confidence bar.
        bars = page.eval_on_selector_all(
            "#candidates .candidate",
            "items => items.map(i => i.querySelector('.candidate__fill').style.width)",
        )
        percents = [float(width.rstrip("%")) for width in bars]
        assert len(percents) == 3 and percents == sorted(percents, reverse=True)

        # Each undo takes a stroke off the canvas; Escape and Clear leave only the guides.
        page.focus("#ink-canvas")
        page.keyboard.press("Control+z")
        one_undone = wait_for_ink(f"< {drawn}")
        assert one_undone > blank
        page.click("#btn-undo")
        wait_for_ink(f"< {one_undone}")
        page.keyboard.press("Escape")
        wait_for_ink(f"== {blank}")
        assert page.is_disabled("#btn-undo") and page.is_disabled("#btn-clear")
        page.wait_for_selector("#candidates .candidate", state="detached", timeout=10_000)
        replay(page, sample)
        wait_for_ink(f"> {blank}")
        page.click("#btn-clear")
        wait_for_ink(f"== {blank}")

        # The socket drops mid-drawing: the page reconnects and re-sends what is drawn.
        replay(page, sample)
        wait_for_top_candidate("4")
        assert len(sockets) == 1
        sockets[0].close(code=1001, reason="going away")
        page.wait_for_selector("#ws-status[data-state=connecting]", timeout=5_000)
        page.wait_for_selector("#ws-status[data-state=open]", timeout=15_000)
        assert len(sockets) == 2
        page.keyboard.press("Enter")
        page.wait_for_selector("#feedback[data-correct=true]", timeout=10_000)
        score = int(page.get_attribute("#feedback", "data-score") or -1)
        page.screenshot(path=str(screenshot_dir / "practice_after_reconnect.png"), full_page=True)
    finally:
        context.close()

    attempt = Attempt.objects.get()
    # The server's drawing after the reconnect is the whole drawing, from the re-send.
    assert len(attempt.ink["strokes"]) == len(sample)
    assert (attempt.target, attempt.predicted_label) == ("4", "4")
    assert 0 <= score <= 100 and score == attempt.score


def test_a_drawing_saved_while_the_recogniser_is_away_is_checked_later_and_the_student_told(
    asgi_server, inference_paused, browser, screenshot_dir, client, student, classroom
):
    from hwr_site.celery import app

    exercise = ExerciseFactory.create(
        classroom=classroom, characters="35", repetitions=1, order="as_written"
    )
    context = logged_in_context(browser, client, student)
    page = context.new_page()
    try:
        page.goto(f"{asgi_server}/practice/{exercise.pk}/")
        page.wait_for_selector("#ws-status[data-state=open]", timeout=10_000)
        replay(page, unipen_test_samples(labels="3", per_label=1)[0]["strokes"])
        page.keyboard.press("Enter")
        wait_until(  # after the 2 s the server waits for a recogniser
            page, "document.querySelector('#feedback').textContent.includes('Saved!')"
        )
        wait_until(page, "document.querySelector('#target-char').textContent.trim() === '5'")
        attempt = Attempt.objects.get()
        assert attempt.status == Attempt.Status.PENDING

        app.control.add_consumer("inference", reply=True)  # the recogniser is back
        page.wait_for_selector("#notice[data-kind=late]", timeout=20_000)
        notice = page.inner_text("#notice")
        page.screenshot(path=str(screenshot_dir / "practice_checked_later.png"), full_page=True)
    finally:
        context.close()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.RECOGNIZED and attempt.correct is True
    assert "number 3 has been checked: right" in notice and f"score {attempt.score} / 100" in notice
