"""Under the Content-Security-Policy (no inline script, no style attributes) every page
looks as it should: Chromium refuses nothing on the classroom pages, Django's admin or the
API docs; the bars are <progress>/<meter>, the confusion map's width is set by script."""

from pathlib import Path

import pytest

from classroom.demo import bulk_create_dated, demo_attempts
from classroom.tests.factories import AttemptFactory, ExerciseFactory, StaffFactory
from classroom.tests.test_browser_safety_pages import SIZES, teacher_context
from classroom.tests.test_browser_sign_in import csp_watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
READ = [{"label": "d", "p": 0.62}, {"label": "b", "p": 0.31}, {"label": "p", "p": 0.07}]


@pytest.fixture
def http_cookies(settings) -> None:
    settings.SESSION_COOKIE_SECURE = False  # the live server speaks plain HTTP
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def marked(classroom, student):
    digits = ExerciseFactory.create(classroom=classroom, title="Digits", characters="0123")
    mirrors = ExerciseFactory.create(classroom=classroom, title="Mirrors", characters="bdpq")
    bulk_create_dated(
        demo_attempts(exercises=[digits, mirrors], students=[student], skill={student.pk: 0.5},
                      days=5)
    )  # fmt: skip
    letters = ExerciseFactory.create(classroom=classroom, title="Letters", characters="ace")
    AttemptFactory.create(student=student, exercise=letters, target="a")  # a bar part-filled
    return AttemptFactory.create(
        student=student, exercise=mirrors, target="b", predicted_label="d", correct=False,
        candidates=READ,
    )  # fmt: skip


def look(page, url: str, shot: Path) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    page.screenshot(path=str(shot), full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_the_teachers_pages_draw_their_bars_without_style_attributes(
    live_server, browser, screenshot_dir, http_cookies, client, teacher, classroom, marked, size
):
    base = live_server.url
    context = teacher_context(browser, client, teacher, base, SIZES[size])
    page = context.new_page()
    refused = csp_watch(page)

    look(page, f"{base}/attempts/{marked.pk}/", screenshot_dir / f"csp_attempt_{size}.png")
    bars = page.locator("#attempt-candidates meter.cand-bar")
    assert [bars.nth(i).get_attribute("value") for i in range(3)] == ["62", "31", "7"]
    widths = [bars.nth(i).bounding_box()["width"] for i in range(3)]
    assert widths[0] > 40 and len(set(widths)) == 1  # the bar is drawn, as wide as its column

    look(page, f"{base}/classes/{classroom.pk}/", screenshot_dir / f"csp_class_{size}.png")
    progress = page.locator("progress.progress-bar")
    assert progress.count() == 3 and progress.first.get_attribute("max") == "100"
    assert 0 < int(progress.nth(2).get_attribute("value") or 0) < 100
    assert progress.first.bounding_box()["height"] == 12
    # As the bars were as <div>s: a <progress> is 10em wide unless told, which overflowed.
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]

    look(page, f"{base}/classes/{classroom.pk}/dashboard/", screenshot_dir / f"csp_dash_{size}.png")
    page.click("#dash-charts > summary")
    chart = page.locator("svg.confusion-map")
    least = chart.get_attribute("data-min-width")
    assert chart.evaluate("svg => getComputedStyle(svg).minWidth") == f"{least}px"
    page.screenshot(path=str(screenshot_dir / f"csp_dash_charts_{size}.png"), full_page=True)
    # Swagger UI also tries a <style> element (refused by style-src, as before): no style
    # attribute of its own is refused.
    page.goto(f"{base}/api/docs/")
    page.get_by_text("/api/v1/recognize").first.wait_for()
    page.screenshot(path=str(screenshot_dir / "csp_api_docs_laptop.png"), full_page=True)
    assert not [message for message in refused if "style-src-attr" in message]
    context.close()


def test_the_students_progress_bars_and_the_admin_are_refused_nothing(
    live_server, browser, screenshot_dir, http_cookies, client, student, marked
):
    base = live_server.url
    for name, size in SIZES.items():
        context = teacher_context(browser, client, student, base, size)
        page = context.new_page()
        refused = csp_watch(page)
        look(page, f"{base}/", screenshot_dir / f"csp_student_home_{name}.png")
        assert page.locator("progress.progress-bar").count() >= 2
        context.close()
        assert refused == []

    admin = StaffFactory.create(username="boss", is_superuser=True)
    context = teacher_context(browser, client, admin, base, SIZES["laptop"])
    page = context.new_page()
    refused = csp_watch(page)
    for path, shot in [
        ("/admin/", "admin_index"),
        ("/admin/recognition/modelversion/", "admin_models"),
        (f"/admin/classroom/user/{student.pk}/change/", "admin_user"),
        (f"/admin/classroom/attempt/{marked.pk}/change/", "admin_attempt"),
        ("/admin/audit/auditentry/", "admin_audit"),
    ]:
        look(page, base + path, screenshot_dir / f"csp_{shot}_laptop.png")
    assert refused == []
    page.goto(f"{base}/admin/recognition/modelversion/")
    rollback = page.get_by_role("button", name="Roll back to the previous version")
    assert rollback.evaluate("b => getComputedStyle(b).borderTopLeftRadius") == "15px"
    assert rollback.evaluate("b => getComputedStyle(b.form).display") == "inline"
    # Swagger UI also tries a <style> element (refused by style-src, as before): no style
    # attribute of its own is refused.
    page.goto(f"{base}/api/docs/")
    page.get_by_text("/api/v1/recognize").first.wait_for()
    page.screenshot(path=str(screenshot_dir / "csp_api_docs_laptop.png"), full_page=True)
    assert not [message for message in refused if "style-src-attr" in message]
    context.close()
