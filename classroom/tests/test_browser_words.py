"""A child writes a short word letter by letter in headless Chromium, against the real
server, Redis and a Celery worker: real test-split ink replayed on the canvas's lines, one
letter at a time, with the word shown and its current letter marked."""

import os
from pathlib import Path

import pytest

from classroom.models import Attempt
from classroom.tests.factories import ExerciseFactory
from classroom.tests.test_browser_practice import logged_in_context, wait_until
from classroom.tests.test_browser_teach import LAPTOP, TABLET, canvas_guides, draw_on_lines
from recognition.services import ink_assess
from recognition.tests.samples import placed, unipen_test_samples

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.worker]

WORD = "cow"  # three small letters between the x-height and the baseline


def written_well(letter, lines, left):
    """The first test-split sample of `letter` that, placed on these lines, is read as the
    letter and passes every check: the test is about the word's flow, not one writer."""
    for sample in unipen_test_samples(labels=letter, per_label=40):
        ink = placed(sample["strokes"], top=lines["x_height"], bottom=lines["baseline"], left=left)
        assessed = ink_assess(strokes=ink, target=letter, guides=lines)
        if assessed.recognition.label == letter and all(c.ok for c in assessed.checks):
            return sample["strokes"]
    raise AssertionError(f"no test-split {letter!r} passes on these lines")


AT_INDEX = (
    "(i) => { const c = document.querySelector('#target-word .is-current');"
    " return c && Number(c.dataset.index) === i; }"
)


def current_letter(page):
    return page.evaluate(
        "() => { const c = document.querySelector('#target-word .is-current');"
        " return c ? [c.textContent, Number(c.dataset.index)] : null; }"
    )


@pytest.mark.parametrize("viewport", [TABLET, LAPTOP], ids=["tablet", "laptop"])
def test_a_student_writes_a_short_word_letter_by_letter(
    asgi_server, celery_worker, browser, screenshot_dir, client, student, classroom, viewport
):
    exercise = ExerciseFactory.create(
        classroom=classroom, title="A word", kind="words", words=WORD, characters=WORD,
        repetitions=1, tries=3,
    )  # fmt: skip
    shots = Path(os.environ.get("WORDS_SHOTS", str(screenshot_dir)))
    shots.mkdir(parents=True, exist_ok=True)
    context = logged_in_context(browser, client, student, viewport=viewport)
    page = context.new_page()
    seen = []
    try:
        page.goto(f"{asgi_server}/practice/{exercise.pk}/")
        page.wait_for_selector("#ws-status[data-state=open]", timeout=10_000)
        lines = canvas_guides(page)
        left = page.locator("#ink-canvas").bounding_box()["width"] * 0.4
        for index, letter in enumerate(WORD):
            wait_until(page, AT_INDEX, arg=index)
            seen.append((current_letter(page), page.inner_text("#target-char").strip()))
            strokes = written_well(letter, lines, left)
            draw_on_lines(page, strokes, top=lines["x_height"], bottom=lines["baseline"])
            if index == 1:
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=str(shots / f"practice_word_{viewport['width']}.png"))
            page.click("#btn-submit")
            page.wait_for_selector("#feedback[data-verdict=passed]", timeout=10_000)
        page.wait_for_selector("#practice[data-done]", timeout=10_000)
        progress = page.inner_text("#progress")
        word_hidden = page.locator("#target-word").is_hidden()
        page.screenshot(path=str(shots / f"practice_word_done_{viewport['width']}.png"))
    finally:
        context.close()
    assert seen == [([ch, i], ch) for i, ch in enumerate(WORD)]
    assert progress == "1 of 1 word done" and word_hidden
    stored = list(Attempt.objects.order_by("id"))
    assert [(a.target, a.word, a.letter_index, a.correct) for a in stored] == [
        (ch, WORD, i, True) for i, ch in enumerate(WORD)
    ]
