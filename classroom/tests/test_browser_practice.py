"""A student practises in headless Chromium against the real server (daphne), Redis and a
Celery worker: real test-split ink replayed as pointer events on the canvas."""

import pytest

from classroom.models import Attempt
from classroom.tests.factories import ExerciseFactory
from recognition.tests.samples import unipen_test_samples

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.worker]


def logged_in_context(browser, client, user):
    """A browser context holding `user`'s session (logging in by form is tested elsewhere)."""
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1024, "height": 768})
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
        assert "Well done" in feedback
        page.screenshot(path=str(screenshot_dir / "practice_feedback.png"), full_page=True)
        page.wait_for_function(
            "document.querySelector('#target-char').textContent.trim() === '5'", timeout=10_000
        )
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
