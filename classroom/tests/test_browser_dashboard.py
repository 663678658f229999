"""A teacher opens the dashboard of a seeded class in headless Chromium against the real
server, drills into a confusion, replays an attempt and sees a new one arrive live."""

import pytest

from classroom import services
from classroom.demo import bulk_create_dated, demo_attempts
from classroom.models import Attempt
from classroom.tests.factories import ExerciseFactory, MembershipFactory, StudentFactory
from classroom.tests.test_browser_practice import logged_in_context
from recognition.tests.samples import unipen_test_samples

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.worker]


@pytest.fixture
def seeded(classroom, student):
    students = [student]
    for name in ("Ben", "Cleo", "Dev", "Eli", "Fay"):
        member = StudentFactory.create(username=name.lower(), first_name=name)
        MembershipFactory.create(classroom=classroom, student=member)
        students.append(member)
    exercises = [
        ExerciseFactory.create(classroom=classroom, title="Digits", characters="0123456789"),
        ExerciseFactory.create(classroom=classroom, title="Mirror letters", characters="bdpq"),
    ]
    skill = {s.pk: 0.45 + 0.08 * i for i, s in enumerate(students)}
    bulk_create_dated(demo_attempts(exercises=exercises, students=students, skill=skill, days=20))
    return exercises


def test_a_teacher_reads_the_dashboard_and_replays_an_attempt(
    asgi_server, celery_worker, browser, screenshot_dir, client, classroom, teacher, student, seeded
):
    from classroom.tasks import recognize_attempt

    context = logged_in_context(browser, client, teacher)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(f"{asgi_server}/classes/{classroom.pk}/dashboard/")
        assert not page.is_visible("svg.character-grid")  # folded below "needs help"
        page.click("#dash-charts > summary")
        assert page.is_visible("svg.character-grid")
        assert page.is_visible("svg.progress-chart")
        assert page.locator("#students-table tbody tr").count() == 6
        page.wait_for_selector("#live-status[data-state=open]")

        # A new attempt is recognised by the worker and appears without a reload.
        three = unipen_test_samples(labels="3", per_label=1)[0]["strokes"]
        fresh, _ = services.attempt_submit(
            student=student, exercise=seeded[0], target="3", strokes=three, time_taken_ms=900
        )
        recognize_attempt.apply_async(kwargs={"attempt_id": fresh.pk})
        page.wait_for_selector(f'#live-list .live-attempt[data-attempt="{fresh.pk}"]')

        # Sorting by accuracy puts the best student first.
        page.click("#students-table thead button:text('Correct')")
        first = page.locator("#students-table tbody tr").first.get_attribute("data-student")
        best = max(
            page.locator("#students-table tbody tr").all(),
            key=lambda row: float(
                row.locator("td[data-figure=accuracy]").get_attribute("data-value")
            ),
        )
        assert first == best.get_attribute("data-student")
        page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)

        # A cell of the confusion map, and the most frequent mix-up, drill down to attempts.
        page.click('svg.confusion-map a.cell[data-target="b"][data-read="d"]')
        page.wait_for_selector("#drilldown .thumb")
        heading = page.inner_text("#drilldown-heading")
        assert heading.startswith("b read as d")
        page.click("ul.mistakes a >> nth=0")
        page.wait_for_selector("#drilldown .thumb")
        page.screenshot(path=str(screenshot_dir / "dashboard_drilldown.png"), full_page=False)

        # A seeded attempt of several strokes, with timings, found through the filters.
        shown = next(
            a
            for a in Attempt.objects.filter(student=student, correct=False).order_by("-created_at")
            if len(a.ink["strokes"]) > 1
        )
        page.goto(f"{asgi_server}/classes/{classroom.pk}/students/{student.pk}/")
        page.select_option("#id_character", shown.target)
        page.select_option("#id_result", "wrong")
        page.click(".dash-filters button[type=submit]")
        page.click(f'.thumb[data-attempt="{shown.pk}"] a')
        page.wait_for_selector("#replay-canvas[data-state=paused]")
        assert page.locator("#attempt-candidates li").count() >= 3
        assert page.is_visible("#attempt-raster")
        page.select_option("#replay-speed", "4")
        page.click("#replay-play")
        page.wait_for_selector("#replay-canvas[data-state=playing]")
        page.wait_for_selector("#replay-canvas[data-state=ended]")
        page.screenshot(path=str(screenshot_dir / "replay.png"), full_page=True)

        # The verdict form marks it verified.
        page.click("button[name=verdict][value=correct]")
        page.wait_for_selector("#verdict-state[data-verified=true]")
    finally:
        context.close()


def test_the_dashboard_reads_on_a_tablet(
    asgi_server, browser, screenshot_dir, client, classroom, seeded
):
    context = logged_in_context(browser, client, classroom.teacher)
    page = context.new_page()
    try:
        page.set_viewport_size({"width": 768, "height": 1024})
        page.goto(f"{asgi_server}/classes/{classroom.pk}/dashboard/")
        page.click("#dash-charts > summary")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 768  # nothing forces sideways scrolling of the page
        grid = page.locator("svg.character-grid").bounding_box()
        assert grid is not None and grid["width"] > 500  # tiles big enough to read
        page.screenshot(path=str(screenshot_dir / "dashboard_tablet.png"), full_page=True)
    finally:
        context.close()


def test_a_student_sees_their_progress_and_replays_their_attempt(
    asgi_server, browser, screenshot_dir, client, student, seeded
):
    context = logged_in_context(browser, client, student)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(f"{asgi_server}/progress/")
        assert page.locator("#my-characters tbody tr").count() >= 10
        page.screenshot(path=str(screenshot_dir / "student_progress.png"), full_page=True)
        page.click(".thumb a >> nth=0")
        page.wait_for_selector("#replay-canvas[data-state=paused]")
        assert page.locator(".verdict-form").count() == 0  # students do not judge
        page.click("#replay-play")
        page.wait_for_selector("#replay-canvas[data-state=ended]")
    finally:
        context.close()
